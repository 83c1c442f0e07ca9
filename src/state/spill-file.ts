import { rmSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** A group of spilled entries, encoded by their state: those of one slot (a range of key hashes) of one time bucket. */
export interface SpillGroup {
  bucket: number;
  slot: number;
  entries: Uint8Array;
}

/**
 * One state's spilled entries as groups by time bucket and hash slot: what memory could not hold, read back a slot at
 * a time. A row per group rather than per entry: a statement costs about 1.7 µs whatever it writes, so a row per entry
 * cost 2.5 s of the engine's thread at 5 million events (1.9 million requests spilled), a row per ~20 entries a tenth.
 */
export interface SpillTable {
  /** Writes groups, added to any written before for the same slot, all in one transaction. */
  put(groups: Iterable<SpillGroup>): void;
  /** Every group written for a slot of a bucket. */
  get(bucket: number, slot: number): Uint8Array[];
  /** Replaces every group of a slot of a bucket by `entries` (none when empty). */
  replace(bucket: number, slot: number, entries: Uint8Array): void;
  /** Drops every group of the buckets up to `bucket`, included. */
  dropThrough(bucket: number): void;
  /** The bytes of the groups it holds (SQLite's pages around them not counted). */
  readonly bytes: number;
}

/**
 * The part of the engine's keyed state that memory cannot hold, in an SQLite file on local disk (Node's own
 * `node:sqlite`): one table per state, keyed by time bucket and hash slot, so entries spilled oldest first append at
 * the table's end and expiry drops a range. Reads go through the kernel's page cache, not a memory map, so the file
 * costs the process no resident memory beyond SQLite's small page cache (lmdb maps its file: 50,000 random reads of
 * a 280 MB file added 260 MB of resident memory; SQLite, none). Spilled entries are committed to the warehouse
 * before they spill, so the file is a cache: created empty on every start and filled from the warehouse, never
 * synced to disk.
 */
export class SpillFile {
  readonly path: string;
  private db: DatabaseSync | null = null;
  private readonly tables = new Map<string, SpillTable>();

  /** The file is created at `path` when a state first takes a table, replacing one a previous process left there. */
  constructor(path: string) {
    this.path = path;
  }

  /** The table of the state called `name` (a constant identifier), created on first use. */
  table(name: string): SpillTable {
    const known = this.tables.get(name);
    if (known) return known;
    this.db ??= this.create();
    this.db.exec(
      `CREATE TABLE ${name} (bucket INTEGER NOT NULL, slot INTEGER NOT NULL, part INTEGER NOT NULL, entries BLOB NOT NULL, PRIMARY KEY (bucket, slot, part)) WITHOUT ROWID`,
    );
    const t = new SqliteSpillTable(this.db, name);
    this.tables.set(name, t);
    return t;
  }

  /** Closes and deletes the file. */
  close(): void {
    if (!this.db) return;
    this.db.close();
    this.db = null;
    this.tables.clear();
    rmSync(this.path, { force: true });
  }

  private create(): DatabaseSync {
    rmSync(this.path, { force: true });
    const db = new DatabaseSync(this.path);
    // A cache rebuilt on every start needs neither a journal nor syncs; nothing else opens the file.
    db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE');
    return db;
  }
}

class SqliteSpillTable implements SpillTable {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly select: StatementSync;
  private readonly remove: StatementSync;
  private readonly drop: StatementSync;
  /** Numbers the groups of a slot apart. */
  private parts = 0;
  private readonly bytesByBucket = new Map<number, number>();

  constructor(db: DatabaseSync, name: string) {
    this.db = db;
    this.insert = db.prepare(`INSERT INTO ${name} (bucket, slot, part, entries) VALUES (?, ?, ?, ?)`);
    this.select = db.prepare(`SELECT entries FROM ${name} WHERE bucket = ? AND slot = ?`);
    this.remove = db.prepare(`DELETE FROM ${name} WHERE bucket = ? AND slot = ?`);
    this.drop = db.prepare(`DELETE FROM ${name} WHERE bucket <= ?`);
    this.select.setReturnArrays(true);
  }

  get bytes(): number {
    let n = 0;
    for (const b of this.bytesByBucket.values()) n += b;
    return n;
  }

  put(groups: Iterable<SpillGroup>): void {
    this.transaction(() => {
      for (const g of groups) {
        this.insert.run(g.bucket, g.slot, this.parts++, g.entries);
        this.count(g.bucket, g.entries.length);
      }
    });
  }

  get(bucket: number, slot: number): Uint8Array[] {
    return (this.select.all(bucket, slot) as unknown as [Uint8Array][]).map((r) => r[0]);
  }

  replace(bucket: number, slot: number, entries: Uint8Array): void {
    for (const g of this.get(bucket, slot)) this.count(bucket, -g.length);
    this.count(bucket, entries.length);
    this.transaction(() => {
      this.remove.run(bucket, slot);
      if (entries.length > 0) this.insert.run(bucket, slot, this.parts++, entries);
    });
  }

  dropThrough(bucket: number): void {
    this.drop.run(bucket);
    for (const b of this.bytesByBucket.keys()) if (b <= bucket) this.bytesByBucket.delete(b);
  }

  private count(bucket: number, bytes: number): void {
    this.bytesByBucket.set(bucket, (this.bytesByBucket.get(bucket) ?? 0) + bytes);
  }

  private transaction(write: () => void): void {
    this.db.exec('BEGIN');
    try {
      write();
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }
}
