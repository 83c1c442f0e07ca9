import { h } from './dom.js';
import { duration, formats } from './format.js';

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

/** The change against the previous range: relative for counts and money, in points for rates. */
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
  constructor(el, catalogue) {
    this.el = el;
    this.byName = new Map(catalogue.metrics.map((m) => [m.name, m]));
    el.replaceChildren(
      ...TILE_METRICS.map((m) =>
        h(
          'div',
          { class: 'tile', 'data-metric': m, title: this.byName.get(m).doc },
          h('div', { class: 'k' }, this.byName.get(m).label),
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

  /** `previous`: the same query over the preceding range of the same length (null for "all"), for the change line. */
  update(result, query, freshnessLagMs, previous, rangeLabel) {
    this.el.dataset.query = query;
    const row = result.rows[0] ?? {};
    const before = previous?.rows[0] ?? null;
    for (const m of TILE_METRICS) {
      const tile = this.el.querySelector(`[data-metric="${m}"]`);
      const v = row[m] ?? null;
      const p = before ? (before[m] ?? null) : null;
      tile.dataset.value = v === null ? '' : String(v);
      tile.dataset.previous = p === null ? '' : String(p);
      tile.querySelector('.v').textContent = formats[this.byName.get(m).format](v);
      tile.querySelector('.d').textContent = change(v, p, this.byName.get(m).format, rangeLabel);
    }
    const fresh = this.el.querySelector('[data-metric="freshness"]');
    fresh.dataset.value = freshnessLagMs === null ? '' : String(freshnessLagMs);
    fresh.querySelector('.v').textContent = freshnessLagMs === null ? '–' : duration(freshnessLagMs);
  }
}
