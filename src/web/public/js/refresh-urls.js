// What one refresh of the page asks the API, apart from /api/status: the page (main.js) and adw bench --serve
// (src/bench/dashboard-clients.ts) both send exactly these, so the benchmark measures the page's own load.
import { apiUrl } from './api.js';
import { LIMIT, TABLE_METRICS } from './breakdown.js';
import { TILE_METRICS } from './tiles.js';
import { filterParams, granularityOf, previousRange, rangeParams } from './url-state.js';
/** @import { View } from './url-state.js' */

/**
 * @typedef {object} RefreshUrls
 * @property {string} totals the tiles
 * @property {string} series both charts' series
 * @property {string} table the breakdown table
 * @property {string} pacing the pacing table
 * @property {string | null} previous the tiles' previous range (null when the range is unbounded)
 */

/**
 * The view's range (ending with the minute of `as_of`) and filters as API parameters: what every query of the view has.
 * @param {View} view
 * @param {number | null} asOfMs
 */
export function viewParams(view, asOfMs) {
  return { ...rangeParams(view, asOfMs), ...filterParams(view) };
}

/**
 * The URLs of one refresh of `view`, its range ending with the minute of the freshness's `as_of` (null: no data yet).
 * @param {View} view
 * @param {number | null} asOfMs
 * @returns {RefreshUrls}
 */
export function refreshUrls(view, asOfMs) {
  const range = rangeParams(view, asOfMs);
  const base = viewParams(view, asOfMs);
  return {
    totals: apiUrl('/api/query', { metrics: TILE_METRICS, ...base }),
    series: apiUrl('/api/query', {
      metrics: 'requests,exposures,viewable_exposures,clicks,spend',
      granularity: granularityOf(view),
      ...base,
      limit: 100000,
    }),
    table: apiUrl('/api/query', {
      metrics: TABLE_METRICS,
      by: view.by,
      names: 1,
      order_by: view.sort,
      order_dir: view.dir,
      limit: LIMIT,
      ...base,
    }),
    pacing: apiUrl('/api/pacing', { ...filterParams(view, ['advertiser_id', 'campaign_id']), limit: 15 }),
    previous: range.from
      ? apiUrl('/api/query', { metrics: TILE_METRICS, ...previousRange(range), ...filterParams(view) })
      : null,
  };
}
