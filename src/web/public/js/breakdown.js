import { esc, formats } from './format.js';

/** Rows the page shows; the CSV export has every row. */
export const LIMIT = 100;

/** The breakdown table's metric columns, in order. */
export const TABLE_METRICS = ['requests', 'fills', 'fill_rate', 'exposures', 'viewable_exposures', 'viewability_rate', 'clicks', 'ctr', 'spend', 'ecpm', 'cpc'];

/** The column holding a dimension's display name in API rows (campaign_id -> campaign_name), or null. */
export function nameColumn(dim, catalogue) {
  return catalogue.dimensions.find((d) => d.name === dim)?.has_names ? dim.replace(/_id$/, '_name') : null;
}

/** One row per value of the chosen dimension; headers sort, rows drill down or filter. */
export class BreakdownTable {
  constructor(table, catalogue, { onSort, onRow }, more) {
    this.table = table;
    this.more = more;
    this.catalogue = catalogue;
    this.signature = '';
    const activate = (target) => {
      const th = target.closest('th[data-col]');
      if (th) return onSort(th.dataset.col);
      const tr = target.closest('tr.clickable');
      if (tr) onRow(tr.dataset.key, tr.dataset.name || null);
    };
    table.addEventListener('click', (e) => activate(e.target));
    // Headers and rows take the keyboard focus too: Enter does what a click does.
    table.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') activate(e.target);
    });
  }

  update(result, view, query) {
    this.table.dataset.query = query;
    // Rebuild only when something changed: a steady table does not blink under the pointer.
    const signature = JSON.stringify([view.by, view.sort, view.dir, result.rows]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.more.textContent = result.rows.length >= LIMIT ? `Showing the first ${LIMIT} rows; Export CSV has them all.` : '';
    const metricDef = new Map(this.catalogue.metrics.map((m) => [m.name, m]));
    const dimDef = this.catalogue.dimensions.find((d) => d.name === view.by);
    const nameCol = nameColumn(view.by, this.catalogue);
    const sortAttr = (col) => (col === view.sort ? ` aria-sort="${view.dir === 'asc' ? 'ascending' : 'descending'}"` : '');
    this.table.tHead.innerHTML = `<tr><th tabindex="0" data-col="${view.by}"${sortAttr(view.by)}>${esc(dimDef?.label ?? view.by)}</th>${TABLE_METRICS.map((m) => `<th tabindex="0" data-col="${m}"${sortAttr(m)} title="${esc(metricDef.get(m).doc)}">${esc(metricDef.get(m).label)}</th>`).join('')}</tr>`;
    this.table.tBodies[0].innerHTML = result.rows
      .map((r) => {
        const key = r[view.by];
        const name = nameCol ? r[nameCol] : null;
        const label = key === null ? '<em>(unattributed)</em>' : name ? `${esc(name)}<span class="id">${esc(key)}</span>` : esc(key);
        const cells = TABLE_METRICS.map((m) => `<td data-col="${m}" data-value="${r[m] ?? ''}">${formats[metricDef.get(m).format](r[m])}</td>`).join('');
        return key === null || key === undefined
          ? `<tr data-key=""><td data-col="${view.by}" data-value="">${label}</td>${cells}</tr>`
          : `<tr class="clickable" tabindex="0" data-key="${esc(key)}" data-name="${esc(name ?? '')}"><td data-col="${view.by}" data-value="${esc(key)}">${label}</td>${cells}</tr>`;
      })
      .join('') || `<tr><td colspan="${TABLE_METRICS.length + 1}" class="muted">No data in this range.</td></tr>`;
  }
}
