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

/** Spilled entries on their way to a spill table, grouped by bucket and slot, their bytes copied from where they are. */
export class SpillBatch {
  /** Bucket -> slot -> the entries' indexes below. */
  private readonly slots = new Map<number, Map<number, number[]>>();
  private readonly ts: number[] = [];
  private readonly fields: number[] = [];
  private readonly sources: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly payloadBytes: number[] = [];

  get size(): number {
    return this.ts.length;
  }

  /** An entry whose key (length field `field`) and payload lie in `src` from `start`. */
  add(bucket: number, slot: number, ts: number, field: number, src: Buffer, start: number, payloadBytes: number): void {
    let bySlot = this.slots.get(bucket);
    if (!bySlot) {
      bySlot = new Map();
      this.slots.set(bucket, bySlot);
    }
    const list = bySlot.get(slot);
    if (list) list.push(this.ts.length);
    else bySlot.set(slot, [this.ts.length]);
    this.ts.push(ts);
    this.fields.push(field);
    this.sources.push(src);
    this.starts.push(start);
    this.payloadBytes.push(payloadBytes);
  }

  /** The batch as one group per bucket and slot. */
  groups(): SpillGroup[] {
    const out: SpillGroup[] = [];
    for (const [bucket, bySlot] of this.slots)
      for (const [slot, items] of bySlot) {
        let size = 0;
        for (const i of items) size += HEADER + keyBytes(this.fields[i]!) + this.payloadBytes[i]!;
        const buf = Buffer.allocUnsafe(size);
        let o = 0;
        for (const i of items) {
          const n = keyBytes(this.fields[i]!) + this.payloadBytes[i]!;
          buf.writeDoubleLE(this.ts[i]!, o);
          buf.writeUInt32LE(this.fields[i]!, o + 8);
          buf.writeUInt32LE(this.payloadBytes[i]!, o + 12);
          copyBytes(this.sources[i]!, this.starts[i]!, n, buf, o + HEADER);
          o += HEADER + n;
        }
        out.push({ bucket, slot, entries: buf });
      }
    return out;
  }
}

/**
 * Copies `n` bytes from `src` at `from` to `to` at `at`, byte by byte: an entry is a few dozen bytes, for which
 * `Buffer.copy`'s native call (and the view it makes) cost more than the copy.
 */
function copyBytes(src: Uint8Array, from: number, n: number, to: Uint8Array, at: number): void {
  for (let k = 0; k < n; k++) to[at + k] = src[from + k]!;
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
