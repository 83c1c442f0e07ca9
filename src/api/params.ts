import { errors } from '../errors.ts';

/** A comma-separated list parameter; a repeated parameter (`?a=1&a=2`) is the union of its values. */
export function list(v: unknown): string[] {
  const parts = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
  return parts
    .flatMap((s) => s.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A whole-number parameter as a number; anything else is NaN, which the validators refuse with their own message. */
export function wholeNumber(v: unknown): number {
  return typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
}

/** A yes/no parameter: 1, true, 0 or false (absent: false). */
export function flag(v: unknown, name: string): boolean {
  if (v === '1' || v === 'true') return true;
  if (v === undefined || v === '0' || v === 'false') return false;
  throw errors.badQuery(`${name} takes 1, true, 0 or false`);
}

/** Refuses a parameter the route does not know, rather than ignoring a typo; `filters` allows `filter.<dim>` too. */
export function checkParams(p: Record<string, unknown>, known: readonly string[], filters: boolean): void {
  const other = Object.keys(p).find((k) => !known.includes(k) && !(filters && k.startsWith('filter.')));
  if (other !== undefined)
    throw errors.badQuery(
      `unknown parameter "${other.slice(0, 80)}" (parameters: ${known.join(', ')}${filters ? ', filter.<dimension>' : ''})`,
    );
}
