import { apiUrl, getJson } from './api.js';
import { nameColumn } from './breakdown.js';
import { closestTo, find, h } from './dom.js';
/** @import { Catalogue, QueryResult, QueryRow } from './api.js' */
/** @import { View } from './url-state.js' */

/** Display names of dimension values, learnt from any answer that carried them. */
export class NameBook {
  /** @param {Catalogue} catalogue */
  constructor(catalogue) {
    this.catalogue = catalogue;
    /** @type {Map<string, string>} keyed by `dim:value` */
    this.names = new Map();
  }

  /**
   * A value as the page shows it: "name (value)" when its name is known.
   * @param {string} dim
   * @param {string | number} value
   * @returns {string}
   */
  label(dim, value) {
    const name = this.names.get(`${dim}:${value}`);
    return name ? `${name} (${value})` : String(value);
  }

  /**
   * Keeps the names an answer carried for `dim`.
   * @param {string} dim
   * @param {QueryRow[]} rows
   */
  learn(dim, rows) {
    const col = nameColumn(dim, this.catalogue);
    if (col) for (const r of rows) if (r[dim] !== null && r[col]) this.names.set(`${dim}:${r[dim]}`, String(r[col]));
  }

  /**
   * Fetches the names of values not known yet (a view opened from a link).
   * @param {string} dim
   * @param {string[]} values
   * @returns {Promise<void>}
   */
  async ensure(dim, values) {
    const missing = values.filter((v) => !this.names.has(`${dim}:${v}`));
    if (!missing.length || !nameColumn(dim, this.catalogue)) return;
    /** @type {QueryResult} */
    const r = await getJson(
      apiUrl('/api/query', {
        metrics: 'requests',
        by: dim,
        names: 1,
        [`filter.${dim}`]: missing,
        limit: missing.length,
      }),
    );
    this.learn(dim, r.rows);
  }
}

/** Filter chips, and the form that adds one: a dimension, then one of its values (busiest first). */
export class FilterBar {
  /**
   * @param {HTMLElement} root
   * @param {Catalogue} catalogue
   * @param {NameBook} names
   * @param {{ onAdd: (dim: string, value: string) => void, onRemove: (dim: string, value: string) => void }} handlers
   */
  constructor(root, catalogue, names, { onAdd, onRemove }) {
    this.chips = find(root, '#chips', HTMLElement);
    this.dim = find(root, '#filter-dim', HTMLSelectElement);
    this.value = find(root, '#filter-value', HTMLSelectElement);
    this.catalogue = catalogue;
    this.names = names;
    this.dim.replaceChildren(...catalogue.dimensions.map((d) => h('option', { value: d.name }, d.label)));
    this.dim.addEventListener('change', () => this.loadValues());
    find(root, '#add-filter', HTMLFormElement).addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.value.value) onAdd(this.dim.value, this.value.value);
    });
    this.chips.addEventListener('click', (e) => {
      const b = closestTo(e, 'button[data-dim]');
      if (b) onRemove(b.dataset.dim ?? '', b.dataset.value ?? '');
    });
    void this.loadValues();
  }

  /** The chosen dimension's values, busiest first. */
  async loadValues() {
    const dim = this.dim.value;
    /** @type {QueryResult} */
    const r = await getJson(apiUrl('/api/query', { metrics: 'requests', by: dim, names: 1, limit: 500 }));
    this.names.learn(dim, r.rows);
    if (this.dim.value !== dim) return;
    this.value.replaceChildren(
      ...r.rows
        .filter((row) => row[dim] !== null)
        .map((row) =>
          h('option', { value: row[dim] }, this.names.label(dim, /** @type {string | number} */ (row[dim]))),
        ),
    );
  }

  /**
   * The view's filters as chips.
   * @param {View} view
   */
  render(view) {
    /** @param {string} dim */
    const label = (dim) => this.catalogue.dimensions.find((d) => d.name === dim)?.label ?? dim;
    this.chips.replaceChildren(
      ...Object.entries(view.filters).flatMap(([dim, values]) =>
        values.map((v) =>
          h(
            'span',
            { class: 'chip', 'data-dim': dim, 'data-value': v },
            `${label(dim)}: ${this.names.label(dim, v)}`,
            h('button', { type: 'button', 'data-dim': dim, 'data-value': v, 'aria-label': 'remove filter' }, '×'),
          ),
        ),
      ),
    );
  }
}
