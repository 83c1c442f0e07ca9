// How a state's key is laid out as bytes, in memory's arena and in the spill file's groups alike.

/** A key's length field marks keys stored as UTF-16 code units (any above 255), not one byte per unit. */
const WIDE = 1;

/** A key's length field: its code units, shifted, with the WIDE mark. */
export function keyField(key: string): number {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 255) return (key.length << 1) | WIDE;
  return key.length << 1;
}

/** The bytes of a key from its length field. */
export function keyBytes(field: number): number {
  return field & WIDE ? field - WIDE : field >>> 1;
}

/** Writes a key at `o`; returns its bytes. */
export function writeKey(buf: Buffer, o: number, key: string, field: number): number {
  if (field & WIDE) return buf.write(key, o, 'utf16le');
  // One byte a unit, written here: a native call cost more than the copy of a key of a few dozen characters at most.
  for (let i = 0; i < key.length; i++) buf[o + i] = key.charCodeAt(i);
  return key.length;
}

/** Whether the key stored at `o` with length field `field` is `key`. */
export function keyEquals(buf: Uint8Array, o: number, field: number, key: string): boolean {
  const units = field >>> 1;
  if (units !== key.length) return false;
  if ((field & WIDE) === 0) {
    for (let i = 0; i < units; i++) if (buf[o + i] !== key.charCodeAt(i)) return false;
  } else {
    for (let i = 0; i < units; i++)
      if ((buf[o + 2 * i]! | (buf[o + 2 * i + 1]! << 8)) !== key.charCodeAt(i)) return false;
  }
  return true;
}
