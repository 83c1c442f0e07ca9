import { keyBytes, keyEquals, keyField, writeKey } from './entry-bytes.ts';
import type { SpillGroup } from './spill-file.ts';

/** Bytes before each entry's key in a group: event time (float64), key length field and payload bytes (uint32). */
const HEADER = 16;
/** About how many entries a group holds: a read scans one group, a write costs a statement per group. */
const GROUP_ENTRIES = 64;
const MAX_SLOT_BITS = 16;

/** The slot bits of a bucket of about `n` entries: about GROUP_ENTRIES to a slot. */
export function slotBits(n: number): number {
  return Math.min(MAX_SLOT_BITS, Math.max(0, Math.ceil(Math.log2(n / GROUP_ENTRIES))));
}

/** A key's slot (by its hash) in a bucket of `bits` slot bits: the hash's top bits. */
export function slotOf(h: number, bits: number): number {
  return bits === 0 ? 0 : h >>> (32 - bits);
}

const NO_GROUPS: Int32Array = new Int32Array(0);
/** Entries a batch holds room for at first; it doubles when full. */
const INITIAL_ENTRIES = 4096;

/**
 * Spilled entries on their way to a spill table, grouped by bucket and slot, their bytes copied from where they are.
 * The groups are cut from one buffer, filled in the order the entries came: an expiry walks a bucket's entries in the
 * order they were written to the state's arena (newest first), so its bytes are read one entry after the next rather
 * than slot by slot from all over it. A state keeps one batch and fills it again at every spill: its entries in typed
 * arrays and its groups in one buffer, all used again (a batch of arrays pushed to, and a new buffer, each time cost
 * 190 - 250 ns an entry, measured alone on 2026-12-07; the groups are copied by the spill table before `put` returns).
 */
export class SpillBatch {
  /** Each bucket's groups by slot (-1: none yet), the last bucket's at hand; each group's bucket and slot. */
  private readonly groupsOf = new Map<number, Int32Array>();
  private lastBucket = Number.NaN;
  private lastGroups: Int32Array = NO_GROUPS;
  private readonly groupBuckets: number[] = [];
  private readonly groupSlots: number[] = [];
  private count = 0;
  /** Per entry: its group, event time, key length field, bytes, its source (in `sources`) and where it starts there. */
  private group = new Int32Array(INITIAL_ENTRIES);
  private ts = new Float64Array(INITIAL_ENTRIES);
  private fields = new Int32Array(INITIAL_ENTRIES);
  private bytes = new Int32Array(INITIAL_ENTRIES);
  private source = new Int32Array(INITIAL_ENTRIES);
  private starts = new Float64Array(INITIAL_ENTRIES);
  /** The buffers entries lie in: one (a state's arena) for an expiry's. */
  private readonly sources: Buffer[] = [];
  private out: Buffer = Buffer.alloc(0);

  get size(): number {
    return this.count;
  }

  /** An entry whose key (length field `field`) and payload lie in `src` from `start`. */
  add(bucket: number, slot: number, ts: number, field: number, src: Buffer, start: number, payloadBytes: number): void {
    if (bucket !== this.lastBucket) {
      this.lastBucket = bucket;
      this.lastGroups = this.groupsOf.get(bucket) ?? NO_GROUPS;
    }
    if (slot >= this.lastGroups.length) {
      // As many slots as the bucket's bits give (a batch spans dozens of buckets): a bucket of 2^16 was 256 KB.
      const grown = new Int32Array(2 ** Math.ceil(Math.log2(slot + 1))).fill(-1);
      grown.set(this.lastGroups);
      this.groupsOf.set(bucket, grown);
      this.lastGroups = grown;
    }
    let g = this.lastGroups[slot]!;
    if (g < 0) {
      g = this.groupBuckets.length;
      this.lastGroups[slot] = g;
      this.groupBuckets.push(bucket);
      this.groupSlots.push(slot);
    }
    const i = this.count++;
    if (i === this.ts.length) this.grow();
    if (this.sources.length === 0 || this.sources[this.sources.length - 1] !== src) this.sources.push(src);
    this.group[i] = g;
    this.ts[i] = ts;
    this.fields[i] = field;
    this.bytes[i] = keyBytes(field) + payloadBytes;
    this.source[i] = this.sources.length - 1;
    this.starts[i] = start;
  }

