import type { Command } from '@commander-js/extra-typings';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEHIND_TLS_OPTION, resolveToken, serveApi } from '../../api/serve.ts';
import { LiveSimulatorSource } from '../../connectors/simulator/source.ts';
import { defaultEngineConfig } from '../../engine/config.ts';
import { Job } from '../../engine/job.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { startEngineMonitor } from '../../metrics/engine-monitor.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { interruptSignal } from '../interrupt.ts';
import { ODS_RETENTION_OPTION, parseOdsRetentionDays } from '../ods-retention.ts';
import { parseCount, parseInterval, parseMemorySize, parsePort } from '../parse.ts';
import { STATE_MEMORY_OPTION, STATE_OPTION, stateMemoryFrom, WAREHOUSE_MEMORY_OPTION } from './run.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('simulated live traffic -> engine -> warehouse -> API and page, in this one process')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--rate <n>', 'simulated event lines per second', '2000')
    .option('--seed <n>', 'random seed of the simulated traffic', '1')
    .option('--db <path>', 'warehouse file to keep (default: a temporary one, removed on exit)')
    .option('--token <token>', 'require this API token (default: $ADW_API_TOKEN; the demo runs open without one)')
    .option(...BEHIND_TLS_OPTION)
    .option(...ODS_RETENTION_OPTION)
    .addOption(STATE_OPTION)
    .option(...STATE_MEMORY_OPTION)
    .option(...WAREHOUSE_MEMORY_OPTION)
    .option(
      '--reconcile-interval <duration>',
      'how often to reconcile real-time DWA against ODS for the accuracy metric (0: never)',
      '5m',
    )
    .action(async (opts) => {
      const port = parsePort(opts.port, '--port', true);
      const rate = parseCount(opts.rate, '--rate', 1);
      const config = {
        ...defaultEngineConfig,
        odsRetentionDays: parseOdsRetentionDays(opts.odsRetentionDays, defaultEngineConfig.joinWindowMs),
        stateMemoryBytes: stateMemoryFrom(opts),
      };
      const memoryLimit = parseMemorySize(opts.warehouseMemory, '--warehouse-memory');
      const token = resolveToken(opts.token, false, 'adw demo');
      const tmp = opts.db ? null : mkdtempSync(join(tmpdir(), 'adw-demo-'));
      const dbPath: string = opts.db ?? join(tmp!, 'demo.duckdb');
      const warehouse = await DuckDbWarehouse.open(dbPath, { memoryLimit });
      const source = new LiveSimulatorSource({ seed: parseCount(opts.seed, '--seed'), rate });
      const job = new Job(adPipeline, source, warehouse, config);
      const monitor = startEngineMonitor(warehouse, parseInterval(opts.reconcileInterval, '--reconcile-interval'));
      const interrupt = interruptSignal();
      let api: Awaited<ReturnType<typeof serveApi>> | null = null;
      try {
        api = await serveApi({
          store: warehouse,
          engine: { job, source },
          metrics: monitor.registry,
          token,
          behindTls: Boolean(opts.behindTls),
          port,
          host: opts.host,
          portOption: '--port',
        });
        process.stdout.write(
          `ADW demo running at http://${opts.host}:${api.port}/  (${rate} events/s simulated; warehouse ${dbPath}; metrics at /metrics; Ctrl-C stops)\n`,
        );
        await job.run({ untilEnd: false, signal: interrupt.signal, observers: [monitor.engine, api.health!] });
        process.stdout.write('stopped cleanly: last checkpoint committed\n');
      } finally {
        interrupt.release();
        await monitor.stop();
        await api?.close();
        await source.close();
        await warehouse.close();
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    });
}
