// Display formats of the catalogue's metric formats (int, pct, money) and of durations.
/** @import { MetricFormat } from './api.js' */

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const moneyFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** @type {Record<MetricFormat, (v: number | null | undefined) => string>} */
export const formats = {
  int: (v) => (v == null ? '–' : intFmt.format(v)),
  pct: (v) => (v == null ? '–' : `${(v * 100).toFixed(2)}%`),
  money: (v) => (v == null ? '–' : moneyFmt.format(v)),
};

/**
 * A duration in the largest unit that keeps it readable (s, min, h, d).
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function duration(ms) {
  if (ms == null) return '–';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}
