import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../processes.ts';

/** The command line of a process, arguments joined by spaces (Linux /proc), or null when there is no such process. */
export function processCommandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return null;
  }
}

/** Asks a server process to stop (SIGTERM), and kills it if it has not gone within `graceMs`. */
export async function stopProcess(pid: number, graceMs = 30_000): Promise<void> {
  if (!processAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  while (processAlive(pid)) await sleep(50);
}
