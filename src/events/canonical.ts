import { checkRecord, type Received, type ValidationLimits } from './validate.ts';

/**
 * The fields an ad event's checks read (`checkRecord`), in the order a canonical line's object lists them. A field
 * the checks read that is missing here would be missing on the fast path only: its lines would take JSON.parse's.
 */
const FIELDS = [
  'type',
  'request_id',
  'event_id',
  'ts',
  'user_id',
  'os',
  'device_type',
  'region',
  'slot_id',
  'filled',
  'ad_id',
  'bid_price',
] as const;

/** Each field's name as bytes, by the name's length. */
const NAMES_BY_LENGTH: { index: number; bytes: Uint8Array }[][] = [];
for (const [index, name] of FIELDS.entries()) {
  NAMES_BY_LENGTH[name.length] ??= [];
  NAMES_BY_LENGTH[name.length]!.push({ index, bytes: Buffer.from(name, 'latin1') });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** Powers of ten up to the largest exact as a double, 10^22. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** The values of FIELDS read from the line being scanned (undefined: absent). */
const values: unknown[] = new Array(FIELDS.length).fill(undefined);
/** Where the scan is in the line. */
let pos = 0;

/**
 * Reads an ad event line in canonical form straight from its bytes, as JSON.parse would read it, and checks it with
 * the same `checkRecord`: one flat object without whitespace, its keys and string values printable ASCII without
 * escapes, its numbers without exponent and exact as integers over a power of ten. Anything else, and every record
 * that fails a check, is null: the caller then takes `validateLine`'s path, which says why. The simulator's lines
 * are canonical, as a collector's or an SDK's JSON.stringify makes them.
 */
export function readCanonical(
  data: Buffer,
  at: number,
  end: number,
  byteLength: number,
  limits: ValidationLimits,
  now: number,
): Received | null {
  if (byteLength !== end - at || byteLength > limits.maxRecordBytes || data[at] !== OPEN) return null;
  values.fill(undefined);
  pos = at + 1;
  for (;;) {
    if (data[pos] !== QUOTE) return null;
    const keyAt = ++pos;
    for (;;) {
      if (pos >= end) return null;
      const c = data[pos];
      if (c === QUOTE) break;
      if (c === BACKSLASH) return null;
      pos++;
    }
    const field = fieldOf(data, keyAt, pos - keyAt);
    if (data[++pos] !== COLON) return null;
    pos++;
    const value = readValue(data, end);
    if (value === INVALID) return null;
    // A key given twice has its last value, as in JSON.parse's object.
    if (field >= 0) values[field] = value;
    if (pos >= end) return null;
    if (data[pos] === COMMA) pos++;
    else if (data[pos] === CLOSE && pos + 1 === end) break;
    else return null;
  }
  const v = values;
  // Absent fields are undefined here, as on JSON.parse's object; a dimension change (a nested row) never gets here.
  return checkRecord(
    {
      type: v[0],
      request_id: v[1],
      event_id: v[2],
      ts: v[3],
      user_id: v[4],
      os: v[5],
      device_type: v[6],
      region: v[7],
      slot_id: v[8],
      filled: v[9],
      ad_id: v[10],
      bid_price: v[11],
    },
    limits,
    now,
  );
}

/** Marks a value the scan does not read (JSON.parse reads it, or refuses it). */
const INVALID = Symbol('invalid');

/** The index in FIELDS of the key at `data[o, o + n)`, -1 for another key. */
function fieldOf(data: Buffer, o: number, n: number): number {
  const names = NAMES_BY_LENGTH[n];
  if (names === undefined) return -1;
  next: for (const { index, bytes } of names) {
    for (let i = 0; i < n; i++) if (data[o + i] !== bytes[i]) continue next;
    return index;
  }
  return -1;
}

/** The value at `pos`, leaving `pos` after it. */
function readValue(data: Buffer, end: number): unknown {
  const c = data[pos];
  if (c === QUOTE) {
    const from = ++pos;
    for (;;) {
      if (pos >= end) return INVALID;
      const b = data[pos]!;
      if (b === QUOTE) break;
      if (b < 0x20 || b > 0x7e || b === BACKSLASH) return INVALID;
      pos++;
    }
    pos++;
    return ascii(data, from, pos - 1);
  }
  if (c === 0x74) return word(data, end, TRUE, true);
  if (c === 0x66) return word(data, end, FALSE, false);
  if (c === 0x6e) return word(data, end, NULL, null);
  return number(data, end);
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function word(data: Buffer, end: number, bytes: Uint8Array, value: unknown): unknown {
  if (pos + bytes.length > end) return INVALID;
  for (let i = 0; i < bytes.length; i++) if (data[pos + i] !== bytes[i]) return INVALID;
  pos += bytes.length;
  return value;
}

/**
 * A number `-?(0|[1-9][0-9]*)(.[0-9]+)?` whose digits make an integer below 2^53 with at most 22 after the point: that
 * integer and the power of ten to divide it by are exact doubles, so their quotient is the correctly rounded value,
 * which JSON.parse gives too.
 */
function number(data: Buffer, end: number): unknown {
  const negative = data[pos] === MINUS;
  if (negative) pos++;
  const first = pos;
  let m = 0;
  for (; pos < end && isDigit(data[pos]!); pos++) m = m * 10 + (data[pos]! - ZERO);
  const whole = pos - first;
  if (whole === 0 || (whole > 1 && data[first] === ZERO)) return INVALID;
  let fraction = 0;
  if (pos < end && data[pos] === DOT) {
    for (pos++; pos < end && isDigit(data[pos]!); pos++) m = m * 10 + (data[pos]! - ZERO);
    fraction = pos - first - whole - 1;
    if (fraction === 0) return INVALID;
  }
  // An exponent, or digits too many to be exact this way (every step of `m` was exact if the last one is).
  if (data[pos] === 0x65 || data[pos] === 0x45 || m > Number.MAX_SAFE_INTEGER || fraction >= POW10.length)
    return INVALID;
  const v = m / POW10[fraction]!;
  return negative ? -v : v;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** The string of printable ASCII at `data[from, to)`. */
function ascii(data: Buffer, from: number, to: number): string {
  // Short ones a character at a time: a native call per string cost more (10 - 30 against 40 ns, 2026-12-07).
  if (to - from > 12) return data.toString('latin1', from, to);
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(data[i]!);
  return s;
}
