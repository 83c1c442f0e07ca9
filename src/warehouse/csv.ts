import { finished } from 'node:stream/promises';
import { constants, createZstdCompress, type ZstdCompress } from 'node:zlib';

/**
 * CSV as ADW writes it to every warehouse (the reference system's lesson: CSV, not JSON, towards the sink).
 * Fields are separated by \x01 and rows by \n, with no quoting: validation guarantees no value holds either
 * (ids are restricted, raw JSON lines cannot contain control characters). An empty field is NULL.
 */
export const FIELD_SEPARATOR = '\x01';
export const ROW_SEPARATOR = '\n';

/**
 * Rows joined into one string at a time, which is encoded into the block being filled. A new buffer for each 2048
 * rows' string made about 400 MB of buffers per million events.
 */
const STRING_ROWS = 512;
/** Bytes of one block: the strings are encoded into blocks this large, so writers get few, large buffers. */
const BLOCK_BYTES = 1024 * 1024;
/**
 * Blocks of committed rows, for later rows to fill again. V8 counts a new buffer's memory as external to its heap, and
 * each 64 MB more of it starts a full collection: with new blocks each time, one about every checkpoint, whose marking
 * took 1.1 - 1.3 µs of CPU per event on V8's helper threads (adw bench, 2026-12-06).
 */
const freeBlocks: Buffer[] = [];
/** At most this many blocks wait to be filled again (the rest are left to the garbage collector). */
const MAX_FREE_BLOCKS = 64;

/** A block no rows need any more, for later rows. */
function giveBack(block: Buffer): void {
  if (freeBlocks.length < MAX_FREE_BLOCKS && block.length === BLOCK_BYTES) freeBlocks.push(block);
}

