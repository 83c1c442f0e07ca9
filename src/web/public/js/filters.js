import { apiUrl, getJson } from './api.js';
import { nameColumn } from './breakdown.js';
import { h } from './dom.js';

/** Display names of dimension values, learnt from any answer that carried them. */
export class NameBook {
  constructor(catalogue) {
    this.catalogue = catalogue;
    this.names = new Map();
  }

  label(dim, value) {
    const name = this.names.get(`${dim}:${value}`);
    return name ? `${name} (${value})` : String(value);
  }

  learn(dim, rows) {
    const col = nameColumn(dim, this.catalogue);
    if (col) for (const r of rows) if (r[dim] !== null && r[col]) this.names.set(`${dim}:${r[dim]}`, r[col]);
  }

  /** Fetches the names of values not known yet (a view opened from a link). */
  async ensure(dim, values) {
    const missing = values.filter((v) => !this.names.has(`${dim}:${v}`));
    if (!missing.length || !nameColumn(dim, this.catalogue)) return;
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
  constructor(root, catalogue, names, { onAdd, onRemove }) {
    this.chips = root.querySelector('#chips');
    this.dim = root.querySelector('#filter-dim');
    this.value = root.querySelector('#filter-value');
    this.catalogue = catalogue;
    this.names = names;
    this.dim.replaceChildren(...catalogue.dimensions.map((d) => h('option', { value: d.name }, d.label)));
    this.dim.addEventListener('change', () => this.loadValues());
    root.querySelector('#add-filter').addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.value.value) onAdd(this.dim.value, this.value.value);
    });
    this.chips.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-dim]');
      if (b) onRemove(b.dataset.dim, b.dataset.value);
    });
    void this.loadValues();
  }

  async loadValues() {
    const dim = this.dim.value;
    const r = await getJson(apiUrl('/api/query', { metrics: 'requests', by: dim, names: 1, limit: 500 }));
    this.names.learn(dim, r.rows);
    if (this.dim.value !== dim) return;
    this.value.replaceChildren(
      ...r.rows
        .filter((row) => row[dim] !== null)
        .map((row) => h('option', { value: row[dim] }, this.names.label(dim, row[dim]))),
    );
  }

  render(view) {
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
