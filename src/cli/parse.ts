import { errors } from '../errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as "4h", "30m", "5s", "250ms" (a bare number is milliseconds). */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw errors.badOption(option, `"${text}" is not a duration (e.g. 4h, 30m, 5s, 250ms)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
}

/** Formats milliseconds as the largest whole unit that fits, e.g. 14400000 -> "4h", 90000 -> "90s" (the inverse of parseDuration). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  return `${ms}ms`;
}

/** Parses a non-negative integer option. */
export function parseCount(text: string, option: string): number {
  const n = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 0) throw errors.badOption(option, `"${text}" is not a whole number`);
  return n;
}

/** Parses a comma-separated list option. */
export function parseList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
