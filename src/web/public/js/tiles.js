import { duration, esc, formats } from './format.js';

/** The headline metrics, in order. */
export const TILE_METRICS = ['requests', 'fills', 'fill_rate', 'exposures', 'viewable_exposures', 'viewability_rate', 'clicks', 'ctr', 'spend', 'ecpm'];

/** Live totals: built once, then only their text changes (no flicker). */
export class Tiles {
  constructor(el, catalogue) {
    this.el = el;
    this.byName = new Map(catalogue.metrics.map((m) => [m.name, m]));
    el.innerHTML =
      TILE_METRICS.map((m) => `<div class="tile" data-metric="${m}" title="${esc(this.byName.get(m).doc)}"><div class="k">${esc(this.byName.get(m).label)}</div><div class="v">–</div></div>`).join('') +
      `<div class="tile" data-metric="freshness" title="wall time since the newest queryable event"><div class="k">Data freshness</div><div class="v">–</div></div>`;
  }

  update(result, query, freshnessLagMs) {
    this.el.dataset.query = query;
    const row = result.rows[0] ?? {};
    for (const m of TILE_METRICS) {
      const tile = this.el.querySelector(`[data-metric="${m}"]`);
      const v = row[m] ?? null;
      tile.dataset.value = v === null ? '' : String(v);
      tile.querySelector('.v').textContent = formats[this.byName.get(m).format](v);
    }
    const fresh = this.el.querySelector('[data-metric="freshness"]');
    fresh.dataset.value = freshnessLagMs === null ? '' : String(freshnessLagMs);
    fresh.querySelector('.v').textContent = freshnessLagMs === null ? '–' : duration(freshnessLagMs);
  }
}
