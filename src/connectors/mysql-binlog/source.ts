import ZongJi from '@vlasky/zongji';
import { createConnection } from 'mysql2/promise';
import type { SourceRecord } from '../../engine/records.ts';
import { errors } from '../../errors.ts';
import { dimensionKeys, dimensionTables, type DimensionTable } from '../../events/schema.ts';
import type { Source, SourcePoll } from '../source.ts';
import { wireRow } from './schema.ts';

/** Where the binlog source is: the GTID position after the last transaction handed out, and how many records so far (their seq). */
interface BinlogPosition {
  gtid: string;
  n: number;
}

const TABLES = new Set<string>(dimensionTables);

type RowEvent = { getEventName(): string; tableId: number; tableMap: Record<number, { tableName: string }>; rows: Record<string, unknown>[] | { after: Record<string, unknown>; before: Record<string, unknown> }[]; gtid?: string };

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
  private zongji: ZongJi | null = null;
  /** Committed transactions not yet handed out: their lines and the position after them. */
  private ready: { lines: string[]; gtid: string; snapshot?: boolean }[] = [];
  private closed = false;
  /** Times the binlog connection was lost and opened again. */
  reconnects = 0;
  private tx: string[] = [];
  private txGtid = '';
  private pos: BinlogPosition = { gtid: '', n: 0 };

  constructor(opts: { url: string; database: string }) {
    this.url = opts.url;
    this.database = opts.database;
    this.id = `mysql:${opts.database}`;
  }

  async open(position: string | null, fingerprint: string | null): Promise<void> {
    if (fingerprint !== null && fingerprint !== this.fingerprint()) throw errors.inputMismatch(this.id, `the checkpoint is of ${fingerprint}`);
    if (position !== null) this.pos = JSON.parse(position) as BinlogPosition;
    else this.pos = { gtid: await this.snapshot(), n: 0 };
    this.follow();
  }

  /** Follows the binlog from the position; on a lost connection (a server restart) it starts again from there. */
  private follow(): void {
    const zongji = new ZongJi(parseUrl(this.url));
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
    zongji.start({ serverId: 4242, gtidSet: this.pos.gtid, includeEvents: ['mariadbgtid', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid'], includeSchema: { [this.database]: true } });
  }

  /** Reads every dimension row in one consistent snapshot; returns the GTID position it is consistent with. */
  private async snapshot(): Promise<string> {
    const c = await createConnection({ ...parseUrl(this.url), decimalNumbers: false });
    try {
      await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      // MariaDB reports the binlog coordinates its consistent snapshot corresponds to.
      const [status] = await c.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
      const v = Object.fromEntries((status as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name.toLowerCase(), r.Value]));
      if (!v.binlog_snapshot_file) throw errors.sourceFailed(this.id, 'the server reports no binlog snapshot position: is the binlog on (log-bin, binlog_format=ROW)?');
      const [gtidRows] = await c.query('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [v.binlog_snapshot_file, Number(v.binlog_snapshot_position)]);
      const lines: string[] = [];
      for (const t of dimensionTables) {
        const [rows] = await c.query(`SELECT * FROM \`${this.database}\`.\`${t}\` ORDER BY \`${dimensionKeys[t]}\``);
        for (const row of rows as Record<string, unknown>[]) lines.push(JSON.stringify({ type: 'dim', table: t, op: 'upsert', row: wireRow(row) }));
      }
      await c.query('COMMIT');
      const gtid = String((gtidRows as { gtid: string | null }[])[0].gtid ?? '');
      this.ready.push({ lines, gtid, snapshot: true });
      return gtid;
    } finally {
      await c.end();
    }
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
          const row = name === 'updaterows' ? (r as { after: Record<string, unknown> }).after : (r as Record<string, unknown>);
          this.tx.push(JSON.stringify({ type: 'dim', table: t, op: 'upsert', row: wireRow(row) }));
        }
      }
    }
  }

  async poll(max: number): Promise<SourcePoll> {
    const records: SourceRecord[] = [];
    // Whole transactions only, so the position never falls inside one.
    while (this.ready.length > 0 && (records.length === 0 || records.length + this.ready[0].lines.length <= max)) {
      const tx = this.ready.shift()!;
      for (const line of tx.lines) records.push({ line, bytes: Buffer.byteLength(line), seq: this.pos.n++ });
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

/** mysql://user:password@host:port as connection options. */
function parseUrl(url: string): { host: string; port: number; user: string; password: string } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}
