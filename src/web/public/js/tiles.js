import { metricInfo, metricValue } from './api.js';
import { find, h } from './dom.js';
import { duration, formats } from './format.js';
/** @import { Catalogue, Freshness, MetricFormat, QueryResult } from './api.js' */

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

/**
 * The event-time clock, labelled as such: on a replay it is the replay's age, not how stale the data is.
 * @param {Freshness} f
 * @returns {string}
 */
function eventTimeLine(f) {
  if (f.event_lag_ms === null) return '';
  const ahead = f.clock_ahead_ms ? `; client clocks up to ${duration(f.clock_ahead_ms)} ahead` : '';
  return `event time ${duration(f.event_lag_ms)} behind the wall clock${ahead}`;
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
        {
          class: 'tile',
          'data-metric': 'freshness',
          title:
            'wall time since the warehouse last committed a checkpoint; below it, how far the event time it holds is behind the wall clock',
        },
        h('div', { class: 'k' }, 'Data freshness'),
        h('div', { class: 'v' }, '–'),
        h('div', { class: 'd' }),
      ),
    );
  }

  /**
   * `previous`: the same query over the preceding range of the same length (null for "all"), for the change line.
   * @param {QueryResult} result
   * @param {string} query the URL that answered, kept on the tiles for tests and for the curious
   * @param {Freshness} freshness
   * @param {QueryResult | null} previous
   * @param {string} rangeLabel
   */
  update(result, query, freshness, previous, rangeLabel) {
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
    fresh.dataset.value = freshness.lag_ms === null ? '' : String(freshness.lag_ms);
    fresh.dataset.eventLag = freshness.event_lag_ms === null ? '' : String(freshness.event_lag_ms);
    fresh.dataset.clockAhead = freshness.clock_ahead_ms === null ? '' : String(freshness.clock_ahead_ms);
    find(fresh, '.v', HTMLElement).textContent = duration(freshness.lag_ms);
    find(fresh, '.d', HTMLElement).textContent = eventTimeLine(freshness);
  }
}
