import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { errors } from '../errors.ts';
import { debianPackages, ensureDebianPackages } from './debian-packages.ts';
import { processAlive } from '../processes.ts';
import { stopProcess } from './process.ts';

export interface MariaDbOptions {
  /** The server's own directory: data, binlogs, socket, log. */
  dir: string;
  port: number;
  /** The user ADW connects as (replication and read rights), created on first start. */
  user?: string;
  password?: string;
  /** Keep running after this process exits (adw up); otherwise it is this process's child. */
  detached?: boolean;
}

/** A running MariaDB server of Debian's package, on loopback, with a row-format binlog. */
export interface RunningMariaDb {
  /** mysql://user:password@127.0.0.1:port */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts (or restarts, on the same directory) a private MariaDB with a row-format binlog; resolves once it accepts
 * connections.
 */
export async function startMariaDb(opts: MariaDbOptions): Promise<RunningMariaDb> {
  ensureDebianPackages([debianPackages.mariadb]);
  const data = join(opts.dir, 'data');
  mkdirSync(opts.dir, { recursive: true });
  const fresh = !existsSync(join(data, 'mysql'));
  if (fresh) {
    const r = spawnSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${data}`,
        '--user=root',
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (r.status !== 0)
      throw errors.stackUnavailable(
        'mariadb',
        `mariadb-install-db failed: ${(r.stdout + r.stderr).trim().split('\n').slice(-2).join(' ')}`,
      );
  }
  const socket = join(opts.dir, 'mariadb.sock');
  const log = join(opts.dir, 'mariadb.log');
  const fd = openSync(log, 'a');
  const child = spawn(
    '/usr/sbin/mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      `--port=${opts.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${join(opts.dir, 'mariadb.pid')}`,
      `--log-error=${log}`,
      // What change data capture needs: every row change in the binlog, whole rows, with column names.
      `--log-bin=${join(data, 'binlog')}`,
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
      '--binlog-row-metadata=FULL',
      '--server-id=1',
    ],
    { stdio: ['ignore', fd, fd], detached: opts.detached ?? false },
  );
  closeSync(fd);
  if (opts.detached) child.unref();
  const pid = child.pid!;
  const user = opts.user ?? 'adw';
  const password = opts.password ?? 'adw';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && processAlive(pid)) {
    try {
      const c = await createConnection({ socketPath: socket, user: 'root' });
      if (fresh) {
        await c.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}'`);
        await c.query(`GRANT ALL ON *.* TO '${user}'@'%'`);
      }
      await c.end();
      return { url: `mysql://${user}:${password}@127.0.0.1:${opts.port}`, pid, stop: () => stopProcess(pid) };
    } catch {
      await sleep(200);
    }
  }
  await stopProcess(pid);
  throw errors.stackUnavailable(
    'mariadb',
    `the server did not start: ${readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' ')}`,
  );
}
