import { metricInfo, metricValue } from './api.js';
import { closestTo, h, tableBody } from './dom.js';
import { formats } from './format.js';
import { TILE_METRICS } from './tiles.js';
/** @import { Catalogue, QueryResult } from './api.js' */
/** @import { View } from './url-state.js' */

/** Rows the page shows; the CSV export has every row. */
export const LIMIT = 100;

/** The breakdown table's metric columns, in order: the headline metrics, then cost per click. */
export const TABLE_METRICS = [...TILE_METRICS, 'cpc'];

/**
 * The column holding a dimension's display name in API rows (campaign_id -> campaign_name), or null.
 * @param {string} dim
 * @param {Catalogue} catalogue
 * @returns {string | null}
 */
export function nameColumn(dim, catalogue) {
  return catalogue.dimensions.find((d) => d.name === dim)?.has_names ? dim.replace(/_id$/, '_name') : null;
}

/** One row per value of the chosen dimension; headers sort, rows drill down or filter. */
export class BreakdownTable {
  /**
   * @param {HTMLTableElement} table
   * @param {Catalogue} catalogue
   * @param {{ onSort: (col: string) => void, onRow: (key: string, name: string | null) => void }} handlers
   * @param {HTMLElement} more where the page says it shows only the first rows
   */
  constructor(table, catalogue, { onSort, onRow }, more) {
    this.table = table;
    this.more = more;
    this.catalogue = catalogue;
    this.signature = '';
    /** @param {Event} e */
    const activate = (e) => {
      const th = closestTo(e, 'th[data-col]');
      if (th) return onSort(th.dataset.col ?? '');
      const tr = closestTo(e, 'tr.clickable');
      if (tr) onRow(tr.dataset.key ?? '', tr.dataset.name || null);
    };
    table.addEventListener('click', activate);
    // Headers and rows take the keyboard focus too: Enter does what a click does.
    table.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') activate(e);
    });
  }

  /**
   * @param {QueryResult} result
   * @param {View} view
   * @param {string} query the URL that answered, kept on the table for tests and for the curious
   */
  update(result, view, query) {
    this.table.dataset.query = query;
    // Rebuild only when something changed: a steady table does not blink under the pointer.
    const signature = JSON.stringify([view.by, view.sort, view.dir, result.rows]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.more.textContent =
      result.rows.length >= LIMIT ? `Showing the first ${LIMIT} rows; Export CSV has them all.` : '';
    const metricDefs = TABLE_METRICS.map((m) => metricInfo(this.catalogue, m));
    const dimDef = this.catalogue.dimensions.find((d) => d.name === view.by);
    const nameCol = nameColumn(view.by, this.catalogue);
    /** @type {(col: string, label: string, title?: string) => HTMLTableCellElement} */
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
    this.table
      .createTHead()
      .replaceChildren(
        h(
          'tr',
          {},
          header(view.by, dimDef?.label ?? view.by),
          ...metricDefs.map((m) => header(m.name, m.label, m.doc)),
        ),
      );
    const rows = result.rows.map((r) => {
      const key = r[view.by] ?? null;
      const name = nameCol ? r[nameCol] : null;
      const cells = metricDefs.map((m) =>
        h(
          'td',
          { 'data-col': m.name, 'data-value': metricValue(r, m.name) ?? '' },
          formats[m.format](metricValue(r, m.name)),
        ),
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
    tableBody(this.table).replaceChildren(
      ...(rows.length
        ? rows
        : [h('tr', {}, h('td', { colspan: TABLE_METRICS.length + 1, class: 'muted' }, 'No data in this range.'))]),
    );
  }
}
