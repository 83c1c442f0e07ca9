import { createHash } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../../errors.ts';
import { checkInputFile } from '../../paths.ts';
import type { Source, SourcePoll, SourceRecord } from '../source.ts';
import { defaultFileSourceOptions, type FileSourceOptions } from './options.ts';

const PREFIX_BYTES = 4096;
/** Lines of one read the source has room for at first; it doubles when a read holds more. */
const INITIAL_LINES = 32 * 1024;
const NEWLINE = 10;

/** Reads bytes from a position: a file (re-readable) or standard input (read once). */
interface ByteInput {
  /**
   * `carry` (the unfinished line before them) and the next bytes, in one buffer valid until the next read; `carry`
   * alone when nothing is there yet; null at the end.
   */
  read(carry: Buffer): Promise<Buffer | null>;
  /** The first `n` bytes of the input, for fingerprints. */
  prefix(n: number): Promise<Buffer>;
  skipTo(position: number): Promise<void>;
  /** Bytes in the input now, when known (a file; not a pipe). */
  size(): number | null;
  close(): Promise<void>;
}

class FileInput implements ByteInput {
  private readonly fh: FileHandle;
  private readonly opts: FileSourceOptions;
  private pos = 0;
  /**
   * Read into again and again: a new buffer a read, and a copy to put the carried line before it, were two 4 MB
   * buffers a read that V8 counts as external memory, each 64 MB of which starts a full garbage collection.
   */
  private buf: Buffer | null = null;
  constructor(fh: FileHandle, opts: FileSourceOptions) {
    this.fh = fh;
    this.opts = opts;
  }
  async read(carry: Buffer): Promise<Buffer | null> {
    const size = carry.length + this.opts.chunkBytes;
    // Room for the longest line carried, so that the buffer is made once.
    if (this.buf === null || this.buf.length < size)
      this.buf = Buffer.allocUnsafeSlow(Math.max(size, this.opts.chunkBytes + this.opts.maxLineBytes));
    carry.copy(this.buf, 0);
    const { bytesRead } = await this.fh.read(this.buf, carry.length, this.opts.chunkBytes, this.pos);
    this.pos += bytesRead;
    if (bytesRead === 0) return this.opts.follow ? carry : null;
    return this.buf.subarray(0, carry.length + bytesRead);
  }
  async prefix(n: number): Promise<Buffer> {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await this.fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  }
  async skipTo(position: number): Promise<void> {
    this.pos = position;
  }
  size(): number {
    return fstatSync(this.fh.fd).size;
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

class StdinInput implements ByteInput {
  private readonly it = process.stdin[Symbol.asyncIterator]();
  private head: Buffer = Buffer.alloc(0);
  private pending: Buffer | null = null;
  async read(carry: Buffer): Promise<Buffer | null> {
    const buf = await this.next();
    if (buf === null) return null;
    return carry.length > 0 ? Buffer.concat([carry, buf]) : buf;
  }
  private async next(): Promise<Buffer | null> {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    const { value, done } = await this.it.next();
    if (done) return null;
    const buf = value as Buffer;
    if (this.head.length < PREFIX_BYTES)
      this.head = Buffer.concat([this.head, buf.subarray(0, PREFIX_BYTES - this.head.length)]);
    return buf;
  }
  async prefix(n: number): Promise<Buffer> {
    return this.head.subarray(0, n);
  }
  async skipTo(position: number): Promise<void> {
    let skipped = 0;
    while (skipped < position) {
      const buf = await this.next();
      if (buf === null) return;
      if (skipped + buf.length > position) this.pending = buf.subarray(position - skipped);
      skipped += buf.length;
    }
  }
  size(): null {
    return null;
  }
  async close(): Promise<void> {}
}

/** The record of an overlong line: its head, and its whole size. */
function headRecord(o: { seq: number; head: Buffer; total: number }): SourceRecord {
  return { data: o.head, at: 0, end: o.head.length, bytes: o.total, seq: o.seq };
}

function fingerprintOf(prefix: Buffer): string {
  return `${prefix.length}:${createHash('sha256').update(prefix).digest('hex')}`;
}

/** Newline-delimited records from a file or stdin; the position is the byte offset after the last whole line. */
export class FileSource implements Source {
  readonly id: string;
  readonly lagUnit = 'bytes';
  private readonly opts: FileSourceOptions;
  private input: ByteInput | null = null;
  private carry: Buffer = Buffer.alloc(0);
  /** Byte offset of carry[0]. */
  private carryStart = 0;
  private pos = 0;
  private ended = false;
  /** A line longer than maxLineBytes: its head is kept, the rest only counted. */
  private overlong: { seq: number; head: Buffer; total: number } | null = null;
  private prefix: Buffer = Buffer.alloc(0);
  /**
   * Lines split but not yet handed out: where each starts and where its newline is in `data` (at byte offset `base`
   * of the input). Their strings are made as they are handed out: made for a whole 4 MB read at once, most lived
   * through a young-generation collection or two waiting for their batch, and were copied by each. Where the lines of
   * one read lie, in arrays used again for the next read (arrays pushed to anew for each read were 5% of the engine's
   * allocation, 2026-12-07).
   */
  private data: Buffer = Buffer.alloc(0);
  private base = 0;
  private starts = new Int32Array(INITIAL_LINES);
  private newlines = new Int32Array(INITIAL_LINES);
  /** Lines split from the read at hand, and the next to hand out. */
  private lines = 0;
  private head = 0;
  /** A record before the lines (the end of a line longer than maxLineBytes) and one after them (the input's last). */
  private lead: { record: SourceRecord; next: number } | null = null;
  /**
   * The records and the array of the last poll, filled again by the next (see `Source.poll`): a new object a line
   * was about 60 bytes of garbage an event.
   */
  private readonly taken: SourceRecord[] = [];
  private readonly records: SourceRecord[] = [];
  private tail: { record: SourceRecord; next: number } | null = null;

  constructor(options: Partial<FileSourceOptions> & { path: string }) {
    this.opts = { ...defaultFileSourceOptions, ...options };
    this.id = options.path === '-' ? 'stdin' : `file:${resolve(options.path)}`;
  }

  async open(stored: string | null, fingerprint: string | null): Promise<void> {
    const position = stored === null ? 0 : Number(stored);
    if (!Number.isSafeInteger(position) || position < 0)
      throw errors.inputMismatch(this.id, `stored position "${stored}" is not a byte offset`);
    if (this.opts.path === '-') this.input = new StdinInput();
    else {
      checkInputFile(this.opts.path);
      this.input = new FileInput(await open(this.opts.path, 'r'), this.opts);
    }
    await this.input.skipTo(position);
    if (fingerprint !== null) {
      const n = Number(fingerprint.split(':')[0]);
      const actual = fingerprintOf(await this.input.prefix(n));
      if (actual !== fingerprint)
        throw errors.inputMismatch(this.id, `its first ${n} bytes differ from the input it was built from`);
    }
    this.pos = position;
    this.carryStart = position;
    this.prefix = await this.input.prefix(Math.min(PREFIX_BYTES, position));
  }

  position(): string {
    return String(this.pos);
  }

  /** Bytes of the file not yet read (one "partition"); nothing for stdin. */
  lag(): Record<string, number> {
    const size = this.input?.size() ?? null;
    return size === null ? {} : { '0': Math.max(0, size - this.pos) };
  }

  fingerprint(): string {
    return fingerprintOf(this.prefix.subarray(0, Math.min(PREFIX_BYTES, this.pos)));
  }

  async poll(max: number, wait = true): Promise<SourcePoll> {
    while (!this.pending() && !this.ended) {
      this.lines = 0;
      this.head = 0;
      const chunk = await this.input!.read(this.carry);
      if (chunk === null) {
        this.ended = true;
        this.flushTail();
      } else if (chunk.length === this.carry.length) {
        if (wait) await sleep(100);
        return { records: [], end: false };
      } else this.split(chunk);
    }
    const take = this.taken;
    take.length = 0;
    if (this.lead) {
      take.push(this.lead.record);
      this.pos = this.lead.next;
      this.lead = null;
    }
    const until = Math.min(this.lines, this.head + max - take.length);
    for (; this.head < until; this.head++) {
      // head < until <= lines, so both exist.
      const from = this.starts[this.head]!;
      const nl = this.newlines[this.head]!;
      const n = take.length;
      while (this.records.length <= n) this.records.push({ data: this.data, at: 0, end: 0, bytes: 0, seq: 0 });
      const r = this.records[n]!;
      r.data = this.data;
      r.at = from;
      r.end = Math.min(nl, from + this.opts.maxLineBytes);
      r.bytes = nl - from;
      r.seq = this.base + from;
      take.push(r);
      this.pos = this.base + nl + 1;
    }
    if (this.tail && take.length < max && this.head === this.lines) {
      take.push(this.tail.record);
      this.pos = this.tail.next;
      this.tail = null;
    }
    if (this.prefix.length < PREFIX_BYTES && this.pos > this.prefix.length)
      this.prefix = await this.input!.prefix(Math.min(PREFIX_BYTES, this.pos));
    return { records: take, end: this.ended && !this.pending() };
  }

  /** Whether lines split from what was read are still to be handed out. */
  private pending(): boolean {
    return this.lead !== null || this.head < this.lines || this.tail !== null;
  }

  private split(chunk: Buffer): void {
    let start = 0;
    if (this.overlong) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        this.overlong.total += chunk.length;
        this.carryStart += chunk.length;
        return;
      }
      const o = this.overlong;
      o.total += nl;
      this.lead = { record: headRecord(o), next: o.seq + o.total + 1 };
      this.overlong = null;
      start = nl + 1;
      this.carryStart = o.seq + o.total + 1;
    }
    // The chunk begins with the carried line (empty while an overlong line is skipped).
    const data = chunk.subarray(start);
    const base = this.carryStart;
    this.data = data;
    this.base = base;
    let from = 0;
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, from)) {
      if (this.lines === this.starts.length) {
        const [starts, newlines] = [new Int32Array(2 * this.lines), new Int32Array(2 * this.lines)];
        starts.set(this.starts);
        newlines.set(this.newlines);
        [this.starts, this.newlines] = [starts, newlines];
      }
      this.starts[this.lines] = from;
      this.newlines[this.lines++] = nl;
      from = nl + 1;
    }
    const rest = data.subarray(from);
    if (rest.length > this.opts.maxLineBytes) {
      this.overlong = {
        seq: base + from,
        head: Buffer.from(rest.subarray(0, this.opts.maxLineBytes)),
        total: rest.length,
      };
      this.carry = Buffer.alloc(0);
      this.carryStart = base + from + rest.length;
    } else {
      // Copy: the chunk's memory is reused by the next read.
      this.carry = Buffer.from(rest);
      this.carryStart = base + from;
    }
  }

  /** At the end of a finite input, a last line without a newline is still a record. */
  private flushTail(): void {
    if (this.overlong) {
      const o = this.overlong;
      this.tail = { record: headRecord(o), next: o.seq + o.total };
      this.overlong = null;
    } else if (this.carry.length > 0) {
      this.tail = {
        record: { data: this.carry, at: 0, end: this.carry.length, bytes: this.carry.length, seq: this.carryStart },
        next: this.carryStart + this.carry.length,
      };
    }
    this.carry = Buffer.alloc(0);
  }

  async close(): Promise<void> {
    await this.input?.close();
  }
}
