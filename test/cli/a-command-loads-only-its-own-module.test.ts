import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildProgram, commandModules } from '../../src/cli/program.ts';
import { ADW, adwSync } from '../support/cli.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-cli-modules-');
after(() => tmp.cleanup());
const hook = fileURLToPath(new URL('../support/loaded-modules.ts', import.meta.url));

const argv = (...args: string[]) => ['node', 'adw', ...args];
const names = async (...args: string[]) => (await buildProgram(argv(...args))).commands.map((c) => c.name());

test('each command loads its own module alone, which registers exactly the commands the table gives it', async () => {
  for (const m of commandModules)
    for (const name of m.names) assert.deepEqual(await names(name, '--help'), [...m.names], name);
});

test('without a command, or with one mistyped, every module loads: help lists all, each command once', async () => {
  const all = commandModules.flatMap((m) => m.names);
  assert.equal(new Set(all).size, all.length);
  for (const args of [[], ['--help'], ['help', 'run'], ['frobnicate'], ['qeury'], ['-x', 'query']])
    assert.deepEqual(await names(...args), all, args.join(' '));
});

test('a mistyped command still gets commander’s suggestion and the mistake’s exit status', () => {
  const r = adwSync(tmp.dir, ['qeury']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'qeury'/);
  assert.match(r.stderr, /Did you mean query\?/);
});

/** The modules `adw ARGS` loads, through a preloaded resolve hook. */
function loadedBy(...args: string[]): string[] {
  const list = join(tmp.dir, `${args.join('-')}.txt`);
  const r = spawnSync(ADW, args, {
    encoding: 'utf8',
    env: { ...process.env, ADW_LOADED_MODULES: list, NODE_OPTIONS: `--import ${hook}` },
  });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(list, 'utf8').split('\n');
}

test('the Kafka client loads only for a command that talks to Kafka', () => {
  const kafka = (urls: string[]) => urls.filter((u) => u.includes('/@platformatic/kafka/'));
  for (const args of [
    ['run', '--help'],
    ['simulate', '--help'],
    ['query', '--help'],
    ['serve', '--help'],
  ])
    assert.deepEqual(kafka(loadedBy(...args)), [], args.join(' '));
  // The hook sees it where it is loaded: the command that produces to Kafka has it.
  assert.notDeepEqual(kafka(loadedBy('collect', '--help')), []);
});
