import type { Command } from '@commander-js/extra-typings';
import { defaultEngineConfig } from '../../engine/config.ts';
import { errors } from '../../errors.ts';
import { adviseJoinWindow, followTypes } from '../../reconcile/join-window-advisor.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { formatDuration, pct } from '../format.ts';
import { parseDuration, parseList } from '../parse.ts';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function parseTargets(text: string): number[] {
  return parseList(text).map((t) => {
    const x = Number(t);
    if (!(x > 0 && x <= 1)) throw errors.badOption('--targets', `"${t}" is not a fraction in (0, 1]`);
    return x;
  });
}

export function registerAdviseWindow(program: Command): void {
  program
    .command('advise-window')
    .description(
      'window advisor: per window size, the share attributed as the attribution window and the memory held as the join window, from the observed delays; the smallest attribution window per target',
    )
    .requiredOption('--db <path>', 'warehouse database file')
    .option('--windows <list>', 'window sizes to evaluate', '1m,5m,15m,30m,1h,2h,4h,8h,12h,24h')
    .option('--targets <list>', 'target accuracies (fractions)', '0.95,0.99,0.999')
    .option('--json', 'one JSON object: observed, windows, recommendations')
    .action(async (opts) => {
      const windowsMs = parseList(opts.windows).map((w) => parseDuration(w, '--windows'));
      if (windowsMs.length === 0) throw errors.badOption('--windows', 'give at least one window (e.g. 1h,4h,24h)');
      const targets = parseTargets(opts.targets);
      const warehouse = await DuckDbWarehouse.open(opts.db, { readOnly: true });
      try {
        const advice = await adviseJoinWindow(warehouse, {
          windowsMs,
          targets,
          allowedLatenessMs: defaultEngineConfig.allowedLatenessMs,
        });
        if (opts.json) {
          const window = (ms: number | null) => (ms === null ? null : formatDuration(ms));
          process.stdout.write(
            `${JSON.stringify({
              observed: advice.observed,
              windows: advice.windows.map((w) => ({
                window: window(w.windowMs),
                window_ms: w.windowMs,
                accuracy: w.accuracy,
                state_keys: w.stateKeys,
                state_bytes: w.stateBytes,
              })),
              recommendations: advice.recommendations.map((r) => ({
                target: r.target,
                window: window(r.windowMs),
                window_ms: r.windowMs,
                state_keys: r.stateKeys,
                state_bytes: r.stateBytes,
              })),
            })}\n`,
          );
          return;
        }
        const o = advice.observed;
        process.stdout.write(
          `observed: ${o.requests} requests over ${formatDuration(o.spanMs)} of event time (${o.requestsPerSecond.toFixed(1)}/s); joined without a window: ${followTypes.map((t) => `${o.joined[t]} ${t}`).join(', ')}\n`,
        );
        console.table(
          advice.windows.map((w) => ({
            window: formatDuration(w.windowMs),
            ...Object.fromEntries(Object.entries(w.accuracy).map(([t, a]) => [`attributed ${t}`, pct(a)])),
            'as join window: keys': w.stateKeys,
            memory: mb(w.stateBytes),
          })),
        );
        for (const r of advice.recommendations) {
          process.stdout.write(
            `target ${pct(r.target)}: ${r.windowMs === null ? 'no follow events observed' : `attribution window ${formatDuration(r.windowMs)} (as a join window too: about ${r.stateKeys} keys, ${mb(r.stateBytes)} of memory; a shorter join window finds the rest in the warehouse)`}\n`,
          );
        }
      } finally {
        await warehouse.close();
      }
    });
}
