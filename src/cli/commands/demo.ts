import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../../api/server.ts';
import { listenOn } from '../../api/listen.ts';
import { pipelineStatus } from '../../api/pipeline-status.ts';
import { LiveSimulatorSource } from '../../connectors/simulator/source.ts';
import { defaultEngineConfig } from '../../engine/config.ts';
import { Job } from '../../engine/job.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { errors } from '../../errors.ts';
import { startEngineMonitor } from '../../metrics/engine-monitor.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { interruptSignal } from '../interrupt.ts';
import { parseCount, parseDuration } from '../parse.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('simulated live traffic -> engine -> warehouse -> API and page, in this one process')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--rate <n>', 'simulated event lines per second', '2000')
    .option('--seed <n>', 'random seed of the simulated traffic', '1')
    .option('--db <path>', 'warehouse file to keep (default: a temporary one, removed on exit)')
    .option('--reconcile-interval <duration>', 'how often to reconcile real-time DWA against ODS for the accuracy metric (0: never)', '5m')
    .action(async (opts) => {
      const port = parseCount(opts.port, '--port');
      const rate = parseCount(opts.rate, '--rate');
      if (rate < 1) throw errors.badOption('--rate', 'must be at least 1');
      const tmp = opts.db ? null : mkdtempSync(join(tmpdir(), 'adw-demo-'));
      const dbPath: string = opts.db ?? join(tmp!, 'demo.duckdb');
      const warehouse = await DuckDbWarehouse.open(dbPath);
      const source = new LiveSimulatorSource({ seed: parseCount(opts.seed, '--seed'), rate });
      const job = new Job(adPipeline, source, warehouse, defaultEngineConfig);
      const monitor = startEngineMonitor(warehouse, parseDuration(opts.reconcileInterval, '--reconcile-interval'));
      const api = await buildApi({ store: warehouse, pipeline: () => pipelineStatus(job), metrics: monitor.registry });
      const interrupt = interruptSignal();
      try {
        const bound = await listenOn(api, port, opts.host, '--port');
        process.stdout.write(`ADW demo running at http://${opts.host}:${bound}/  (${rate} events/s simulated; warehouse ${dbPath}; metrics at /metrics; Ctrl-C stops)\n`);
        await job.run({ untilEnd: false, signal: interrupt.signal, observer: monitor.engine });
        process.stdout.write('stopped cleanly: last checkpoint committed\n');
      } finally {
        interrupt.release();
        await monitor.stop();
        await api.close();
        await warehouse.close();
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    });
}
