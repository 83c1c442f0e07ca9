import { h } from './dom.js';
import { formats } from './format.js';

/** Rows the page shows; the CSV export has every row. */
export const LIMIT = 100;

/** The breakdown table's metric columns, in order. */
export const TABLE_METRICS = [
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
  'cpc',
];

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
    this.more.textContent =
      result.rows.length >= LIMIT ? `Showing the first ${LIMIT} rows; Export CSV has them all.` : '';
    const metricDef = new Map(this.catalogue.metrics.map((m) => [m.name, m]));
    const dimDef = this.catalogue.dimensions.find((d) => d.name === view.by);
    const nameCol = nameColumn(view.by, this.catalogue);
    const header = (col, label, title) =>
      h(
        'th',
        {
          tabindex: 0,
          'data-col': col,
          'aria-sort': col === view.sort ? (view.dir === 'asc' ? 'ascending' : 'descending') : null,
          title,
        },
        label,
      );
    this.table.tHead.replaceChildren(
      h(
        'tr',
        {},
        header(view.by, dimDef?.label ?? view.by),
        ...TABLE_METRICS.map((m) => header(m, metricDef.get(m).label, metricDef.get(m).doc)),
      ),
    );
    const rows = result.rows.map((r) => {
      const key = r[view.by] ?? null;
      const name = nameCol ? r[nameCol] : null;
      const cells = TABLE_METRICS.map((m) =>
        h('td', { 'data-col': m, 'data-value': r[m] ?? '' }, formats[metricDef.get(m).format](r[m])),
      );
      if (key === null)
        return h(
          'tr',
          { 'data-key': '' },
          h('td', { 'data-col': view.by, 'data-value': '' }, h('em', {}, '(unattributed)')),
          cells,
        );
      const label = name ? [name, h('span', { class: 'id' }, key)] : [key];
      return h(
        'tr',
        { class: 'clickable', tabindex: 0, 'data-key': key, 'data-name': name ?? '' },
        h('td', { 'data-col': view.by, 'data-value': key }, label),
        cells,
      );
    });
    this.table.tBodies[0].replaceChildren(
      ...(rows.length
        ? rows
        : [h('tr', {}, h('td', { colspan: TABLE_METRICS.length + 1, class: 'muted' }, 'No data in this range.'))]),
    );
  }
}
