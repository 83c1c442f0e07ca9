/**
 * CSV as ADW writes it to every warehouse (the reference system's lesson: CSV, not JSON, towards the sink).
 * Fields are separated by \x01 and rows by \n, with no quoting: validation guarantees no value holds either
 * (ids are restricted, raw JSON lines cannot contain control characters). An empty field is NULL.
 */
export const FIELD_SEPARATOR = '\x01';
export const ROW_SEPARATOR = '\n';

/** Rows encoded per block: large enough to amortise the encoding call, small enough that row strings die young. */
const BLOCK_ROWS = 2048;

/**
 * One table's CSV rows for one checkpoint, encoded to UTF-8 a block at a time. The engine makes millions of short
 * row strings per checkpoint; held as strings until the commit they survive young-generation collections and are
 * copied by each, held as bytes they are off the JavaScript heap within a block.
 */
export class CsvRows {
  private pending: string[] = [];
  private readonly blocks: Buffer[] = [];
  /** Rows added so far. */
  length = 0;

  push(row: string): void {
    this.pending.push(row);
    this.length++;
    if (this.pending.length === BLOCK_ROWS) this.encode();
  }

  /** The rows as bytes, each row ended by ROW_SEPARATOR. */
  bytes(): Buffer[] {
    if (this.pending.length > 0) this.encode();
    return this.blocks;
  }

  private encode(): void {
    this.pending.push('');
    this.blocks.push(Buffer.from(this.pending.join(ROW_SEPARATOR)));
    this.pending = [];
  }
}
