/* global uPlot */
// Time series on uPlot, a library built for streaming charts: each refresh replaces the data of the same chart
// (setData), so nothing is torn down and redrawn from scratch.
import { metricValue } from './api.js';
import { h } from './dom.js';
/** @import UPlot from 'uplot' */
/** @import { QueryRow } from './api.js' */

/** @typedef {{ name: string, label: string, color: string, scale: string }} SeriesSpec */

/** The length of a chart granularity's period. */
const GRAIN_MS = { minute: 60_000, hour: 3_600_000 };
const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const FILLING = 'still filling';

/**
 * API times (ISO 8601, or a zone-less UTC timestamp) as uPlot's x values: seconds since the epoch.
 * @param {unknown} t
 * @returns {number}
 */
function seconds(t) {
  const s = String(t);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`) / 1000;
}

export class SeriesChart {
  /**
   * `series`: [{ name, label, color, scale }] over API rows with a `time` column; `scales`: one y axis each, the first
   * on the left. Each series is drawn twice: solid where its periods are complete, dashed where they are still
   * filling (a period still taking events must not read as a collapse of traffic).
   * @param {HTMLElement} el
   * @param {SeriesSpec[]} series
   * @param {string[]} scales
   */
  constructor(el, series, scales) {
    this.el = el;
    this.series = series;
    /** @type {UPlot | null} */
    this.plot = null;
    /** @type {(number | null)[][]} every series' values as the API answered, filling ones included: the legend's */
    this.values = [];
    /** @type {boolean[]} whether each point's period is still filling */
    this.filling = [];
    this.note = h('p', { class: 'hint filling-note' });
    el.after(this.note);
    const n = series.length;
    /** @type {UPlot.Options} */
    this.opts = {
      width: Math.max(300, el.clientWidth),
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      series: [
        { label: 'time (UTC)' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          scale: s.scale,
          points: { show: false },
          value: (
            /** @type {UPlot} */ _u,
            /** @type {unknown} */ _v,
            /** @type {number} */ _si,
            /** @type {number | null} */ idx,
          ) => this.legendValue(i, idx),
        })),
        // The twins: hidden from the legend (the CSS hides class "filling"), which shows every value on its series.
        ...series.map((s) => ({
          label: `${s.label} (${FILLING})`,
          class: 'filling',
          stroke: s.color,
          width: 1.5,
          dash: [5, 4],
          alpha: 0.7,
          scale: s.scale,
          points: { show: false },
        })),
      ],
      axes: [{}, ...scales.map((scale, i) => ({ scale, side: i === 0 ? 3 : 1, grid: { show: i === 0 }, size: 60 }))],
      legend: { live: true },
      hooks: {
        // Hiding a series from its legend entry hides its twin too.
        setSeries: [
          (u, i, o) => {
            if (i !== null && i >= 1 && i <= n && o.show !== undefined) u.setSeries(i + n, { show: o.show }, false);
          },
        ],
      },
    };
    new ResizeObserver(() => this.plot?.setSize({ width: Math.max(300, el.clientWidth), height: 240 })).observe(el);
  }

  /**
   * @param {QueryRow[]} rows
   * @param {string} query the URL that answered, kept on the chart for tests and for the curious
   * @param {string | null} fillingFrom the freshness's `filling_from`: periods ending after it are still filling
   * @param {'minute' | 'hour'} grain the rows' granularity
   */
  update(rows, query, fillingFrom, grain) {
    const from = fillingFrom === null ? Number.POSITIVE_INFINITY : Date.parse(fillingFrom);
    const times = rows.map((r) => seconds(r.time));
    this.filling = times.map((t) => t * 1000 + GRAIN_MS[grain] > from);
    this.values = this.series.map((s) => rows.map((r) => metricValue(r, s.name)));
    const first = this.filling.indexOf(true);
    // The dashed part starts at the last complete period, so the line runs on without a gap.
    const dashed = (/** @type {number} */ i) => this.filling[i] || (first > 0 && i === first - 1);
    const count = first < 0 ? 0 : times.length - first;
    this.el.dataset.query = query;
    this.el.dataset.points = String(rows.length);
    this.el.dataset.fillingFrom = fillingFrom ?? '';
    this.el.dataset.fillingPoints = String(count);
    const start = times[first];
    this.note.textContent =
      start === undefined
        ? ''
        : `Dashed from ${new Date(start * 1000).toISOString().slice(11, 16)} UTC: ${FILLING}, more events are on their way.`;
    /** @type {UPlot.AlignedData} */
    const data = [
      times,
      ...this.values.map((v) => v.map((x, i) => (this.filling[i] ? null : x))),
      ...this.values.map((v) => v.map((x, i) => (dashed(i) ? x : null))),
    ];
    if (this.plot) this.plot.setData(data);
    else this.plot = new uPlot(this.opts, data, this.el);
  }

  /**
   * The legend's text for series `i` at point `idx`: the API's value, marked while its period is still filling.
   * @param {number} i
   * @param {number | null} idx
   * @returns {string}
   */
  legendValue(i, idx) {
    const v = idx === null ? null : (this.values[i]?.[idx] ?? null);
    if (v === null || idx === null) return '--';
    return this.filling[idx] ? `${number.format(v)} (${FILLING})` : number.format(v);
  }
}
