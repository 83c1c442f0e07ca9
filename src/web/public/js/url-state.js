// The view lives in the URL, so a link reproduces it: ?range=1h&by=campaign_id&sort=spend&dir=desc&f.advertiser_id=3

/**
 * The view: time range, breakdown dimension, sort column and direction, and the filters (dimension -> values).
 * @typedef {{ range: RangeName, by: string, sort: string, dir: 'asc' | 'desc', filters: Record<string, string[]> }} View
 * @typedef {keyof typeof RANGES} RangeName
 * @typedef {{ from?: undefined, to?: undefined } | { from: string, to: string }} RangeParams
 */

/** Range presets, in ms; "all" has no bounds. Ranges end at the freshness's `as_of`, not at the wall clock. */
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
/** @type {View} */
export const DEFAULT_VIEW = { range: '1h', by: 'advertiser_id', sort: 'spend', dir: 'desc', filters: {} };

/**
 * The view a URL's query string describes, with defaults for what it leaves out or gets wrong.
 * @param {string} search
 * @returns {View}
 */
export function readView(search) {
  const p = new URLSearchParams(search);
  /** @type {Record<string, string[]>} */
  const filters = {};
  for (const [k, v] of p) {
    if (!k.startsWith('f.')) continue;
    const values = v.split(',').filter(Boolean);
    if (values.length) filters[k.slice(2)] = values;
  }
  const range = p.get('range');
  return {
    range: range !== null && isRange(range) ? range : DEFAULT_VIEW.range,
    by: p.get('by') || DEFAULT_VIEW.by,
    sort: p.get('sort') || DEFAULT_VIEW.sort,
    dir: p.get('dir') === 'asc' ? 'asc' : 'desc',
    filters,
  };
}

/**
 * The view as a query string (with its "?").
 * @param {View} view
 * @returns {string}
 */
export function writeView(view) {
  const p = new URLSearchParams({ range: view.range, by: view.by, sort: view.sort, dir: view.dir });
  for (const [dim, values] of Object.entries(view.filters)) if (values.length) p.set(`f.${dim}`, values.join(','));
  return `?${p}`;
}

/**
 * from/to of the view's range, ending with the minute of the freshness's `as_of` (null: the warehouse is empty).
 * @param {View} view
 * @param {number | null} asOfMs
 * @returns {RangeParams}
 */
export function rangeParams(view, asOfMs) {
  const span = RANGES[view.range];
  if (span === null || asOfMs === null) return {};
  const to = (Math.floor(asOfMs / 60_000) + 1) * 60_000;
  return { from: new Date(to - span).toISOString(), to: new Date(to).toISOString() };
}

/**
 * The range of the same length just before `range`: what the tiles compare against.
 * @param {{ from: string, to: string }} range
 * @returns {{ from: string, to: string }}
 */
export function previousRange(range) {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  return { from: new Date(2 * from - to).toISOString(), to: range.from };
}

/**
 * Chart granularity: minutes up to a day, hours beyond.
 * @param {View} view
 * @returns {'minute' | 'hour'}
 */
export function granularityOf(view) {
  const span = RANGES[view.range];
  return span !== null && span <= 86_400_000 ? 'minute' : 'hour';
}

/**
 * The view's filters as API parameters, optionally only some dimensions.
 * @param {View} view
 * @param {string[] | null} [only]
 * @returns {Record<string, string[]>}
 */
export function filterParams(view, only = null) {
  /** @type {Record<string, string[]>} */
  const out = {};
  for (const [dim, values] of Object.entries(view.filters))
    if (!only || only.includes(dim)) out[`filter.${dim}`] = values;
  return out;
}

/**
 * Whether `name` is one of the range presets (its own keys only: "toString" or "__proto__" in a link is not a range).
 * @param {string} name
 * @returns {name is RangeName}
 */
export function isRange(name) {
  return Object.hasOwn(RANGES, name);
}
