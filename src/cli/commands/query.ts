import type { Command } from '@commander-js/extra-typings';
import { isDimensionName, type DimensionName, type Granularity } from '../../catalogue/dimensions.ts';
import type { MetricName } from '../../catalogue/metrics.ts';
import { errors } from '../../errors.ts';
import { runQuery } from '../../query/planner.ts';
import { parseTime, type QueryRequest } from '../../query/request.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { parseCount, parseList } from '../parse.ts';

/** `--filter dim=v1,v2` options; the query's validation types the values by the catalogue. */
function parseFilters(list: string[]): QueryRequest['filters'] {
  const filters: Partial<Record<DimensionName, string[]>> = {};
  for (const f of list) {
    // Both groups are required, so a match fills them.
    const [, dim, values] = /^([a-z_]+)=(.+)$/.exec(f) ?? [];
    if (dim === undefined || values === undefined)
      throw errors.badOption('--filter', `"${f}" is not dim=value[,value]`);
    if (!isDimensionName(dim)) throw errors.unknownDimension(dim);
    filters[dim] = parseList(values);
  }
  return filters;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('query metrics by dimensions from a warehouse file')
    .requiredOption('--db <path>', 'warehouse database file')
    .requiredOption('--metrics <list>', 'comma-separated metric names')
    .option('--by <list>', 'comma-separated dimension names', '')
    .option('--granularity <g>', 'group by time: minute, hour or day')
    .option('--from <time>', 'start (ISO 8601 or ms), inclusive')
    .option('--to <time>', 'end (ISO 8601 or ms), exclusive')
    .option(
      '--filter <dim=values>',
      'keep only these values of a dimension (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--order-by <name>', 'metric, dimension or "time"')
    .option('--limit <n>', 'rows at most', '1000')
    .option('--names', 'add display names of advertisers, campaigns, ads and slots')
    .option('--json', 'one JSON object: rows, source table, freshness')
    .action(async (opts) => {
      const request: QueryRequest = {
        metrics: parseList(opts.metrics) as MetricName[],
        by: parseList(opts.by) as DimensionName[],
        ...(opts.granularity ? { granularity: opts.granularity as Granularity } : {}),
        ...(opts.from ? { from: parseTime(opts.from, '--from') } : {}),
        ...(opts.to ? { to: parseTime(opts.to, '--to') } : {}),
        filters: parseFilters(opts.filter),
        ...(opts.orderBy ? { orderBy: opts.orderBy } : {}),
        limit: parseCount(opts.limit, '--limit'),
        names: Boolean(opts.names),
      };
      const warehouse = await DuckDbWarehouse.open(opts.db, { readOnly: true });
      try {
        const result = await runQuery(warehouse, request);
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          if (result.rows.length > 0) console.table(result.rows);
          else process.stdout.write('(no rows)\n');
          process.stdout.write(
            `source: ${result.source}; newest event time: ${result.freshness.newest_event_time ?? '-'}\n`,
          );
        }
      } finally {
        await warehouse.close();
      }
    });
}
