// Scratch folders and files of this process (memory-backed by default), and the removal of those a killed process left
// behind.
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
 * A new scratch path, `<prefix>-<pid>-<random>` in `base` (the caller creates it). The first call for a prefix removes
 * that prefix's folders and files whose process is gone: a process killed by kill -9, a crash or the kernel's
 * out-of-memory killer cannot remove its own, and in /dev/shm they hold memory until the machine restarts.
 */
export function scratchPath(prefix: string, base = scratchBase): string {
  if (!swept.has(join(base, prefix))) {
    swept.add(join(base, prefix));
    removeOrphans(prefix, base);
  }
  return join(base, `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function removeOrphans(prefix: string, base: string): void {
  const pattern = new RegExp(`^${prefix}-(\\d+)-[0-9a-z]+$`);
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN);
    if (!(pid > 0) || pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(join(base, name), { recursive: true, force: true });
    } catch {
      // Another user's folder: theirs to remove.
    }
  }
}
