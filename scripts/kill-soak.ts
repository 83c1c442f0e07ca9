// Kill soak: kills `adw run` with SIGKILL at seeded random moments many times over one workload, lets it finish,
// then checks the warehouse against the offline recomputation and an uninterrupted run. Too long for the test line.
// Usage: npm run soak -- [--kills 100] [--events 40000 per kill] [--seed S]
// Progress goes to stderr; one JSON object goes to stdout; the exit code is 0 only if every check holds.
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { join } from 'node:path';
import { parseCount } from '../src/cli/parse.ts';
import { errors, isAdwError } from '../src/errors.ts';
import { writeSimulation } from '../src/simulator/simulate.ts';
import { killPoints, killRepeatedly } from '../test/support/engine-child.ts';
import { aggregateSnapshot, dwaDifferences, dwdSnapshot, ledger, runFile, scratch } from '../test/support/pipeline.ts';

const usage = 'usage: npm run soak -- [--kills N] [--events N] [--seed N]';

/** A whole-number option of at least `min`, or `fallback` when absent. */
function count(text: string | undefined, option: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = parseCount(text, option);
  if (n < min) throw errors.badOption(option, `must be at least ${min}`);
  return n;
}

let kills: number, events: number, seed: number;
try {
  const { values } = parseArgs({
    options: { kills: { type: 'string' }, events: { type: 'string' }, seed: { type: 'string' } },
  });
  kills = count(values.kills, '--kills', 100, 1);
  // Each restart rebuilds its state from the warehouse and then runs for one to four 50 ms checkpoints before its
  // kill: 4,000 to 12,000 lines a segment on average on a busy 2026-12-01, 21,600 when the machine was quiet that
  // evening (100 kills used 2,157,000 of 2,500,000 lines). 40,000 lines per kill leaves work for every kill on a
  // faster day too; if not, the soak says so rather than counting fewer kills.
  events = count(values.events, '--events', kills * 40_000, 1);
  seed = count(values.seed, '--seed', Date.now() % 100_000, 0);
} catch (e) {
  process.stderr.write(
    `kill-soak: ${(e as Error).message.split('\n')[0]}${isAdwError(e) ? ` [${e.code}]` : ''} (${usage})\n`,
  );
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`kill-soak: ${line}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

/** Runs the soak in a scratch directory; resolves to the exit code. */
async function soak(dir: string): Promise<number> {
  log(
    `seed ${seed}, ${kills} kills, ${events} events (replay: npm run soak -- --kills ${kills} --events ${events} --seed ${seed})`,
  );
  const input = join(dir, 'in.ndjson');
  const { lines } = await writeSimulation({ seed, events }, input);
  log(`workload: ${lines} lines (${elapsed()})`);

  const db = join(dir, 'killed.duckdb');
  // The same engine settings as test/engine/exactly-once-after-kill.test.ts: small batches and frequent checkpoints.
  const args = ['--input', input, '--db', db, '--until-end', '--batch-size', '500', '--checkpoint-interval', '50ms'];
  let committed = 0;
  const landed = await killRepeatedly(args, killPoints(seed), kills, async (n, at) => {
    committed = (await ledger(db)).recordsIn;
    log(
      `kill ${n}/${kills} after checkpoint ${at.checkpoints} + ${at.delayMs} ms: ${committed} of ${lines} lines committed (${elapsed()})`,
    );
  });
  // A kill after the last line was committed hit the engine on its way out, not mid-run.
  if (landed < kills || committed === lines) {
    log(
      `the engine finished after ${landed} of ${kills} kills: the workload is too short for them; give more --events (seed ${seed})`,
    );
    return 1;
  }
  log(`restarted run finished (${elapsed()}); now the uninterrupted run`);

  const reference = join(dir, 'reference.duckdb');
  await runFile(input, reference);
  log(`uninterrupted run finished (${elapsed()}); comparing`);

  const l = await ledger(db);
  const result = {
    kills: landed,
    // Every kill is followed by a restart; the last one runs to the end.
    restarts: landed,
    seed,
    events,
    records_in: l.recordsIn,
    accepted: l.accepted,
    dead_lettered: l.deadLettered,
    in_equals_accepted_plus_dead: l.recordsIn === lines && l.accepted + l.deadLettered === lines,
    ods_exactly_once: l.odsRows === l.accepted && l.deadLetterRows === l.deadLettered,
    dwa_equals_offline: (await dwaDifferences(db)).length === 0,
    dwd_equals_uninterrupted: isDeepStrictEqual(await dwdSnapshot(db), await dwdSnapshot(reference)),
    dwa_app_equal_uninterrupted: isDeepStrictEqual(await aggregateSnapshot(db), await aggregateSnapshot(reference)),
    wall_seconds: Math.round((performance.now() - started) / 1000),
    day: new Date().toISOString().slice(0, 10),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const held = Object.values(result).every((v) => v !== false);
  log(held ? `all checks hold (${elapsed()})` : `a check failed (seed ${seed})`);
  return held ? 0 : 1;
}

const tmp = scratch('adw-soak-');
try {
  process.exitCode = await soak(tmp.dir);
} finally {
  tmp.cleanup();
}
