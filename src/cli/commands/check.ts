import type { Command } from '@commander-js/extra-typings';
import { errors } from '../../errors.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      "read every ODS and DWD segment file of a warehouse through, checking zstd's checksums and the rows against what each checkpoint wrote (a copy before it is trusted, a backup); exits 1 on damage",
    )
    .requiredOption('--db <path>', 'warehouse database file')
    .option('--json', 'one JSON object: per log its segments and rows, and each damaged segment with its problem')
    .action(async (opts) => {
      const warehouse = await DuckDbWarehouse.open(opts.db, { readOnly: true });
      const checks = await warehouse.checkSegments().finally(() => warehouse.close());
      const damaged = checks.filter((c) => c.problem !== null);
      const logs = Object.entries(Object.groupBy(checks, (c) => c.log)).map(([log, list]) => ({
        log,
        segments: list!.length,
        rows: list!.reduce((n, c) => n + c.rows, 0),
        damaged: list!.filter((c) => c.problem !== null).length,
      }));
      if (opts.json) process.stdout.write(`${JSON.stringify({ logs, damaged })}\n`);
      else {
        for (const l of logs)
          process.stdout.write(
            `${l.log}: ${l.segments} segment file(s), ${l.rows} rows: ${l.damaged === 0 ? 'all read back' : `${l.damaged} damaged`}\n`,
          );
        for (const c of damaged) process.stdout.write(`damaged: ${c.log} ${c.file}: ${c.problem}\n`);
      }
      if (damaged.length > 0)
        throw errors.warehouseDamaged(`${damaged.length} segment file(s) damaged, first ${damaged[0]!.file}`);
    });
}
