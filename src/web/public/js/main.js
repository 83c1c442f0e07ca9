import { apiUrl, getJson } from './api.js';
import { BreakdownTable, TABLE_METRICS } from './breakdown.js';
import { SeriesChart } from './charts.js';
import { closestTo, find, h } from './dom.js';
import { FilterBar, NameBook } from './filters.js';
import { HealthPanel } from './health.js';
import { PacingTable } from './pacing.js';
import { refreshUrls, viewParams } from './refresh-urls.js';
import { Tiles } from './tiles.js';
import { DRILL, RANGES, filterParams, granularityOf, isRange, readView, writeView } from './url-state.js';
/** @import { Catalogue, PacingResult, QueryResult, Status } from './api.js' */
/** @import { View } from './url-state.js' */

/**
 * The page's element with this id (index.html has them all), of the class the code relies on: `type`, else HTMLElement.
 * @overload
 * @param {string} id
 * @returns {HTMLElement}
 */
/**
 * @template {HTMLElement} T
 * @overload
 * @param {string} id
 * @param {{ new (): T, prototype: T }} type
 * @returns {T}
 */
/**
 * @param {string} id
 * @param {{ new (): HTMLElement, prototype: HTMLElement }} [type]
 */
function $(id, type = HTMLElement) {
  return find(document, `#${id}`, type);
}
const REFRESH_MS = 1000;

/** @type {Catalogue} */
const catalogue = await getJson('/api/catalogue');
const dimensionNames = catalogue.dimensions.map((d) => d.name);
let view = sanitize(readView(location.search));
/** Bumped by every change of view: an answer fetched for an older view is dropped, never shown. */
let generation = 0;
let busy = false;
let again = false;

const names = new NameBook(catalogue);
const tiles = new Tiles($('tiles'), catalogue);
const traffic = new SeriesChart(
  $('chart-traffic'),
  [
    { name: 'requests', label: 'requests', color: '#2f6fde', scale: 'count' },
    { name: 'exposures', label: 'exposures', color: '#12b76a', scale: 'count' },
    { name: 'viewable_exposures', label: 'viewable', color: '#7a5af8', scale: 'count' },
    { name: 'clicks', label: 'clicks (right)', color: '#f79009', scale: 'clicks' },
  ],
  ['count', 'clicks'],
);
const spend = new SeriesChart(
  $('chart-spend'),
  [{ name: 'spend', label: 'spend', color: '#e31b54', scale: 'money' }],
  ['money'],
);
const breakdown = new BreakdownTable(
  $('breakdown-table', HTMLTableElement),
  catalogue,
  {
    onSort: (col) => setView({ sort: col, dir: col === view.sort && view.dir === 'desc' ? 'asc' : 'desc' }),
    onRow: (key, name) => drill(key, name),
  },
  $('breakdown-more'),
);
const pacing = new PacingTable($('pacing-table', HTMLTableElement), $('pacing-day'));
const health = new HealthPanel($('health-list'), $('health-mode'));
const filterBar = new FilterBar($('filters'), catalogue, names, {
  onAdd: (dim, value) =>
    setView({ filters: { ...view.filters, [dim]: [...new Set([...(view.filters[dim] ?? []), value])] } }),
  onRemove: (dim, value) => {
    const left = (view.filters[dim] ?? []).filter((v) => v !== value);
    const filters = { ...view.filters, [dim]: left };
    if (!left.length) delete filters[dim];
    setView({ filters });
  },
});

$('ranges').replaceChildren(...Object.keys(RANGES).map((r) => h('button', { type: 'button', 'data-range': r }, r)));
$('ranges').addEventListener('click', (e) => {
  const range = closestTo(e, 'button[data-range]')?.dataset.range;
  if (range !== undefined && isRange(range)) setView({ range });
});
$('by', HTMLSelectElement).replaceChildren(...catalogue.dimensions.map((d) => h('option', { value: d.name }, d.label)));
$('by', HTMLSelectElement).addEventListener('change', () => setView({ by: $('by', HTMLSelectElement).value }));
$('crumbs').addEventListener('click', (e) => {
  const a = closestTo(e, 'a[data-level]');
  if (!a) return;
  // Going back up the path drops the filters below that level.
  const level = Number(a.dataset.level);
  const filters = { ...view.filters };
  for (const dim of DRILL.slice(level)) delete filters[dim];
  setView({ filters, by: DRILL[level] });
});
window.addEventListener('popstate', () => {
  view = sanitize(readView(location.search));
  changed();
});

/**
 * Unknown names in a hand-edited link fall back to the defaults rather than failing every query.
 * @param {View} v
 * @returns {View}
 */
