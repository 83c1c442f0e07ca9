import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { delimiter } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

test("the suite runs on the Node the project brings (current LTS, 24), not on the machine's", () => {
  const major = Number(process.versions.node.split('.')[0]);
  assert.ok(major >= 24, `running on Node ${process.version}`);
});

test('npm install on an older system Node is quiet: no false EBADENGINE warnings for the Node the project brings', (t) => {
  // The machine's own npm and Node, as a newcomer runs them (npm test puts the project's Node first on PATH).
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => !d.includes('node_modules'))
    .join(delimiter);
  const system = spawnSync('node', ['--version'], { env: { ...process.env, PATH: path }, encoding: 'utf8' });
  const major = Number(/^v(\d+)/.exec(system.stdout ?? '')?.[1]);
  if (!(major < 24))
    return t.skip(`the system Node (${system.stdout?.trim() || 'none'}) is not older than the project's`);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync('npm', ['install', '--dry-run', '--no-audit', '--no-fund'], {
    cwd: root,
    env: { ...process.env, PATH: path },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /EBADENGINE/);
});
