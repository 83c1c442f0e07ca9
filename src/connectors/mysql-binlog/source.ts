import ZongJi from '@vlasky/zongji';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection } from 'mysql2/promise';
import { errors, isAdwError, type AdwError } from '../../errors.ts';
import { dimensionKeys, dimensionTables, type DimensionTable } from '../../events/schema.ts';
import { lineRecord, type Source, type SourcePoll, type SourceRecord } from '../source.ts';
import { mysqlConnection } from './options.ts';
import { wireRow } from './schema.ts';

/**
 * Where the binlog source is: the GTID position after the last transaction handed out, and how many records so far
 * (their seq).
 */
interface BinlogPosition {
  gtid: string;
  n: number;
}

const TABLES = new Set<string>(dimensionTables);

/** How often a source waiting for its tables looks again. */
const TABLE_WAIT_MS = 1000;
/** Snapshots tried while the tables' definitions keep changing under them, a second apart. */
const SNAPSHOT_ATTEMPTS = 30;

/** Connection failures that mean the server cannot be reached (rather than refusing us). */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
]);

/** Options of the binlog source. */
export interface MySqlBinlogOptions {
  /** mysql://user:password@host:port */
  url: string;
  database: string;
  /** Called once, with the missing `database.table` names, when the first start has to wait for the tables to exist. */
  onWaitingForTables?: (tables: string[]) => void;
  /** Ends that wait (with ADW_ERR_INTERRUPTED). */
  signal?: AbortSignal;
}

type RowEvent = {
  getEventName(): string;
  tableId: number;
  tableMap: Record<number, { tableName: string }>;
  rows: Record<string, unknown>[] | { after: Record<string, unknown>; before: Record<string, unknown> }[];
  gtid?: string;
};

/**
 * Dimension tables of a MySQL/MariaDB database as a source of `dim` records: on first start a consistent snapshot
 * (every row, at a known GTID position), then every committed insert, update and delete from the row-format binlog,
 * whole transactions at a time. The position is the GTID after the last transaction handed out, so a restart resumes
 * exactly there (MariaDB GTID positions: domain-server-sequence).
 */
export class MySqlBinlogSource implements Source {
  readonly id: string;
  readonly unbounded = true;
  private readonly url: string;
  private readonly database: string;
  private readonly onWaitingForTables: (tables: string[]) => void;
  private readonly signal: AbortSignal | undefined;
  private zongji: ZongJi | null = null;
  /** Committed transactions not yet handed out: their lines and the position after them. */
  private ready: { lines: string[]; gtid: string; snapshot?: boolean }[] = [];
  private closed = false;
  /** Times the binlog connection was lost and opened again. */
  reconnects = 0;
  private tx: string[] = [];
  private txGtid = '';
  private pos: BinlogPosition = { gtid: '', n: 0 };

  constructor(opts: MySqlBinlogOptions) {
    this.url = opts.url;
    this.database = opts.database;
    this.onWaitingForTables = opts.onWaitingForTables ?? (() => {});
    this.signal = opts.signal;
    this.id = `mysql:${opts.database}`;
  }

  /**
   * Fails at once (ADW_ERR_SOURCE_UNREACHABLE, ADW_ERR_SOURCE_ACCESS_DENIED) when the server cannot be reached or
   * refuses the credentials. On a first start it waits for the database and its dimension tables, which whoever
   * owns them may create after the engine starts (a stack starting up), then takes the snapshot.
   */
  async open(position: string | null, fingerprint: string | null): Promise<void> {
    if (fingerprint !== null && fingerprint !== this.fingerprint())
      throw errors.inputMismatch(this.id, `the checkpoint is of ${fingerprint}`);
    const c = await createConnection({ ...mysqlConnection(this.url), decimalNumbers: false }).catch((e: unknown) =>
      Promise.reject(this.coded(e)),
    );
    try {
      if (position !== null) this.pos = JSON.parse(position) as BinlogPosition;
      else {
        await this.waitForTables(c);
        this.pos = { gtid: await this.stableSnapshot(c), n: 0 };
      }
    } catch (e) {
      throw this.coded(e);
    } finally {
      await c.end().catch(() => undefined);
    }
    this.follow();
  }

  /** A MySQL client error as one of ADW's (server unreachable, access refused, or a failed source). */
  private coded(e: unknown): AdwError {
    if (isAdwError(e)) return e;
    const { code, message } = e as { code?: string; message: string };
    const server = `MySQL ${safeUrl(this.url)}`;
    if (code !== undefined && NETWORK_ERRORS.has(code)) return errors.sourceUnreachable(server, message);
    if (
      code === 'ER_ACCESS_DENIED_ERROR' ||
      code === 'ER_DBACCESS_DENIED_ERROR' ||
      code === 'ER_TABLEACCESS_DENIED_ERROR'
    )
      return errors.sourceAccessDenied(server, message);
    return errors.sourceFailed(this.id, message);
  }