function sanitize(v) {
  const filters = Object.fromEntries(Object.entries(v.filters).filter(([d]) => dimensionNames.includes(d)));
  const by = dimensionNames.includes(v.by) ? v.by : 'advertiser_id';
  const sort = [by, ...TABLE_METRICS].includes(v.sort) ? v.sort : 'spend';
  return { ...v, filters, by, sort };
}

/**
 * A row clicked: one level down the drill-down path, or (on other dimensions) a filter by that value.
 * @param {string} key
 * @param {string | null} name
 */
function drill(key, name) {
  const level = DRILL.indexOf(view.by);
  if (name) names.names.set(`${view.by}:${key}`, name);
  const filters = { ...view.filters, [view.by]: [key] };
  if (level >= 0 && level < DRILL.length - 1)
    setView({ filters, by: DRILL[level + 1], sort: view.sort === view.by ? 'spend' : view.sort });
  else setView({ filters });
}

/**
 * Changes the view, as a new entry of the browser's history.
 * @param {Partial<View>} patch
 */
function setView(patch) {
  view = sanitize({ ...view, ...patch });
  history.pushState(null, '', writeView(view));
  changed();
}

function changed() {
  generation++;
  renderControls();
  void refresh();
}

function renderControls() {
  for (const b of $('ranges').querySelectorAll('button'))
    b.setAttribute('aria-pressed', String(b.dataset.range === view.range));
  $('by', HTMLSelectElement).value = view.by;
  for (const el of document.querySelectorAll('.grain')) el.textContent = granularityOf(view);
  filterBar.render(view);
  /** @type {HTMLElement[]} */
  const path = [h('a', { 'data-level': 0 }, 'All advertisers')];
  for (const [i, dim] of DRILL.slice(0, -1).entries()) {
    const v = view.filters[dim];
    const only = v?.length === 1 ? v[0] : undefined;
    if (only === undefined) break;
    path.push(h('span', { class: 'sep' }, '›'), h('a', { 'data-level': i + 1 }, names.label(dim, only)));
  }
  $('crumbs').replaceChildren(...path);
}

async function refresh() {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  const gen = generation;
  try {
    /** @type {Status} */
    const status = await getJson('/api/status');
    const asOf = status.freshness.as_of ? Date.parse(status.freshness.as_of) : null;
    const urls = refreshUrls(view, asOf);
    /**
     * @type {[Promise<QueryResult>, Promise<QueryResult>, Promise<QueryResult>, Promise<PacingResult>,
     * Promise<QueryResult> | null]}
     */
    const answers = [
      getJson(urls.totals),
      getJson(urls.series),
      getJson(urls.table),
      getJson(urls.pacing),
      urls.previous ? getJson(urls.previous) : null,
    ];
    const [totals, series, table, pace, previous] = await Promise.all(answers);
    if (gen !== generation) return;
    names.learn(view.by, table.rows);
    tiles.update(totals, urls.totals, status.freshness, previous, view.range);
    // Which periods are still filling, by the freshness that came with the series' rows.
    traffic.update(series.rows, urls.series, series.freshness.filling_from, granularityOf(view));
    spend.update(series.rows, urls.series, series.freshness.filling_from, granularityOf(view));
    breakdown.update(table, view, urls.table);
    pacing.update(pace, urls.pacing);
    health.update(status);
    $('freshness').textContent = status.freshness.as_of
      ? `events up to ${status.freshness.as_of.replace('T', ' ').slice(0, 19)} UTC`
      : 'no data yet';
    $('breakdown-csv', HTMLAnchorElement).href = apiUrl('/api/query', {
      metrics: TABLE_METRICS,
      by: view.by,
      names: 1,
      order_by: view.sort,
      order_dir: view.dir,
      limit: 100000,
      ...viewParams(view, asOf),
      format: 'csv',
    });
    $('pacing-csv', HTMLAnchorElement).href = apiUrl('/api/pacing', {
      ...filterParams(view, ['advertiser_id', 'campaign_id']),
      limit: 100000,
      format: 'csv',
    });
    $('error').hidden = true;
    document.body.dataset.view = writeView(view);
  } catch (e) {
    $('error').textContent = `Could not refresh: ${e instanceof Error ? e.message : e}`;
    $('error').hidden = false;
  } finally {
    busy = false;
    if (again || gen !== generation) {
      again = false;
      void refresh();
    }
  }
}

// Names for chips and crumbs of a view opened from a link.
await Promise.all(Object.entries(view.filters).map(([dim, values]) => names.ensure(dim, values).catch(() => {})));
history.replaceState(null, '', writeView(view));
changed();
setInterval(() => void refresh(), REFRESH_MS);
