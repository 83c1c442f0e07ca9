import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../../api/server.ts';
import { pipelineStatus } from '../../api/pipeline-status.ts';
import { LiveSimulatorSource } from '../../connectors/simulator/source.ts';
import { defaultEngineConfig } from '../../engine/config.ts';
import { Job } from '../../engine/job.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { errors } from '../../errors.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { interruptSignal } from '../interrupt.ts';
import { parseCount } from '../parse.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('simulated live traffic -> engine -> warehouse -> API and page, in this one process')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--rate <n>', 'simulated event lines per second', '2000')
    .option('--seed <n>', 'random seed of the simulated traffic', '1')
    .option('--db <path>', 'warehouse file to keep (default: a temporary one, removed on exit)')
    .action(async (opts) => {
      const port = parseCount(opts.port, '--port');
      const rate = parseCount(opts.rate, '--rate');
      if (rate < 1) throw errors.badOption('--rate', 'must be at least 1');
      const tmp = opts.db ? null : mkdtempSync(join(tmpdir(), 'adw-demo-'));
      const dbPath: string = opts.db ?? join(tmp!, 'demo.duckdb');
      const warehouse = await DuckDbWarehouse.open(dbPath);
      const source = new LiveSimulatorSource({ seed: parseCount(opts.seed, '--seed'), rate });
      const job = new Job(adPipeline, source, warehouse, defaultEngineConfig);
      const api = await buildApi({ store: warehouse, pipeline: () => pipelineStatus(job) });
      const interrupt = interruptSignal();
      try {
        try {
          await api.listen({ port, host: opts.host });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw errors.badOption('--port', `port ${port} is in use (try --port 0)`);
          throw e;
        }
        const address = api.server.address() as import('node:net').AddressInfo;
        process.stdout.write(`ADW demo running at http://${opts.host}:${address.port}/  (${rate} events/s simulated; warehouse ${dbPath}; Ctrl-C stops)\n`);
        await job.run({ untilEnd: false, signal: interrupt.signal });
        process.stdout.write('stopped cleanly: last checkpoint committed\n');
      } finally {
        interrupt.release();
        await api.close();
        await warehouse.close();
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    });
}
