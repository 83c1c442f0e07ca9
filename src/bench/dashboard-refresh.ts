/** What a simulated dashboard shows: as the page's view (src/web/public/js/url-state.js), range in ms. */
export interface DashboardView {
  rangeMs: number;
  by: string;
  filters: Record<string, string>;
}

/** The views the simulated viewers keep open, viewer i the (i mod 4)-th: most people watch the default one. */
export const benchViews: readonly DashboardView[] = [
  { rangeMs: 3_600_000, by: 'advertiser_id', filters: {} },
  { rangeMs: 3_600_000, by: 'advertiser_id', filters: {} },
  { rangeMs: 15 * 60_000, by: 'campaign_id', filters: {} },
  { rangeMs: 3_600_000, by: 'campaign_id', filters: { advertiser_id: '1' } },
];

const TILE_METRICS = 'requests,fills,fill_rate,exposures,viewable_exposures,viewability_rate,clicks,ctr,spend,ecpm';
const MINUTE_MS = 60_000;

const url = (path: string, params: Record<string, string | number>) =>
  `${path}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`;

/**
 * The queries one refresh of the page sends after /api/status (src/web/public/js/main.js, refresh()): tiles, the
 * two charts' series, the breakdown table, pacing, and the tiles' previous range; the range ends with the minute of
 * the freshness's `as_of`.
 */
export function refreshUrls(view: DashboardView, asOfMs: number | null): string[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const filters = Object.fromEntries(Object.entries(view.filters).map(([d, v]) => [`filter.${d}`, v]));
  const to = asOfMs === null ? null : (Math.floor(asOfMs / MINUTE_MS) + 1) * MINUTE_MS;
  const range: Record<string, string> = to === null ? {} : { from: iso(to - view.rangeMs), to: iso(to) };
  const base = { ...range, ...filters };
  return [
    url('/api/query', { metrics: TILE_METRICS, ...base }),
    url('/api/query', {
      metrics: 'requests,exposures,viewable_exposures,clicks,spend',
      granularity: 'minute',
      ...base,
      limit: 100_000,
    }),
    url('/api/query', {
      metrics: `${TILE_METRICS},cpc`,
      by: view.by,
      names: 1,
      order_by: 'spend',
      order_dir: 'desc',
      limit: 100,
      ...base,
    }),
    url('/api/pacing', { ...filters, limit: 15 }),
    ...(to === null
      ? []
      : [
          url('/api/query', {
            metrics: TILE_METRICS,
            from: iso(to - 2 * view.rangeMs),
            to: iso(to - view.rangeMs),
            ...filters,
          }),
        ]),
  ];
}
