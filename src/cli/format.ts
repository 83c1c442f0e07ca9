import { UNITS } from './parse.ts';

/**
 * Formats milliseconds as the largest whole unit that fits, e.g. 14400000 -> "4h", 90000 -> "90s" (what parseDuration
 * reads back).
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const)
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  return `${ms}ms`;
}

/** A fraction as a percentage with two decimals. */
export const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
