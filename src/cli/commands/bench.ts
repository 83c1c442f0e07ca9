import type { Command } from 'commander';
import { runPipelineBench } from '../../bench/pipeline-bench.ts';
import { parseCount, parseDuration } from '../parse.ts';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark the whole pipeline on a deterministic workload; prints throughput, freshness and memory')
    .option('--events <n>', 'event lines in the workload', '5000000')
    .option('--seed <n>', 'workload seed', '1')
    .option('--checkpoint-interval <duration>', 'wall-clock time between checkpoints (freshness against throughput)', '500ms')
    .option('--json', 'print one JSON object')
    .action(async (opts) => {
      const result = await runPipelineBench({
        events: parseCount(opts.events, '--events'),
        seed: parseCount(opts.seed, '--seed'),
        config: { checkpointIntervalMs: parseDuration(opts.checkpointInterval, '--checkpoint-interval') },
        log: (line) => process.stderr.write(line + '\n'),
      });
      if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
      else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
    });
}
