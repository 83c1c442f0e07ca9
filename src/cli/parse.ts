import { errors } from '../errors.ts';

/** Milliseconds per duration unit. */
export const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration such as "4h", "30m", "5s", "250ms" (a bare number is milliseconds). */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw errors.badOption(option, `"${text}" is not a duration (e.g. 4h, 30m, 5s, 250ms)`);
  // The pattern admits only UNITS' keys as the suffix.
  const unit = (m[2] ?? 'ms') as keyof typeof UNITS;
  return Math.round(Number(m[1]) * UNITS[unit]);
}

/** The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days): a longer one fires after 1 ms, with a warning. */
const TIMER_MAX_MS = 2 ** 31 - 1;

/** Parses a duration that a timer waits for (an interval, a timeout): at most what Node's timers take (24 days). */
export function parseInterval(text: string, option: string): number {
  const ms = parseDuration(text, option);
  if (ms > TIMER_MAX_MS)
    throw errors.badOption(option, `"${text.slice(0, 40)}" is longer than a timer waits (at most 24d)`);
  return ms;
}

/**
 * A whole number's text as a number: decimal digits, which may be grouped by _; NaN for anything else (blank, a sign,
 * a point), including what Number() would read otherwise (0x10 as 16, 1e3 as 1000, 0b11 as 3).
 */
function wholeNumber(text: string): number {
  const t = text.trim();
  return /^\d+(?:_\d+)*$/.test(t) ? Number(t.replaceAll('_', '')) : Number.NaN;
}

/** Parses a whole number option, at least `least` (0 by default). */
export function parseCount(text: string, option: string, least = 0): number {
  const n = wholeNumber(text);
  if (!Number.isSafeInteger(n) || n < 0) throw errors.badOption(option, `"${text}" is not a whole number`);
  if (n < least) throw errors.badOption(option, `must be at least ${least}`);
  return n;
}

/** Parses a TCP port option: 1 - 65535, or 0 where `free` (the system picks a free port). */
export function parsePort(text: string, option: string, free: boolean): number {
  const n = wholeNumber(text);
  const least = free ? 0 : 1;
  if (!Number.isInteger(n) || n < least || n > 65_535)
    throw errors.badOption(
      option,
      `"${text.slice(0, 40)}" is not a port (${least} - 65535${free ? ', 0 picks a free one' : ''})`,
    );
  return n;
}

/** Parses a fraction option: a number from 0 to 1. */
export function parseFraction(text: string, option: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0 && n <= 1))
    throw errors.badOption(option, `"${text.slice(0, 40)}" is not a fraction from 0 to 1 (e.g. 0.01)`);
  return n;
}

/** Megabytes per size unit. */
const SIZE_UNITS = { MB: 1, MIB: 1, GB: 1024, GIB: 1024 } as const;

/** Parses a memory size such as "512MB" or "2GB" (at least 64 MB; in powers of two) into DuckDB's form of it. */
export function parseMemorySize(text: string, option: string): string {
  return `${parseMebibytes(text, option, 64)}MiB`;
}

/** Parses a memory size such as "256MB" or "2GB" (at least `least` MB; in powers of two) into bytes. */
export function parseBytes(text: string, option: string, least: number): number {
  return parseMebibytes(text, option, least) * 1024 * 1024;
}

function parseMebibytes(text: string, option: string, least: number): number {
  const m = /^(\d+)\s*(MB|MiB|GB|GiB)$/i.exec(text.trim());
  const mb = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase() as keyof typeof SIZE_UNITS] : Number.NaN;
  if (!(mb >= least) || !Number.isSafeInteger(mb))
    throw errors.badOption(
      option,
      `"${text.slice(0, 40)}" is not a memory size of at least ${least}MB (e.g. ${least * 4}MB, 2GB)`,
    );
  return mb;
}

/** Parses a comma-separated list option. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
