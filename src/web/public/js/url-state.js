// The view lives in the URL, so a link reproduces it: ?range=1h&by=campaign_id&sort=spend&dir=desc&f.advertiser_id=3

/** Range presets, in ms; "all" has no bounds. Ranges end at the newest event, not at the wall clock. */
export const RANGES = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  all: null,
};
/** The drill-down path: a row click goes one level down. */
export const DRILL = ['advertiser_id', 'campaign_id', 'ad_id'];
export const DEFAULT_VIEW = { range: '1h', by: 'advertiser_id', sort: 'spend', dir: 'desc', filters: {} };

export function readView(search) {
  const p = new URLSearchParams(search);
  const filters = {};
  for (const [k, v] of p) {
    if (!k.startsWith('f.')) continue;
    const values = v.split(',').filter(Boolean);
    if (values.length) filters[k.slice(2)] = values;
  }
  const range = p.get('range');
  return {
    range: range !== null && Object.hasOwn(RANGES, range) ? range : DEFAULT_VIEW.range,
    by: p.get('by') || DEFAULT_VIEW.by,
    sort: p.get('sort') || DEFAULT_VIEW.sort,
    dir: p.get('dir') === 'asc' ? 'asc' : 'desc',
    filters,
  };
}

export function writeView(view) {
  const p = new URLSearchParams({ range: view.range, by: view.by, sort: view.sort, dir: view.dir });
  for (const [dim, values] of Object.entries(view.filters)) if (values.length) p.set(`f.${dim}`, values.join(','));
  return `?${p}`;
}

/** from/to of the view's range, ending with the minute of the newest event (null: the warehouse is empty). */
export function rangeParams(view, newestMs) {
  const span = RANGES[view.range];
  if (span === null || newestMs === null) return {};
  const to = (Math.floor(newestMs / 60_000) + 1) * 60_000;
  return { from: new Date(to - span).toISOString(), to: new Date(to).toISOString() };
}

/** The range of the same length just before `range`: what the tiles compare against. */
export function previousRange(range) {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  return { from: new Date(2 * from - to).toISOString(), to: range.from };
}

/** Chart granularity: minutes up to a day, hours beyond. */
export function granularityOf(view) {
  const span = RANGES[view.range];
  return span !== null && span <= 86_400_000 ? 'minute' : 'hour';
}

/** The view's filters as API parameters, optionally only some dimensions. */
export function filterParams(view, only = null) {
  const out = {};
  for (const [dim, values] of Object.entries(view.filters))
    if (!only || only.includes(dim)) out[`filter.${dim}`] = values;
  return out;
}
