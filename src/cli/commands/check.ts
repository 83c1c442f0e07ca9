import type { Command } from '@commander-js/extra-typings';
import { errors } from '../../errors.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      "read a whole warehouse through: every table of its file (DuckDB's block checksums) and every ODS and DWD segment file (zstd's checksums, and the rows against what each checkpoint wrote); for a copy before it is trusted, or a backup. Exits 1 on damage",
    )
    .requiredOption('--db <path>', 'warehouse database file')
    .option(
      '--json',
      'one JSON object: the tables read and their rows, per log its segments and rows, and each damaged table or segment with its problem',
    )
    .action(async (opts) => {
      const warehouse = await DuckDbWarehouse.open(opts.db, { readOnly: true });
      const { tables, segments } = await warehouse.check().finally(() => warehouse.close());
      const damaged = [
        ...tables.filter((t) => t.problem !== null).map((t) => ({ table: t.table, problem: t.problem })),
        ...segments.filter((c) => c.problem !== null),
      ];
      const logs = Object.entries(Object.groupBy(segments, (c) => c.log)).map(([log, list]) => ({
        log,
        segments: list!.length,
        rows: list!.reduce((n, c) => n + c.rows, 0),
        damaged: list!.filter((c) => c.problem !== null).length,
      }));
      const file = {
        tables: tables.length,
        rows: tables.reduce((n, t) => n + (t.rows ?? 0), 0),
        damaged: tables.filter((t) => t.problem !== null).length,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, logs, damaged })}\n`);
      else {
        const state = (n: number) => (n === 0 ? 'all read back' : `${n} damaged`);
        process.stdout.write(`file: ${file.tables} tables, ${file.rows} rows: ${state(file.damaged)}\n`);
        for (const l of logs)
          process.stdout.write(`${l.log}: ${l.segments} segment file(s), ${l.rows} rows: ${state(l.damaged)}\n`);
        for (const d of damaged)
          process.stdout.write(`damaged: ${'table' in d ? `table ${d.table}` : `${d.log} ${d.file}`}: ${d.problem}\n`);
      }
      if (damaged.length > 0) {
        const first = damaged[0]!;
        throw errors.warehouseDamaged(
          `${damaged.length} damaged, first ${'table' in first ? `table ${first.table}` : `${first.log} segment ${first.file}`}`,
        );
      }
    });
}
