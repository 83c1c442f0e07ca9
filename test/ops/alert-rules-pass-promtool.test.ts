import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { debianPackages, ensureDebianPackages } from '../../src/stack/debian-packages.ts';
import { scratch } from '../support/pipeline.ts';

const OPS = new URL('../../ops/prometheus/', import.meta.url).pathname;
const RULES = join(OPS, 'adw-alerts.yml');
const TESTS = join(OPS, 'adw-alerts.test.yml');
let s: ReturnType<typeof scratch>;

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

before(() => {
  ensureDebianPackages([debianPackages.prometheus]);
  s = scratch('adw-promtool-');
});
after(() => s.cleanup());

test("promtool accepts the rules file and every rule's unit tests pass", () => {
  const check = promtool('check', 'rules', RULES);
  assert.equal(check.status, 0, check.output);
  const unit = promtool('test', 'rules', TESTS);
  assert.equal(unit.status, 0, unit.output);
  assert.match(unit.output, /SUCCESS/);
});

test('every alert has a unit test', () => {
  const alerts = [...readFileSync(RULES, 'utf8').matchAll(/^\s*- alert: (\w+)/gm)].map((m) => m[1]);
  const tested = new Set([...readFileSync(TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  assert.ok(alerts.length >= 9, `alerts found: ${alerts}`);
  for (const a of alerts) assert.ok(tested.has(a), `${a} has a test`);
});

test('the unit tests catch a rule whose threshold was weakened', () => {
  const rules = readFileSync(RULES, 'utf8');
  assert.ok(rules.includes('> 0.85'));
  writeFileSync(join(s.dir, 'adw-alerts.yml'), rules.replace('> 0.85', '> 0.95'));
  copyFileSync(TESTS, join(s.dir, 'adw-alerts.test.yml'));
  const unit = promtool('test', 'rules', join(s.dir, 'adw-alerts.test.yml'));
  assert.notEqual(unit.status, 0);
  assert.match(unit.output, /AdwMemoryNearLimit/);
});
