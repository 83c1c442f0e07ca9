import { metricInfo, metricValue } from './api.js';
import { find, h } from './dom.js';
import { duration, formats } from './format.js';
/** @import { Catalogue, MetricFormat, QueryResult } from './api.js' */

/** The headline metrics, in order. */
export const TILE_METRICS = [
  'requests',
  'fills',
  'fill_rate',
  'exposures',
  'viewable_exposures',
  'viewability_rate',
  'clicks',
  'ctr',
  'spend',
  'ecpm',
];

/**
 * The change against the previous range: relative for counts and money, in points for rates.
 * @param {number | null} now
 * @param {number | null} before
 * @param {MetricFormat} format
 * @param {string} rangeLabel
 * @returns {string}
 */
function change(now, before, format, rangeLabel) {
  if (now === null || before === null) return '';
  if (format === 'pct') {
    const pp = (now - before) * 100;
    return `${pp >= 0 ? '▲' : '▼'} ${Math.abs(pp).toFixed(2)} pt vs previous ${rangeLabel}`;
  }
  if (before === 0) return '';
  const rel = ((now - before) / before) * 100;
  return `${rel >= 0 ? '▲' : '▼'} ${Math.abs(rel).toFixed(1)}% vs previous ${rangeLabel}`;
}

/** Live totals: built once, then only their text changes (no flicker). */
export class Tiles {
  /**
   * @param {HTMLElement} el
   * @param {Catalogue} catalogue
   */
  constructor(el, catalogue) {
    this.el = el;
    this.metrics = TILE_METRICS.map((m) => metricInfo(catalogue, m));
    el.replaceChildren(
      ...this.metrics.map((m) =>
        h(
          'div',
          { class: 'tile', 'data-metric': m.name, title: m.doc },
          h('div', { class: 'k' }, m.label),
          h('div', { class: 'v' }, '–'),
          h('div', { class: 'd' }),
        ),
      ),
      h(
        'div',
        { class: 'tile', 'data-metric': 'freshness', title: 'wall time since the newest queryable event' },
        h('div', { class: 'k' }, 'Data freshness'),
        h('div', { class: 'v' }, '–'),
      ),
    );
  }

  /**
   * `previous`: the same query over the preceding range of the same length (null for "all"), for the change line.
   * @param {QueryResult} result
   * @param {string} query the URL that answered, kept on the tiles for tests and for the curious
   * @param {number | null} freshnessLagMs
   * @param {QueryResult | null} previous
   * @param {string} rangeLabel
   */
  update(result, query, freshnessLagMs, previous, rangeLabel) {
    this.el.dataset.query = query;
    const row = result.rows[0] ?? {};
    const before = previous?.rows[0] ?? null;
    for (const m of this.metrics) {
      const tile = find(this.el, `[data-metric="${m.name}"]`, HTMLElement);
      const v = metricValue(row, m.name);
      const p = before ? metricValue(before, m.name) : null;
      tile.dataset.value = v === null ? '' : String(v);
      tile.dataset.previous = p === null ? '' : String(p);
      find(tile, '.v', HTMLElement).textContent = formats[m.format](v);
      find(tile, '.d', HTMLElement).textContent = change(v, p, m.format, rangeLabel);
    }
    const fresh = find(this.el, '[data-metric="freshness"]', HTMLElement);
    fresh.dataset.value = freshnessLagMs === null ? '' : String(freshnessLagMs);
    find(fresh, '.v', HTMLElement).textContent = freshnessLagMs === null ? '–' : duration(freshnessLagMs);
  }
}
