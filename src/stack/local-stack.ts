import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { processAlive, stopProcess } from './process.ts';
import { startKafka } from './kafka.ts';

/** Where `adw up` keeps its servers' data, logs and pid files. */
export function stackHome(): string {
  return process.env.ADW_HOME ?? join(homedir(), '.local', 'state', 'adw');
}

/** Ports of the local stack. */
export interface StackPorts {
  kafka: number;
  kafkaController: number;
}

export const defaultStackPorts: StackPorts = { kafka: 9092, kafkaController: 9093 };

/** One server of the local stack as `adw up` reports it. */
export interface StackService {
  name: string;
  address: string;
  pid: number;
  dir: string;
  started: boolean;
}

function runningPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  return Number.isSafeInteger(pid) && processAlive(pid) ? pid : null;
}

/** Starts what is not running yet, in the background; the servers outlive this process. */
export async function stackUp(ports: StackPorts = defaultStackPorts): Promise<StackService[]> {
  const dir = join(stackHome(), 'kafka');
  const pid = runningPid(join(dir, 'kafka.pid'));
  if (pid !== null) return [{ name: 'kafka', address: `127.0.0.1:${ports.kafka}`, pid, dir, started: false }];
  const k = await startKafka({ dir, port: ports.kafka, controllerPort: ports.kafkaController, detached: true });
  return [{ name: 'kafka', address: k.brokers, pid: k.pid, dir, started: true }];
}

/** Stops every server `adw up` started; with `purge`, deletes their data too. Returns the names stopped. */
export async function stackDown(purge = false): Promise<string[]> {
  const stopped: string[] = [];
  const dir = join(stackHome(), 'kafka');
  const pid = runningPid(join(dir, 'kafka.pid'));
  if (pid !== null) {
    await stopProcess(pid);
    stopped.push('kafka');
  }
  if (purge) rmSync(stackHome(), { recursive: true, force: true });
  return stopped;
}
