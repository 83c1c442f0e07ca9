import type { Command } from '@commander-js/extra-typings';
import { reconcile } from '../../reconcile/accuracy.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { pct } from '../format.ts';
import { parseCount, parseList } from '../parse.ts';

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description(
      'compare real-time DWA with DWA recomputed offline from ODS (no join window, all late data) over the period ODS still holds: accuracy per metric and slice',
    )
    .requiredOption('--db <path>', 'warehouse database file')
    .option('--by <list>', 'dimensions to slice by', 'advertiser_id,campaign_id,slot_id,os,device_type,region')
    .option('--worst <n>', 'how many worst slices to list', '10')
    .option(
      '--json',
      'one JSON object: period (from, to), metrics (realtime, offline, accuracy per metric), slices, worst',
    )
    .action(async (opts) => {
      const warehouse = await DuckDbWarehouse.open(opts.db, { readOnly: true });
      try {
        const report = await reconcile(warehouse, {
          dimensions: parseList(opts.by),
          worst: parseCount(opts.worst, '--worst'),
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const { from, to } = report.period;
        process.stdout.write(
          `compared ${from ?? '-'} to ${to ?? '-'}: the period ODS still holds (retention dropped what came before)\n`,
        );
        console.table(
          Object.fromEntries(
            Object.entries(report.metrics).map(([m, a]) => [
              m,
              { realtime: a.realtime, offline: a.offline, accuracy: pct(a.accuracy) },
            ]),
          ),
        );
        if (report.worst.length > 0) {
          process.stdout.write('worst slices:\n');
          console.table(
            report.worst.map((s) => ({
              dimension: s.dimension,
              value: s.value,
              metric: s.metric,
              realtime: s.realtime,
              offline: s.offline,
              accuracy: pct(s.accuracy),
            })),
          );
        }
      } finally {
        await warehouse.close();
      }
    });
}
