/* global uPlot */
// Time series on uPlot, a library built for streaming charts: each refresh replaces the data of the same chart
// (setData), so nothing is torn down and redrawn from scratch.

/** API times (ISO 8601, or a zone-less UTC timestamp) as uPlot's x values: seconds since the epoch. */
function seconds(t) {
  const s = String(t);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`) / 1000;
}

export class SeriesChart {
  /** `series`: [{ name, label, color, scale }] over API rows with a `time` column. */
  constructor(el, series, scales) {
    this.el = el;
    this.series = series;
    this.plot = null;
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

  update(rows, query) {
    this.el.dataset.query = query;
    this.el.dataset.points = String(rows.length);
    const data = [rows.map((r) => seconds(r.time)), ...this.series.map((s) => rows.map((r) => r[s.name] ?? null))];
    if (this.plot) this.plot.setData(data);
    else this.plot = new uPlot(this.opts, data, this.el);
  }
}
