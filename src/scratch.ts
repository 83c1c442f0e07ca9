// Scratch folders of this process in memory-backed storage, and the removal of those a killed process left behind.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './processes.ts';

/** Memory-backed storage (/dev/shm) where the machine has it, so scratch files cost a copy, not a disk write. */
export const scratchBase = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Prefixes already swept by this process. */
const swept = new Set<string>();

/**
 * A new scratch folder's path, `<prefix>-<pid>-<random>` in `scratchBase` (the caller creates it). The first call for
 * a prefix removes that prefix's folders whose process is gone: a process killed by kill -9, a crash or the kernel's
 * out-of-memory killer cannot remove its own, and in /dev/shm they hold memory until the machine restarts.
 */
export function scratchPath(prefix: string): string {
  if (!swept.has(prefix)) {
    swept.add(prefix);
    removeOrphans(prefix);
  }
  return join(scratchBase, `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function removeOrphans(prefix: string): void {
  const pattern = new RegExp(`^${prefix}-(\\d+)-[0-9a-z]+$`);
  let names: string[];
  try {
    names = readdirSync(scratchBase);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN);
    if (!(pid > 0) || pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(join(scratchBase, name), { recursive: true, force: true });
    } catch {
      // Another user's folder: theirs to remove.
    }
  }
}