/** The two ASCII digits of each number below 100. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 0x30 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/** How many digits a number from 0 to 2^31 - 1 has. */
function digitsOf(n: number): number {
  if (n < 100_000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10_000 ? 4 : 5;
  return n < 10_000_000 ? (n < 1_000_000 ? 6 : 7) : n < 100_000_000 ? 8 : n < 1_000_000_000 ? 9 : 10;
}

/** Writes a number from 0 to 2^31 - 1 as `digits` digits (zeros in front where it has fewer) at `o`; returns the end. */
function writeDigits(b: Buffer, o: number, n: number, digits: number): number {
  const end = o + digits;
  let at = end;
  while (n >= 100) {
    const q = (n / 100) | 0;
    const pair = (n - q * 100) << 1;
    b[--at] = DIGIT_PAIRS[pair + 1]!;
    b[--at] = DIGIT_PAIRS[pair]!;
    n = q;
  }
  if (n >= 10) {
    b[--at] = DIGIT_PAIRS[(n << 1) + 1]!;
    b[--at] = DIGIT_PAIRS[n << 1]!;
  } else b[--at] = 0x30 + n;
  while (at > o) b[--at] = 0x30;
  return end;
}

const SEPARATOR_BYTE = FIELD_SEPARATOR.charCodeAt(0);
const ROW_END_BYTE = ROW_SEPARATOR.charCodeAt(0);

/**
 * One table's CSV rows for one checkpoint, encoded to UTF-8 a few hundred rows at a time. The engine makes millions
 * of short row strings per checkpoint; held as strings until the commit they survive young-generation collections and
 * are copied by each, held as bytes they are off the JavaScript heap within a moment. Rows kept as compressed files
 * (ODS's events, DWD's joined rows) are made `compressed`: each block is compressed as soon as it is full and handed
 * back, so a checkpoint holds a few MB of zstd frames rather than tens of MB of rows until its commit (at 270,000
 * events a second, about 34 MB a checkpoint, two checkpoints at a time: 60 - 70 MB of peak memory, 2026-12-07).
 */
export class CsvRows {
  private readonly compress: boolean;
  /** The zstd stream of compressed rows, once a block has gone to it; its output frames, in order. */
  private zstd: ZstdCompress | null = null;
  private readonly frames: Buffer[] = [];
  private failure: Error | null = null;
  private pending: string[] = [];
  private readonly blocks: Buffer[] = [];
  /** The blocks filled, whole, to hand back once the rows are written. */
  private readonly filled: Buffer[] = [];
  /** The block being filled, and how much of it is. */
  private block: Buffer | null = null;
  private used = 0;
  /** Where the row begun last starts in the block. */
  private rowStart = 0;
  /** Rows added so far. */
  length = 0;

  constructor(options: { compressed?: boolean } = {}) {
    this.compress = options.compressed ?? false;
  }

  push(row: string): void {
    this.pending.push(row);
    this.length++;
    if (this.pending.length === STRING_ROWS) this.encode();
  }

  /**
   * Starts a row written in place, of at most `maxBytes` bytes, by `int`, `text`, `copy` and `sep`, ended by `end`:
   * no string for the row, and the bytes of a received line copied as they are.
   */
  begin(maxBytes: number): void {
    if (this.pending.length > 0) this.encode();
    if (this.block === null || this.block.length - this.used < maxBytes) {
      this.seal();
      this.block = maxBytes > BLOCK_BYTES ? Buffer.allocUnsafeSlow(maxBytes) : this.newBlock();
    }
    this.rowStart = this.used;
  }

  /**
   * A number as String() writes it: a safe integer two digits at a time, no string. Most are 0 or 1 (DWA's counts) or
   * event times in ms (13 digits, written as the digits above the last eight and those eight: 31-bit arithmetic only).
   */
  int(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.text(String(n));
      return;
    }
    const b = this.block!;
    let o = this.used;
    if (n < 0) {
      b[o++] = 0x2d;
      n = -n;
    }
    if (n < 10) {
      b[o] = 0x30 + n;
      this.used = o + 1;
    } else if (n <= 0x7fffffff) this.used = writeDigits(b, o, n, digitsOf(n));
    else {
      const high = Math.floor(n / 1e8);
      o = writeDigits(b, o, high, digitsOf(high));
      this.used = writeDigits(b, o, n - high * 1e8, 8);
    }
  }

  /** A string, as UTF-8 (at most three bytes a UTF-16 unit, for `begin`'s bound). */
  text(s: string): void {
    const b = this.block!;
    let o = this.used;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.used = o + b.write(s.slice(i), o);
        return;
      }
      b[o++] = c;
    }
    this.used = o;
  }

  /** Bytes as they are. */
  copy(data: Buffer, at: number, end: number): void {
    this.used += data.copy(this.block!, this.used, at, end);
  }

  /** The field separator. */
  sep(): void {
    this.block![this.used++] = SEPARATOR_BYTE;
  }

  /** Ends the row begun. */
  end(): void {
    this.block![this.used++] = ROW_END_BYTE;
    this.length++;
  }

  /**
   * The row begun, not ended, as a string, and its bytes taken back: fields written in place and read as one flat
   * string, with no array of them joined and no string for each number.
   */
  takeRow(): string {
    const row = this.block!.toString('utf8', this.rowStart, this.used);
    this.used = this.rowStart;
    return row;
  }

  /** The rows as bytes, each row ended by ROW_SEPARATOR (not of rows made `compressed`). */
  bytes(): Buffer[] {
    if (this.compress) throw new Error('rows made compressed are read with compressed()');
    if (this.pending.length > 0) this.encode();
    this.seal();
    return this.blocks;
  }

  /** The rows' bytes as one zstd stream, its frames in order: compressed as they came when made `compressed`. */
  async compressed(): Promise<Buffer[]> {
    if (this.pending.length > 0) this.encode();
    this.seal();
    const z = this.stream();
    for (const b of this.blocks) z.write(b);
    this.blocks.length = 0;
    z.end();
    await finished(z);
    if (this.failure) throw this.failure;
    return this.frames;
  }

  /** The rows are written and nothing reads their bytes any more: their blocks may hold other rows. */
  release(): void {
    for (const b of this.filled) giveBack(b);
    this.filled.length = 0;
    this.blocks.length = 0;
  }

  private encode(): void {
    this.pending.push('');
    const text = this.pending.join(ROW_SEPARATOR);
    this.pending = [];
    const size = Buffer.byteLength(text);
    if (this.block === null || this.block.length - this.used < size) {
      this.seal();
      if (size > BLOCK_BYTES) {
        this.emit(Buffer.from(text), null);
        return;
      }
      this.block = this.newBlock();
    }
    this.used += this.block.write(text, this.used);
  }

  private newBlock(): Buffer {
    return freeBlocks.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
  }

  /**
   * Ends the block being filled: its written part joins the blocks (copied when most of the block is unused), or goes
   * to the zstd stream, which hands the block back once it has read it.
   */
  private seal(): void {
    const block = this.block;
    if (block === null) return;
    if (this.used === 0) giveBack(block);
    else if (this.compress || this.used >= BLOCK_BYTES / 2) this.emit(block.subarray(0, this.used), block);
    else {
      this.emit(Buffer.from(block.subarray(0, this.used)), null);
      giveBack(block);
    }
    this.block = null;
    this.used = 0;
  }

  /** A finished piece of the rows, in `block` (null: a buffer of its own), for `bytes` or the zstd stream. */
  private emit(piece: Buffer, block: Buffer | null): void {
    if (this.compress) this.stream().write(piece, () => block && giveBack(block));
    else {
      this.blocks.push(piece);
      if (block) this.filled.push(block);
    }
  }

  private stream(): ZstdCompress {
    if (this.zstd === null) {
      const z = createZstdCompress({
        // Few output chunks: each is an event for the busy engine thread.
        chunkSize: 256 * 1024,
        // A 128 KB window rather than level 1's 512 KB: the rows' repeats lie within a few rows of each other. Compressed
        // in 1 MB writes, 7 - 12% less CPU than with the default window, for the same ratio on ODS's JSON lines (8.65
        // against 8.68) and 1% less on CSV rows (4.75 against 4.81, 2026-12-07).
        // A checksum per frame: without it a third of single flipped bits read back as other data, not as an error.
        params: {
          [constants.ZSTD_c_compressionLevel]: 1,
          [constants.ZSTD_c_windowLog]: 17,
          [constants.ZSTD_c_checksumFlag]: 1,
        },
      });
      z.on('data', (c: Buffer) => this.frames.push(c));
      // Kept for compressed() to throw: an error event no one listens to would end the process.
      z.on('error', (e) => {
        this.failure ??= e;
      });
      this.zstd = z;
    }
    return this.zstd;
  }
}
