import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLimits, validateLine } from '../../src/events/validate.ts';

const ADW = new URL('../../bin/adw', import.meta.url).pathname;

let dir: string;
let env: NodeJS.ProcessEnv;
let input: string;
let db: string;

function adw(...args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(ADW, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

function show(r: SpawnSyncReturns<string>): string {
  return `status ${r.status}, signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'adw-cli-'));
  // Node's compile cache (per test run) makes each CLI start-up cheaper; it changes nothing the CLI does.
  env = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
  delete env.ADW_DEBUG;
  input = join(dir, 'in.ndjson');
  db = join(dir, 'w.duckdb');
  const sim = adw('simulate', '--seed', '3', '--events', '2000', '--out', input);
  assert.equal(sim.status, 0, show(sim));
  const run = adw('run', '--input', input, '--db', db, '--until-end', '--quiet');
  assert.equal(run.status, 0, show(run));
  assert.ok(existsSync(db));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A user mistake: non-zero exit, nothing on stdout, and one error line on stderr, "adw: ... [ADW_ERR_...]", with no
 * stack trace (commander's own refusals too, their hint on the same line).
 */
function assertMistake(r: SpawnSyncReturns<string>, pattern?: RegExp): string {
  assert.equal(r.signal, null, show(r));
  assert.notEqual(r.status, 0, show(r));
  assert.equal(r.stdout, '', show(r));
  const lines = r.stderr.split('\n').filter((l) => l.trim().length > 0);
  const [first, ...rest] = lines;
  assert.ok(first !== undefined, show(r));
  assert.match(first, /^adw: \S.* \[ADW_ERR_[A-Z_]+\]$/, show(r));
  if (pattern) assert.match(first, pattern, show(r));
  assert.equal(rest.length, 0, `more than one line on stderr:\n${show(r)}`);
  for (const l of lines) {
    assert.doesNotMatch(l, /^\s*at /, `stack trace on stderr:\n${show(r)}`);
    assert.doesNotMatch(l, /\.ts:\d*/, `source path on stderr:\n${show(r)}`);
  }
  return first;
}

describe('--help', () => {
  test('adw --help prints usage and the commands', () => {
    const r = adw('--help');
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^Usage: adw /);
    for (const c of ['demo', 'simulate', 'run', 'query', 'serve', 'bench'])
      assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
    assert.equal(r.stderr, '');
  });

  for (const c of ['demo', 'simulate', 'run', 'query', 'serve', 'bench']) {
    test(`adw ${c} --help prints its usage and options`, () => {
      const r = adw(c, '--help');
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout, new RegExp(`^Usage: adw ${c} `));
      assert.match(r.stdout, /^Options:$/m);
      assert.match(r.stdout, /--help/);
      assert.equal(r.stderr, '');
    });
  }
});

describe('mistakes are reported in one line without a stack trace', () => {
  test('unknown command', () => {
    assertMistake(adw('frobnicate'), /unknown command 'frobnicate' \[ADW_ERR_USAGE\]$/);
    assertMistake(adw('rn'), /unknown command 'rn' \(Did you mean run\?\) \[ADW_ERR_USAGE\]$/);
    assertMistake(adw('flink', 'frobnicate'), /unknown command 'frobnicate' \[ADW_ERR_USAGE\]$/);
  });

  test('unknown option', () => {
    assertMistake(adw('simulate', '--out', '-', '--bogus'), /unknown option '--bogus' \[ADW_ERR_USAGE\]$/);
    assertMistake(
      adw('query', '--db', db, '--metrics', 'requests', '--lmit', '3'),
      /Did you mean --limit\?\) \[ADW_ERR_USAGE\]$/,
    );
  });

  test('a required option or value missing, a value not among the choices, an argument too many', () => {
    assertMistake(adw('check'), /required option '--db <path>' not specified \[ADW_ERR_USAGE\]$/);
    assertMistake(adw('query', '--db', db, '--metrics'), /'--metrics <list>' argument missing \[ADW_ERR_USAGE\]$/);
    assertMistake(
      adw('run', '--engine', '<b>x'),
      /'<b>x' is invalid\. Allowed choices are embedded, flink\. \[ADW_ERR_USAGE\]$/,
    );
    assertMistake(
      adw('query', '--db', db, '--metrics', 'requests', 'extra'),
      /too many arguments .* \[ADW_ERR_USAGE\]$/,
    );
  });

  test('run without --input', () => {
    assertMistake(adw('run', '--db', join(dir, 'no-input.duckdb')), /--input/);
  });

  test('run on a missing input file, leaving no warehouse file behind', () => {
    assertMistake(adw('run', '--input', '/nonexistent', '--db', join(dir, 'x.duckdb'), '--until-end'), /\/nonexistent/);
    assert.equal(existsSync(join(dir, 'x.duckdb')), false);
  });

  test('query on a missing database', () => {
    const missing = join(dir, 'missing.duckdb');
    assertMistake(adw('query', '--db', missing, '--metrics', 'requests'), /missing\.duckdb/);
    assert.equal(existsSync(missing), false, 'a query does not create the database');
  });

  test('simulate with a bad count, duration, rate or start, each named by its option', () => {
    assertMistake(adw('simulate', '--events', 'abc', '--out', '-'), /--events/);
    assertMistake(adw('simulate', '--events', '', '--out', '-'), /option --events: "" is not a whole number/);
    // Number() would read these as 16, 1000 and 3: a count is decimal digits (grouped by _ at most).
    for (const count of ['0x10', '1e3', '0b11', '1__000', '_1'])
      assertMistake(
        adw('simulate', '--events', count, '--out', '-'),
        new RegExp(`option --events: "${count}" is not a whole number \\[ADW_ERR_BAD_OPTION\\]$`),
      );
    assert.equal(adw('simulate', '--events', '1_000', '--out', '-').status, 0, 'digits grouped by _ are a count');
    assertMistake(adw('simulate', '--span', '6x', '--out', '-'), /--span/);
    assertMistake(
      adw('simulate', '--span', '0', '--out', '-'),
      /option --span: .* longer than 0 \[ADW_ERR_BAD_OPTION\]$/,
    );
    for (const [option, value] of [
      ['--malformed-rate', '2'],
      ['--duplicate-rate', '-0.1'],
      ['--late-rate', 'abc'],
      ['--late-rate', ''],
    ])
      assertMistake(
        adw('simulate', option!, value!, '--out', '-'),
        new RegExp(`option ${option}: "${value}" is not a fraction from 0 to 1 .*\\[ADW_ERR_BAD_OPTION\\]$`),
      );
    for (const start of ['yesterday', 'x 1'])
      assertMistake(
        adw('simulate', '--start', start, '--out', '-'),
        /--start ".*" is not a date .*\[ADW_ERR_BAD_RANGE\]$/,
      );
  });

  test('run with a bad duration', () => {
    const late = join(dir, 'late.duckdb');
    assertMistake(
      adw('run', '--input', input, '--db', late, '--until-end', '--allowed-lateness', '5x'),
      /--allowed-lateness/,
    );
    assert.equal(existsSync(late), false, 'a run refused for its options creates no warehouse');
  });

  test('a port out of range, negative or not a whole number, before anything is opened', () => {
    const ports = join(dir, 'ports.duckdb');
    const token = ['--token', 'a-token-long-enough-to-serve'];
    const isNotAPort = (option: string, value: string) =>
      new RegExp(`option ${option}: "${value.replace('.', '\\.')}" is not a port .*\\[ADW_ERR_BAD_OPTION\\]$`);
    for (const port of ['65536', '99999', '-1', '8.5', 'http', '', ' ', '0x50', '8e1'])
      for (const option of ['--metrics-port', '--api-port'])
        assertMistake(
          adw('run', '--input', input, '--db', ports, '--until-end', ...token, option, port),
          isNotAPort(option, port),
        );
    assert.equal(existsSync(ports), false, 'a run refused for a port creates no warehouse');
    assertMistake(adw('serve', '--db', db, ...token, '--port', '70000'), isNotAPort('--port', '70000'));
    assertMistake(adw('demo', '--port', '65536'), isNotAPort('--port', '65536'));
    assertMistake(adw('collect', '--kafka', '127.0.0.1:1', '--port', '-3'), isNotAPort('--port', '-3'));
    // The local stack's servers listen where they are told: 0 is no port for them.
    assertMistake(adw('up', '--kafka-port', '0'), /option --kafka-port: "0" is not a port \(1 - 65535\)/);
  });

  test('an interval or timeout longer than a timer waits (it would fire after 1 ms), before anything is opened', () => {
    const timers = join(dir, 'timers.duckdb');
    const tooLong = (option: string) =>
      new RegExp(`option ${option}: "25d" is longer than a timer waits .*\\[ADW_ERR_BAD_OPTION\\]$`);
    for (const option of ['--checkpoint-interval', '--reconcile-interval'])
      assertMistake(
        adw('run', '--input', input, '--db', timers, '--until-end', '--metrics-port', '0', option, '25d'),
        tooLong(option),
      );
    assert.equal(existsSync(timers), false, 'a run refused for an interval creates no warehouse');
    assertMistake(adw('demo', '--port', '0', '--reconcile-interval', '25d'), tooLong('--reconcile-interval'));
    assertMistake(adw('bench', '--events', '10', '--checkpoint-interval', '25d'), tooLong('--checkpoint-interval'));
    for (const option of ['--headers-timeout', '--request-timeout', '--socket-timeout', '--keep-alive-timeout'])
      assertMistake(adw('collect', '--kafka', '127.0.0.1:1', option, '25d'), tooLong(option));
    // The longest a timer takes is still an interval.
    const r = adw('run', '--input', input, '--db', timers, '--until-end', '--quiet', '--checkpoint-interval', '24d');
    assert.equal(r.status, 0, show(r));
  });

  test('0 where at least one is needed (a collector refusing every request, an empty list), not clamped to 1', () => {
    const atLeastOne = (option: string) => new RegExp(`option ${option}: must be at least 1 \\[ADW_ERR_BAD_OPTION\\]$`);
    for (const option of ['--max-batch', '--rate-limit', '--max-connections'])
      assertMistake(adw('collect', '--kafka', '127.0.0.1:1', '--port', '0', option, '0'), atLeastOne(option));
    const none = join(dir, 'batch-0.duckdb');
    assertMistake(
      adw('run', '--input', input, '--db', none, '--until-end', '--batch-size', '0'),
      atLeastOne('--batch-size'),
    );
    assert.equal(existsSync(none), false, 'a run refused for its batch size creates no warehouse');
    assertMistake(adw('bench', '--query', '--iterations', '0'), atLeastOne('--iterations'));
    assertMistake(adw('advise-window', '--db', db, '--windows', ','), /--windows: give at least one window/);
  });

  test('an ODS retention that is not a whole number of days, or too short for the join window', () => {
    const kept = join(dir, 'kept.duckdb');
    const run = (...args: string[]) => adw('run', '--input', input, '--db', kept, '--until-end', ...args);
    for (const days of ['abc', '1.5', '0'])
      assertMistake(run('--ods-retention-days', days), /--ods-retention-days.*\[ADW_ERR_BAD_OPTION\]$/);
    assertMistake(run('--join-window', '36h', '--ods-retention-days', '1'), /--ods-retention-days.*at least 2 day/);
    for (const size of ['lots', '80%', '10MB', '1.5GB', '-1GB'])
      assertMistake(run('--warehouse-memory', size), /--warehouse-memory.*memory size.*\[ADW_ERR_BAD_OPTION\]$/);
    assert.equal(existsSync(kept), false, 'a run refused for its options creates no warehouse');
    assertMistake(adw('demo', '--port', '0', '--ods-retention-days', '0'), /--ods-retention-days/);
    assertMistake(adw('demo', '--port', '0', '--warehouse-memory', '1TB'), /--warehouse-memory/);
  });

  test('serving the API without a token, or with a guessable one', () => {
    delete env.ADW_API_TOKEN;
    assertMistake(adw('serve', '--db', db, '--port', '0'), /--token.*ADW_API_TOKEN/);
    assertMistake(adw('serve', '--db', db, '--port', '0', '--token', 'short'), /at least 16 characters/);
    assertMistake(adw('run', '--input', input, '--db', db, '--until-end', '--api-port', '0'), /--token.*ADW_API_TOKEN/);
  });

  test('serving the API on a port already in use (the API listens on a thread of its own)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const token = ['--token', 'a-token-of-sixteen-characters'];
      assertMistake(
        adw('serve', '--db', db, '--port', String(port), ...token),
        new RegExp(`--port.*${port} is in use`),
      );
    } finally {
      taken.close();
    }
  });

  test('query with an unknown metric on a real database', () => {
    assertMistake(adw('query', '--db', db, '--metrics', 'requests,no_such_metric'), /no_such_metric/);
  });

  test('query with a filter value its dimension cannot hold', () => {
    for (const v of ['abc', '1.5', '99999999999999999999'])
      assertMistake(
        adw('query', '--db', db, '--metrics', 'requests', '--filter', `campaign_id=${v}`),
        /campaign_id.*\[ADW_ERR_BAD_QUERY\]$/,
      );
  });

  test('a folder or a missing folder where a file belongs', () => {
    const nowhere = join(dir, 'no-such-folder', 'x');
    assertMistake(adw('simulate', '--events', '10', '--out', dir), /is a folder.*\[ADW_ERR_BAD_PATH\]$/);
    assertMistake(adw('simulate', '--events', '10', '--out', nowhere), /does not exist.*\[ADW_ERR_BAD_PATH\]$/);
    assertMistake(
      adw('run', '--input', dir, '--db', join(dir, 'from-a-folder.duckdb'), '--until-end'),
      /is a folder.*\[ADW_ERR_BAD_PATH\]$/,
    );
    assert.equal(
      existsSync(join(dir, 'from-a-folder.duckdb')),
      false,
      'a run refused for its input creates no warehouse',
    );
    assertMistake(adw('run', '--input', input, '--db', dir, '--until-end'), /is a folder.*\[ADW_ERR_BAD_PATH\]$/);
    assertMistake(
      adw('run', '--input', input, '--db', `${nowhere}.duckdb`, '--until-end'),
      /does not exist.*\[ADW_ERR_BAD_PATH\]$/,
    );
    for (const c of ['query', 'reconcile', 'advise-window'])
      assertMistake(
        adw(c, '--db', dir, ...(c === 'query' ? ['--metrics', 'requests'] : [])),
        /is a folder.*\[ADW_ERR_BAD_PATH\]$/,
      );
    assertMistake(adw('query', '--db', input, '--metrics', 'requests'), /\[ADW_ERR_DB_UNREADABLE\]$/);
  });
});

describe('query --json', () => {
  test('prints one JSON object: rows keyed by the requested dimension and metrics, and freshness', () => {
    const r = adw('query', '--db', db, '--metrics', 'requests,clicks', '--by', 'os', '--json');
    assert.equal(r.status, 0, show(r));
    const out = r.stdout.trimEnd();
    assert.equal(out.split('\n').length, 1, 'one line of JSON');
    const result = JSON.parse(out);
    assert.equal(typeof result, 'object');
    assert.ok(Array.isArray(result.rows));
    assert.ok(result.rows.length > 0);
    for (const row of result.rows) {
      assert.equal(typeof row, 'object');
      assert.deepEqual(Object.keys(row).sort(), ['clicks', 'os', 'requests']);
      assert.equal(typeof row.requests, 'number');
      assert.equal(typeof row.clicks, 'number');
    }
    assert.equal(typeof result.freshness, 'object');
    assert.notEqual(result.freshness, null);
    assert.ok(!Array.isArray(result.freshness));

    // The totals are those of the input: distinct valid requests and clicks (retries are deduplicated).
    const requests = new Set<string>();
    const clicks = new Set<string>();
    const now = Date.now();
    for (const line of readFileSync(input, 'utf8').split('\n')) {
      if (line === '') continue;
      const v = validateLine(line, Buffer.byteLength(line), defaultLimits, now);
      if (!v.ok) continue;
      if (v.record.kind === 'request') requests.add(v.record.id);
      if (v.record.kind === 'click') clicks.add(v.record.id);
    }
    const sum = (k: 'requests' | 'clicks') =>
      result.rows.reduce((s: number, row: { requests: number; clicks: number }) => s + row[k], 0);
    assert.equal(sum('requests'), requests.size);
    assert.equal(sum('clicks'), clicks.size);
  });

  test('the row keys follow the request', () => {
    const r = adw('query', '--db', db, '--metrics', 'exposures', '--by', 'device_type,region', '--json');
    assert.equal(r.status, 0, show(r));
    const result = JSON.parse(r.stdout);
    assert.ok(result.rows.length > 0);
    for (const row of result.rows) assert.deepEqual(Object.keys(row).sort(), ['device_type', 'exposures', 'region']);
  });
});

test('output piped into a reader that stops early (| head) ends the command quietly, with no internal error', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(ADW, ['simulate', '--events', '200000', '--out', '-'], { cwd: dir, env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // Like head -c: read the first chunk, then close the pipe.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(status, 0, `status ${status}\n--- stderr\n${stderr}`);
  assert.equal(stderr, '');
});

test('a Kafka broker that cannot be reached when producing is one coded line, not an internal error', () => {
  // Port 1 on loopback refuses connections at once.
  const r = adw('simulate', '--events', '10', '--kafka', '127.0.0.1:1');
  assert.equal(r.status, 1, show(r));
  assert.match(
    r.stderr,
    /^adw: cannot connect to Kafka at 127\.0\.0\.1:1: .*\[ADW_ERR_SOURCE_UNREACHABLE\]\n$/,
    show(r),
  );
});
