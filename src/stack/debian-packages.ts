import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { errors } from '../errors.ts';

/** A Debian package the project installs on demand, and the file whose presence shows it is installed. */
export interface DebianPackage {
  name: string;
  binary: string;
}

/** The Debian packages ADW's local stack and tests use. */
export const debianPackages = {
  chromium: { name: 'chromium', binary: '/usr/bin/chromium' },
  mariadb: { name: 'mariadb-server', binary: '/usr/sbin/mariadbd' },
  prometheus: { name: 'prometheus', binary: '/usr/bin/promtool' },
} as const satisfies Record<string, DebianPackage>;

const POLICY_RC = '/usr/sbin/policy-rc.d';

/**
 * Installs the missing ones of `packages` with apt-get (root only; a no-op when all are present).
 * Services are kept from starting during the install: ADW starts its own instances on loopback.
 */
export function ensureDebianPackages(packages: readonly DebianPackage[], log: (line: string) => void = () => {}): void {
  const missing = packages.filter((p) => !existsSync(p.binary));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  if (process.getuid?.() !== 0) {
    throw errors.stackUnavailable(
      names.join(', '),
      `not installed, and installing needs root: apt-get install ${names.join(' ')}`,
    );
  }
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    log(`installing Debian packages: ${names.join(' ')}`);
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '')
      .trim()
      .split('\n')
      .at(-1);
    throw errors.stackUnavailable(names.join(', '), `apt-get failed: ${stderr || (e as Error).message}`);
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true });
  }
  const still = missing.filter((p) => !existsSync(p.binary));
  const [first] = still;
  if (first)
    throw errors.stackUnavailable(still.map((p) => p.name).join(', '), `installed but ${first.binary} is missing`);
}
