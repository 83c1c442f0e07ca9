/* global uPlot */
// Time series on uPlot, a library built for streaming charts: each refresh replaces the data of the same chart
// (setData), so nothing is torn down and redrawn from scratch.
import { metricValue } from './api.js';
/** @import UPlot from 'uplot' */
/** @import { QueryRow } from './api.js' */

/** @typedef {{ name: string, label: string, color: string, scale: string }} SeriesSpec */

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
   * on the left.
   * @param {HTMLElement} el
   * @param {SeriesSpec[]} series
   * @param {string[]} scales
   */
  constructor(el, series, scales) {
    this.el = el;
    this.series = series;
    /** @type {UPlot | null} */
    this.plot = null;
    /** @type {UPlot.Options} */
    this.opts = {
      width: Math.max(300, el.clientWidth),
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      series: [
        { label: 'time (UTC)' },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          scale: s.scale,
          points: { show: false },
        })),
      ],
      axes: [{}, ...scales.map((scale, i) => ({ scale, side: i === 0 ? 3 : 1, grid: { show: i === 0 }, size: 60 }))],
      legend: { live: true },
    };
    new ResizeObserver(() => this.plot?.setSize({ width: Math.max(300, el.clientWidth), height: 240 })).observe(el);
  }

  /**
   * @param {QueryRow[]} rows
   * @param {string} query the URL that answered, kept on the chart for tests and for the curious
   */
  update(rows, query) {
    this.el.dataset.query = query;
    this.el.dataset.points = String(rows.length);
    /** @type {UPlot.AlignedData} */
    const data = [rows.map((r) => seconds(r.time)), ...this.series.map((s) => rows.map((r) => metricValue(r, s.name)))];
    if (this.plot) this.plot.setData(data);
    else this.plot = new uPlot(this.opts, data, this.el);
  }
}
