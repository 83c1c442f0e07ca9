import { rmSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { errors } from '../errors.ts';

/** A group of spilled entries, encoded by their state: those of one slot (a range of key hashes) of one time bucket. */
export interface SpillGroup {
  bucket: number;
  slot: number;
  entries: Uint8Array;
}

/**
 * One state's spilled entries as groups by time bucket and hash slot: what memory could not hold, read back a slot at
 * a time. A row per group rather than per entry: a statement costs 1.3 - 1.7 µs whatever it writes, so a row per entry
 * cost 2.5 s of the engine's thread at 5 million events (1.9 million requests spilled), a row per ~40 entries 0.6 s.
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
 * before they spill, so the file is a cache: created on every start when a state first spills and filled from the
 * warehouse, never synced to disk. A failure to write or read it (a full disk) is `ADW_ERR_STATE_SPILL`.
 */
export class SpillFile {
  readonly path: string;
  private db: DatabaseSync | null = null;
  private readonly tables = new Map<string, SqliteSpillTable>();

  constructor(path: string) {
    this.path = path;
  }

  /** The table of the state called `name` (a constant identifier), created with the file when it first spills. */
  table(name: string): SpillTable {
    let t = this.tables.get(name);
    if (!t) {
      t = new SqliteSpillTable(() => this.open(), name, this.path);
      this.tables.set(name, t);
    }
    return t;
  }

  /** Closes and deletes the file. */
  close(): void {
    this.tables.clear();
    if (!this.db) return;
    this.db.close();
    this.db = null;
    rmSync(this.path, { force: true });
  }

  /** The database, created (replacing what a previous process left at the path) on first use. */
  private open(): DatabaseSync {
    if (this.db) return this.db;
    rmSync(this.path, { force: true });
    const db = new DatabaseSync(this.path);
    // A cache rebuilt on every start needs neither a journal nor syncs; nothing else opens the file. Pages of 16 KiB:
    // a group (1 - 4 KB) fits in one with others, where at 4 KiB most spilled to overflow pages.
    db.exec(
      'PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE',
    );
    this.db = db;
    return db;
  }
}

/** A table's statements, prepared when it first spills. */
interface Statements {
  db: DatabaseSync;
  insert: StatementSync;
  select: StatementSync;
  remove: StatementSync;
  drop: StatementSync;
}

class SqliteSpillTable implements SpillTable {
  private readonly open: () => DatabaseSync;
  private readonly name: string;
  private readonly path: string;
  private sql: Statements | null = null;
  /** Numbers the groups of a slot apart. */
  private parts = 0;
  private readonly bytesByBucket = new Map<number, number>();

  constructor(open: () => DatabaseSync, name: string, path: string) {
    this.open = open;
    this.name = name;
    this.path = path;
  }

  get bytes(): number {
    let n = 0;
    for (const b of this.bytesByBucket.values()) n += b;
    return n;
  }

  put(groups: Iterable<SpillGroup>): void {
    this.transaction((sql) => {
      for (const g of groups) {
        sql.insert.run(g.bucket, g.slot, this.parts++, g.entries);
        this.count(g.bucket, g.entries.length);
      }
    });
  }

  get(bucket: number, slot: number): Uint8Array[] {
    if (!this.sql) return [];
    const select = this.sql.select;
    return this.guard(() => (select.all(bucket, slot) as unknown as [Uint8Array][]).map((r) => r[0]));
  }

  replace(bucket: number, slot: number, entries: Uint8Array): void {
    for (const g of this.get(bucket, slot)) this.count(bucket, -g.length);
    this.count(bucket, entries.length);
    this.transaction((sql) => {
      sql.remove.run(bucket, slot);
      if (entries.length > 0) sql.insert.run(bucket, slot, this.parts++, entries);
    });
  }

  dropThrough(bucket: number): void {
    const drop = this.sql?.drop;
    if (drop) this.guard(() => drop.run(bucket));
    for (const b of this.bytesByBucket.keys()) if (b <= bucket) this.bytesByBucket.delete(b);
  }

  private count(bucket: number, bytes: number): void {
    this.bytesByBucket.set(bucket, (this.bytesByBucket.get(bucket) ?? 0) + bytes);
  }

  private transaction(write: (sql: Statements) => void): void {
    this.guard(() => {
      const sql = this.statements();
      sql.db.exec('BEGIN');
      try {
        write(sql);
        sql.db.exec('COMMIT');
      } catch (err) {
        if (sql.db.isTransaction) sql.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  private statements(): Statements {
    if (this.sql) return this.sql;
    const db = this.open();
    const t = this.name;
    db.exec(
      // A rowid table, its key in an index: WITHOUT ROWID keeps the groups in the key's tree, which suits rows of under
      // a twentieth of a page. With 16 KiB pages, groups like a bench's (31,000, 89 MB at 2 million events) were
      // written for a third of the CPU and read back in a third of the time; in the bench, 40% less time writing
      // them on the engine's thread, 1 - 5% less CPU per event (three pairs, 2026-12-06).
      `CREATE TABLE ${t} (bucket INTEGER NOT NULL, slot INTEGER NOT NULL, part INTEGER NOT NULL, entries BLOB NOT NULL, PRIMARY KEY (bucket, slot, part))`,
    );
    const select = db.prepare(`SELECT entries FROM ${t} WHERE bucket = ? AND slot = ?`);
    select.setReturnArrays(true);
    this.sql = {
      db,
      insert: db.prepare(`INSERT INTO ${t} (bucket, slot, part, entries) VALUES (?, ?, ?, ?)`),
      select,
      remove: db.prepare(`DELETE FROM ${t} WHERE bucket = ? AND slot = ?`),
      drop: db.prepare(`DELETE FROM ${t} WHERE bucket <= ?`),
    };
    return this.sql;
  }

  /** Runs an SQLite call, its failure (a full disk, a file removed under it) as one coded error. */
  private guard<T>(call: () => T): T {
    try {
      return call();
    } catch (err) {
      throw errors.stateSpill(this.path, (err as Error).message);
    }
  }
}