  /** Returns once the database holds every dimension table, reporting the missing ones once. */
  private async waitForTables(c: Connection): Promise<void> {
    let reported = false;
    for (;;) {
      const [rows] = await c.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [
        this.database,
      ]);
      const present = new Set((rows as { t: string }[]).map((r) => r.t));
      const missing = dimensionTables.filter((t) => !present.has(t));
      if (missing.length === 0) return;
      if (!reported) this.onWaitingForTables(missing.map((t) => `${this.database}.${t}`));
      reported = true;
      await sleep(TABLE_WAIT_MS, undefined, { signal: this.signal }).catch(() => undefined);
      if (this.signal?.aborted) throw errors.interrupted(`while waiting for tables of ${this.database}`);
    }
  }

  /** Follows the binlog from the position; on a lost connection (a server restart) it starts again from there. */
  private follow(): void {
    const zongji = new ZongJi(mysqlConnection(this.url));
    this.zongji = zongji;
    zongji.on('binlog', (evt: unknown) => this.onEvent(evt as RowEvent));
    zongji.on('error', () => {
      zongji.stop();
      if (this.closed) return;
      // What was read but not handed out is read again from the position: nothing twice, nothing skipped.
      this.ready = this.ready.filter((tx) => tx.snapshot);
      this.tx = [];
      this.reconnects++;
      setTimeout(() => {
        if (!this.closed) this.follow();
      }, 1000).unref();
    });
    zongji.start({
      serverId: 4242,
      gtidSet: this.pos.gtid,
      includeEvents: ['mariadbgtid', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid'],
      includeSchema: { [this.database]: true },
    });
  }

  /**
   * The snapshot, taken again while a table's definition changes under it: whoever creates the tables may still be
   * creating or emptying them (DDL) when they first all exist, and MariaDB then refuses the snapshot's read of that
   * table (ER_TABLE_DEF_CHANGED) rather than show it.
   */
  private async stableSnapshot(c: Connection): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.snapshot(c);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ER_TABLE_DEF_CHANGED' || attempt >= SNAPSHOT_ATTEMPTS) throw e;
        await c.query('ROLLBACK');
        await sleep(TABLE_WAIT_MS, undefined, { signal: this.signal }).catch(() => undefined);
        if (this.signal?.aborted) throw errors.interrupted(`while taking the snapshot of ${this.database}`);
      }
    }
  }

  /** Reads every dimension row in one consistent snapshot; returns the GTID position it is consistent with. */
  private async snapshot(c: Connection): Promise<string> {
    await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    // MariaDB reports the binlog coordinates its consistent snapshot corresponds to.
    const [status] = await c.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const v = Object.fromEntries(
      (status as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name.toLowerCase(), r.Value]),
    );
    if (!v.binlog_snapshot_file)
      throw errors.sourceFailed(
        this.id,
        'the server reports no binlog snapshot position: is the binlog on (log-bin, binlog_format=ROW)?',
      );
    const [gtidRows] = await c.query('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [
      v.binlog_snapshot_file,
      Number(v.binlog_snapshot_position),
    ]);
    const lines: string[] = [];
    for (const t of dimensionTables) {
      const [rows] = await c.query(`SELECT * FROM \`${this.database}\`.\`${t}\` ORDER BY \`${dimensionKeys[t]}\``);
      for (const row of rows as Record<string, unknown>[])
        lines.push(JSON.stringify({ type: 'dim', table: t, op: 'upsert', row: wireRow(row) }));
    }
    await c.query('COMMIT');
    // A SELECT without FROM returns exactly one row.
    const [gtidRow] = gtidRows as { gtid: string | null }[];
    if (!gtidRow) throw errors.sourceFailed(this.id, 'the server returned no binlog GTID position');
    const gtid = String(gtidRow.gtid ?? '');
    this.ready.push({ lines, gtid, snapshot: true });
    return gtid;
  }

  private onEvent(evt: RowEvent): void {
    const name = evt.getEventName();
    if (name === 'mariadbgtid') {
      this.tx = [];
      this.txGtid = String(evt.gtid ?? '');
    } else if (name === 'xid') {
      if (this.tx.length > 0) this.ready.push({ lines: this.tx, gtid: this.txGtid });
      this.tx = [];
    } else if (name === 'writerows' || name === 'updaterows' || name === 'deleterows') {
      const table = evt.tableMap[evt.tableId]?.tableName;
      if (!table || !TABLES.has(table)) return;
      const t = table as DimensionTable;
      for (const r of evt.rows) {
        if (name === 'deleterows') {
          const row = r as Record<string, unknown>;
          this.tx.push(JSON.stringify({ type: 'dim', table: t, op: 'delete', key: row[dimensionKeys[t]] }));
        } else {
          const row =
            name === 'updaterows' ? (r as { after: Record<string, unknown> }).after : (r as Record<string, unknown>);
          this.tx.push(JSON.stringify({ type: 'dim', table: t, op: 'upsert', row: wireRow(row) }));
        }
      }
    }
  }

  async poll(max: number): Promise<SourcePoll> {
    const records: SourceRecord[] = [];
    // Whole transactions only, so the position never falls inside one.
    for (
      let tx = this.ready[0];
      tx !== undefined && (records.length === 0 || records.length + tx.lines.length <= max);
      tx = this.ready[0]
    ) {
      this.ready.shift();
      for (const line of tx.lines) records.push(lineRecord(line, this.pos.n++));
      this.pos.gtid = tx.gtid;
    }
    return { records, end: false };
  }

  position(): string {
    return JSON.stringify(this.pos);
  }

  fingerprint(): string {
    return this.id;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.zongji?.stop();
  }
}

/** The URL without its password, for messages. */
function safeUrl(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString().replace(/\/$/, '');
}
