import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultKafkaPartitions } from '../../src/connectors/kafka/options.ts';
import { adwJson, adwSync, show } from '../support/cli.ts';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'adw-bench-test-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The lines of the workload `adw bench` generates for this seed and size, and how many are dimension rows. */
function workloadLines(events: number, seed: number): { lines: number; dims: number } {
  const workload = join(dir, `workload-${seed}-${events}.ndjson`);
  const sim = adwSync(dir, ['simulate', '--seed', String(seed), '--events', String(events), '--out', workload]);
  assert.equal(sim.status, 0, show(sim));
  const lines = readFileSync(workload, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  return { lines: lines.length, dims: lines.filter((l) => l.startsWith('{"type":"dim"')).length };
}

/** A bench's figures agree with each other and with the `lines` records it read. */
function assertFiguresAgree(r: Record<string, unknown>, events: number, lines: number): void {
  assert.equal(r.events, events);
  assert.equal(r.records_in, lines);
  const seconds = r.seconds as number;
  assert.ok(seconds > 0);
  // `seconds` is rounded to hundredths and events_per_sec to a whole number: the wall time was within 5 ms of it.
  const eps = r.events_per_sec as number;
  assert.ok(
    eps >= lines / (seconds + 0.005) - 1 && eps <= lines / (seconds - 0.005) + 1,
    `events_per_sec ${eps} vs ${lines} lines in ${seconds} s`,
  );
  assert.ok((r.freshness_p50_ms as number) > 0 && (r.freshness_p50_ms as number) <= (r.freshness_p99_ms as number));
  assert.ok((r.checkpoints as number) >= 1);
  assert.ok(
    (r.dead_lettered as number) > 0 && (r.duplicates as number) > 0,
    'the workload carries malformed records and client retries',
  );
  const thread = r.engine_thread_cpu_us_per_event as number;
  const all = r.process_cpu_us_per_event as number;
  // The engine's thread is one of the process's threads: its CPU time cannot exceed the process's.
  assert.ok(thread > 0 && all >= thread, `engine thread ${thread} µs, process ${all} µs`);
  // The calibration is measured in the same run, whatever the source: the bars are ratios to it.
  const machine = r.machine as Record<string, unknown>;
  const before = machine.json_parse_us_per_line as number;
  const after = machine.json_parse_us_per_line_after as number;
  assert.ok(before > 0 && after > 0, JSON.stringify(machine));
  // The bars' ratio is the process's CPU per event against the two calibrations' mean (each figure rounded).
  const parses = r.process_cpu_parses_per_event as number;
  const exact = all / ((before + after) / 2);
  assert.ok(Math.abs(parses - exact) <= 0.01 + exact * 0.02, `${parses} parses vs ${exact} from ${all} µs`);
  assert.ok((r.peak_rss_mb as number) > 0);
}

// Speed is not asserted (that is the benchmark's job); what is asserted is that its figures are what they claim.
test('adw bench --json runs the whole workload and reports figures that agree with each other', () => {
  const events = 40_000;
  const r = adwJson(dir, ['bench', '--events', String(events), '--seed', '7', '--json']);
  assert.equal(r.source, 'file');
  // Every line of the deterministic workload went in: the event lines and the dimension rows alongside.
  assertFiguresAgree(r, events, workloadLines(events, 7).lines);
});

test('adw bench --source kafka reads the workload once from its own broker, calibrated in the same run', () => {
  const events = 20_000;
  const r = adwJson(dir, ['bench', '--source', 'kafka', '--events', String(events), '--seed', '7', '--json']);
  assert.equal(r.source, 'kafka');
  // Every line once, and the dimension rows once more for each partition but the first (every partition gets them).
  const { lines, dims } = workloadLines(events, 7);
  assertFiguresAgree(r, events, lines + dims * (defaultKafkaPartitions - 1));
});