  /**
   * The batch as one group per bucket and slot, its entries in the order they came, cut from one buffer; the batch is
   * empty after, and the groups' bytes are valid until it is filled again.
   */
  groups(): SpillGroup[] {
    const groups = this.groupBuckets.length;
    // Where each group starts in the buffer, then where its next entry goes.
    const at = new Float64Array(groups + 1);
    for (let i = 0; i < this.count; i++) at[this.group[i]! + 1]! += HEADER + this.bytes[i]!;
    for (let g = 0; g < groups; g++) at[g + 1]! += at[g]!;
    if (this.out.length < at[groups]!) this.out = Buffer.allocUnsafeSlow(Math.max(at[groups]!, 2 * this.out.length));
    const buf = this.out;
    const out: SpillGroup[] = [];
    for (let g = 0; g < groups; g++)
      out.push({ bucket: this.groupBuckets[g]!, slot: this.groupSlots[g]!, entries: buf.subarray(at[g]!, at[g + 1]!) });
    for (let i = 0; i < this.count; i++) {
      const g = this.group[i]!;
      const o = at[g]!;
      const n = this.bytes[i]!;
      buf.writeDoubleLE(this.ts[i]!, o);
      buf.writeUInt32LE(this.fields[i]!, o + 8);
      buf.writeUInt32LE(n - keyBytes(this.fields[i]!), o + 12);
      copyBytes(this.sources[this.source[i]!]!, this.starts[i]!, n, buf, o + HEADER);
      at[g] = o + HEADER + n;
    }
    this.clear();
    return out;
  }

  private clear(): void {
    this.count = 0;
    this.groupsOf.clear();
    this.lastBucket = Number.NaN;
    this.lastGroups = NO_GROUPS;
    this.groupBuckets.length = 0;
    this.groupSlots.length = 0;
    this.sources.length = 0;
  }

  private grow(): void {
    const n = 2 * this.ts.length;
    this.group = grown(this.group, new Int32Array(n));
    this.ts = grown(this.ts, new Float64Array(n));
    this.fields = grown(this.fields, new Int32Array(n));
    this.bytes = grown(this.bytes, new Int32Array(n));
    this.source = grown(this.source, new Int32Array(n));
    this.starts = grown(this.starts, new Float64Array(n));
  }
}

/** Entries longer than this are copied by `Buffer.copy`, shorter ones byte by byte. */
const NATIVE_COPY = 40;

/**
 * Copies `n` bytes from `src` at `from` to `to` at `at`: a short entry (an id and its time) byte by byte, for which
 * `Buffer.copy`'s native call costs more than the copy, a longer one (a request's join state, 100 - 200 bytes) by that
 * call (170 bytes: 31 - 34 against 163 - 168 ns, 2026-12-07).
 */
function copyBytes(src: Buffer, from: number, n: number, to: Buffer, at: number): void {
  if (n > NATIVE_COPY) src.copy(to, at, from, from + n);
  else for (let k = 0; k < n; k++) to[at + k] = src[from + k]!;
}

/** Key and payload as bytes, for entries that are not in an arena already (a restore's). */
export function entryBytes(key: string, payload: string): { field: number; bytes: Buffer; payloadBytes: number } {
  const field = keyField(key);
  const bytes = Buffer.allocUnsafe(keyBytes(field) + Buffer.byteLength(payload));
  const kb = writeKey(bytes, 0, key, field);
  return { field, bytes, payloadBytes: bytes.write(payload, kb, 'utf8') };
}

/** Where `key`'s entry lies in a group, or -1. */
export function findEntry(group: Uint8Array, key: string): number {
  const view = Buffer.from(group.buffer, group.byteOffset, group.byteLength);
  for (let o = 0; o < view.length; ) {
    const field = view.readUInt32LE(o + 8);
    if (keyEquals(view, o + HEADER, field, key)) return o;
    o += HEADER + keyBytes(field) + view.readUInt32LE(o + 12);
  }
  return -1;
}

/** The event time and payload of the entry at `o` of a group. */
export function readEntry(group: Uint8Array, o: number): { ts: number; payload: string } {
  const view = Buffer.from(group.buffer, group.byteOffset, group.byteLength);
  const start = o + HEADER + keyBytes(view.readUInt32LE(o + 8));
  return { ts: view.readDoubleLE(o), payload: view.toString('utf8', start, start + view.readUInt32LE(o + 12)) };
}

/** A group's bytes without the entry at `o`. */
export function withoutEntry(group: Uint8Array, o: number): Uint8Array {
  const view = Buffer.from(group.buffer, group.byteOffset, group.byteLength);
  const end = o + HEADER + keyBytes(view.readUInt32LE(o + 8)) + view.readUInt32LE(o + 12);
  return Buffer.concat([view.subarray(0, o), view.subarray(end)]);
}

/** `to`, a larger typed array, with `from`'s values first. */
export function grown<T extends Float64Array | Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
