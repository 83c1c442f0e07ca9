import { refreshUrls } from '../web/public/js/refresh-urls.js';
import { DEFAULT_VIEW, type View } from '../web/public/js/url-state.js';

/** The views the simulated viewers keep open, viewer i the (i mod 4)-th: most people watch the default one. */
export const benchViews: readonly View[] = [
  DEFAULT_VIEW,
  DEFAULT_VIEW,
  { ...DEFAULT_VIEW, range: '15m', by: 'campaign_id' },
  { ...DEFAULT_VIEW, by: 'campaign_id', filters: { advertiser_id: ['1'] } },
];

/**
 * The queries one refresh of the page sends after /api/status, built by the page's own code
 * (src/web/public/js/refresh-urls.js): tiles, the charts' series, the breakdown table, pacing, the tiles' previous range.
 */
export function viewRefreshUrls(view: View, asOfMs: number | null): string[] {
  const urls = refreshUrls(view, asOfMs);
  return [urls.totals, urls.series, urls.table, urls.pacing, ...(urls.previous === null ? [] : [urls.previous])];
}
