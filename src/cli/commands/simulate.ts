import type { Command } from 'commander';
import { writeSimulation } from '../../simulator/simulate.ts';
import { parseCount, parseDuration } from '../parse.ts';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('write deterministic simulated ad traffic (dimension rows first, then events) as NDJSON')
    .option('--seed <n>', 'random seed: the same seed gives the same bytes', '1')
    .option('--events <n>', 'number of event lines', '100000')
    .option('--span <duration>', 'event-time span of the traffic', '6h')
    .option('--start <time>', 'event time of the first request (ISO 8601)', '2026-01-01T00:00:00Z')
    .option('--malformed-rate <fraction>', 'fraction of malformed lines', '0.001')
    .option('--duplicate-rate <fraction>', 'fraction of client retries', '0.01')
    .option('--late-rate <fraction>', 'fraction of lines arriving minutes to hours late', '0.005')
    .requiredOption('--out <file>', 'output file, or - for stdout')
    .action(async (opts) => {
      const startMs = Date.parse(opts.start);
      const result = await writeSimulation(
        {
          seed: parseCount(opts.seed, '--seed'),
          events: parseCount(opts.events, '--events'),
          spanMs: parseDuration(opts.span, '--span'),
          startMs,
          malformedRate: Number(opts.malformedRate),
          duplicateRate: Number(opts.duplicateRate),
          lateRate: Number(opts.lateRate),
        },
        opts.out,
      );
      if (opts.out !== '-') process.stderr.write(`wrote ${result.lines} lines (${(result.bytes / 1e6).toFixed(1)} MB) to ${opts.out}\n`);
    });
}
