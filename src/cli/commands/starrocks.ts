import type { Command } from '@commander-js/extra-typings';
import { defaultEngineConfig } from '../../engine/config.ts';
import { starRocksDatabase, starRocksDdl } from '../../warehouse/starrocks/ddl.ts';
import { parseCount } from '../parse.ts';

export function registerStarRocks(program: Command): void {
  const starrocks = program.command('starrocks').description('the warehouse on StarRocks, loaded by the Flink job');
  starrocks
    .command('ddl')
    .description(
      'print the StarRocks DDL of the warehouse, derived from its layer definitions (apply with mysql -h FE -P 9030)',
    )
    .option('--db <name>', 'the database', 'adw')
    .option('--retention-days <n>', 'days of detail (ODS, DWD) kept', String(defaultEngineConfig.odsRetentionDays))
    .action((opts) => {
      const ddl = starRocksDdl({
        database: starRocksDatabase(opts.db, '--db'),
        retentionDays: parseCount(opts.retentionDays, '--retention-days'),
      });
      process.stdout.write(ddl.map((s) => `${s};\n`).join('\n'));
    });
}
