import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { flinkProcesses, startFlink } from './flink.ts';
import { startKafka } from './kafka.ts';
import { startMariaDb } from './mariadb.ts';
import { processCommandLine, stopProcess } from './process.ts';
import { defaultStackPorts, type StackPorts } from './ports.ts';

/** Where `adw up` keeps its servers' data, logs and pid files. */
export function stackHome(): string {
  // Absolute, so that the directory found in a server's command line is the one written there.
  return resolve(process.env.ADW_HOME ?? join(homedir(), '.local', 'state', 'adw'));
}

/** One server of the local stack as `adw up` reports it. */
export interface StackService {
  name: string;
  address: string;
  /** One per process of the server (Flink has three). */
  pids: number[];
  dir: string;
  started: boolean;
}

/**
 * The pid in `pidFile` if that process is the server: its command line holds the server's `marker` and its
 * directory (a pid of a server gone may since belong to any process). A pid file of no such server is removed.
 */
function serverPid(pidFile: string, dir: string, marker: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const cmdline = Number.isSafeInteger(pid) && pid > 0 ? processCommandLine(pid) : null;
  if (cmdline?.includes(marker) && cmdline.includes(`${dir}/`)) return pid;
  rmSync(pidFile, { force: true });
  return null;
}

/** A server of the local stack: its processes, each known by its pid file and a marker in its command line. */
interface StackServer {
  name: string;
  /** In the order they are stopped. */
  processes: { pidFile: string; marker: string }[];
  /** Started only when asked for (heavy). */
  optional?: boolean;
  address(p: StackPorts): string;
  start(dir: string, p: StackPorts): Promise<{ address: string; pids: number[] }>;
}

/** The servers of the local stack: each started in the background in its own directory, with pid files. */
const servers: StackServer[] = [
  {
    name: 'kafka',
    processes: [{ pidFile: 'kafka.pid', marker: 'kafka.Kafka' }],
    address: (p) => `127.0.0.1:${p.kafka}`,
    start: async (dir, p) => {
      const k = await startKafka({ dir, port: p.kafka, controllerPort: p.kafkaController, detached: true });
      return { address: k.brokers, pids: [k.pid] };
    },
  },
  {
    name: 'mariadb',
    processes: [{ pidFile: 'mariadb.pid', marker: 'mariadbd' }],
    address: (p) => `mysql://adw:adw@127.0.0.1:${p.mariadb}`,
    start: async (dir, p) => {
      const m = await startMariaDb({ dir, port: p.mariadb, detached: true });
      return { address: m.url, pids: [m.pid] };
    },
  },
  {
    name: 'flink',
    processes: (['sql-gateway', 'taskmanager', 'jobmanager'] as const).map((name) => ({
      pidFile: `${name}.pid`,
      marker: flinkProcesses[name],
    })),
    optional: true,
    address: (p) => `http://127.0.0.1:${p.flinkRest} (SQL Gateway http://127.0.0.1:${p.flinkGateway})`,
    start: async (dir, p) => {
      const f = await startFlink({ dir, restPort: p.flinkRest, gatewayPort: p.flinkGateway, detached: true });
      return { address: `${f.restUrl} (SQL Gateway ${f.gatewayUrl})`, pids: Object.values(f.pids) };
    },
  },
];

/** The pids of a server's processes that are running; stale pid files are removed. */
function runningPids(s: StackServer, dir: string): number[] {
  return s.processes
    .map((p) => serverPid(join(dir, p.pidFile), dir, p.marker))
    .filter((pid): pid is number => pid !== null);
}

/** Stops a server's running processes and removes their pid files; returns whether any was running. */
async function stopServer(s: StackServer, dir: string): Promise<boolean> {
  const pids = runningPids(s, dir);
  for (const pid of pids) await stopProcess(pid);
  for (const p of s.processes) rmSync(join(dir, p.pidFile), { force: true });
  return pids.length > 0;
}

/**
 * Starts what is not running yet, in the background; the servers outlive this process. Optional servers (Flink) only
 * if named in `optional`. A server some of whose processes have gone is restarted whole.
 */
export async function stackUp(ports: StackPorts = defaultStackPorts, optional: string[] = []): Promise<StackService[]> {
  const out: StackService[] = [];
  for (const s of servers.filter((s) => !s.optional || optional.includes(s.name))) {
    const dir = join(stackHome(), s.name);
    const pids = runningPids(s, dir);
    if (pids.length === s.processes.length)
      out.push({ name: s.name, address: s.address(ports), pids, dir, started: false });
    else {
      await stopServer(s, dir);
      out.push({ name: s.name, ...(await s.start(dir, ports)), dir, started: true });
    }
  }
  return out;
}

/** Stops every server `adw up` started; with `purge`, deletes their data too. Returns the names stopped. */
export async function stackDown(purge = false): Promise<string[]> {
  const stopped: string[] = [];
  for (const s of servers) if (await stopServer(s, join(stackHome(), s.name))) stopped.push(s.name);
  if (purge) rmSync(stackHome(), { recursive: true, force: true });
  return stopped;
}
