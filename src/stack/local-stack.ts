import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { processCommandLine, stopProcess } from './process.ts';
import { startKafka } from './kafka.ts';
import { startMariaDb } from './mariadb.ts';

/** Where `adw up` keeps its servers' data, logs and pid files. */
export function stackHome(): string {
  // Absolute, so that the directory found in a server's command line is the one written there.
  return resolve(process.env.ADW_HOME ?? join(homedir(), '.local', 'state', 'adw'));
}

/** Ports of the local stack. */
export interface StackPorts {
  kafka: number;
  kafkaController: number;
  mariadb: number;
}

export const defaultStackPorts: StackPorts = { kafka: 9092, kafkaController: 9093, mariadb: 3306 };

/** One server of the local stack as `adw up` reports it. */
export interface StackService {
  name: string;
  address: string;
  pid: number;
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

/** The servers of the local stack: each started in the background in its own directory, with a pid file. */
const servers = [
  {
    name: 'kafka',
    pidFile: 'kafka.pid',
    marker: 'kafka.Kafka',
    address: (p: StackPorts) => `127.0.0.1:${p.kafka}`,
    start: async (dir: string, p: StackPorts) => {
      const k = await startKafka({ dir, port: p.kafka, controllerPort: p.kafkaController, detached: true });
      return { address: k.brokers, pid: k.pid };
    },
  },
  {
    name: 'mariadb',
    pidFile: 'mariadb.pid',
    marker: 'mariadbd',
    address: (p: StackPorts) => `mysql://adw:adw@127.0.0.1:${p.mariadb}`,
    start: async (dir: string, p: StackPorts) => {
      const m = await startMariaDb({ dir, port: p.mariadb, detached: true });
      return { address: m.url, pid: m.pid };
    },
  },
];

/** Starts what is not running yet, in the background; the servers outlive this process. */
export async function stackUp(ports: StackPorts = defaultStackPorts): Promise<StackService[]> {
  const out: StackService[] = [];
  for (const s of servers) {
    const dir = join(stackHome(), s.name);
    const pid = serverPid(join(dir, s.pidFile), dir, s.marker);
    if (pid !== null) out.push({ name: s.name, address: s.address(ports), pid, dir, started: false });
    else out.push({ name: s.name, ...(await s.start(dir, ports)), dir, started: true });
  }
  return out;
}

/** Stops every server `adw up` started; with `purge`, deletes their data too. Returns the names stopped. */
export async function stackDown(purge = false): Promise<string[]> {
  const stopped: string[] = [];
  for (const s of servers) {
    const dir = join(stackHome(), s.name);
    const pidFile = join(dir, s.pidFile);
    const pid = serverPid(pidFile, dir, s.marker);
    if (pid === null) continue;
    await stopProcess(pid);
    rmSync(pidFile, { force: true });
    stopped.push(s.name);
  }
  if (purge) rmSync(stackHome(), { recursive: true, force: true });
  return stopped;
}
