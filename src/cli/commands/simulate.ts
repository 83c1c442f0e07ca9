import type { Command } from '@commander-js/extra-typings';
import { CollectorClient } from '../../connectors/http/client.ts';
import { defaultKafkaTopic } from '../../connectors/kafka/options.ts';
import { publishLines } from '../../connectors/kafka/publish.ts';
import { errors } from '../../errors.ts';
import { checkOutputFile } from '../../paths.ts';
import { simulateLines, writeSimulation } from '../../simulator/simulate.ts';
import { loadDimensions } from '../../connectors/mysql-binlog/load.ts';
import { defaultDimensionDatabase } from '../../connectors/mysql-binlog/options.ts';
import { buildDimensions } from '../../simulator/dimensions.ts';
import { resolveSimulatorOptions, type SimulatorOptions } from '../../simulator/options.ts';
import { parseTime } from '../../query/request.ts';
import { parseCount, parseDuration, parseFraction } from '../parse.ts';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'write deterministic simulated ad traffic (dimension rows first, then events) as NDJSON to a file, or produce it to Kafka',
    )
    .option('--seed <n>', 'random seed: the same seed gives the same bytes', '1')
    .option('--events <n>', 'number of event lines', '100000')
    .option('--span <duration>', 'event-time span of the traffic', '6h')
    .option('--start <time>', 'event time of the first request (ISO 8601)', '2026-01-01T00:00:00Z')
    .option('--malformed-rate <fraction>', 'fraction of malformed lines', '0.001')
    .option('--duplicate-rate <fraction>', 'fraction of client retries', '0.01')
    .option('--late-rate <fraction>', 'fraction of lines arriving minutes to hours late', '0.005')
    .option('--out <file>', 'output file, or - for stdout')
    .option('--kafka <brokers>', 'produce to Kafka instead (host:port[,...]), acknowledged by the broker')
    .option('--topic <name>', 'with --kafka: the events topic', defaultKafkaTopic)
    .option(
      '--collector <url>',
      'post the events to a beacon collector instead (http://host:port), in batches of at most --batch',
    )
    .option('--batch <n>', 'with --collector: records per POST', '500')
    .option('--rate <n>', 'with --kafka or --collector: lines per second at most (default: as fast as they are taken)')
    .option(
      '--dims-mysql <url>',
      'write the dimension rows into this MySQL/MariaDB database (mysql://user:pass@host:port) instead of the output',
    )
    .option('--dims-database <name>', 'with --dims-mysql: the database', defaultDimensionDatabase)
    .action(async (opts) => {
      if ([opts.out, opts.kafka, opts.collector].filter(Boolean).length !== 1)
        throw errors.badOption('--out', 'give exactly one of --out FILE, --kafka BROKERS and --collector URL');
      const spanMs = parseDuration(opts.span, '--span');
      if (spanMs === 0) throw errors.badOption('--span', 'the traffic needs a span of time longer than 0');
      const options: Partial<SimulatorOptions> = {
        seed: parseCount(opts.seed, '--seed'),
        events: parseCount(opts.events, '--events'),
        spanMs,
        startMs: parseTime(opts.start, '--start'),
        malformedRate: parseFraction(opts.malformedRate, '--malformed-rate'),
        duplicateRate: parseFraction(opts.duplicateRate, '--duplicate-rate'),
        lateRate: parseFraction(opts.lateRate, '--late-rate'),
      };
      if (opts.dimsMysql) {
        const n = await loadDimensions(
          opts.dimsMysql,
          opts.dimsDatabase,
          buildDimensions(resolveSimulatorOptions(options)),
        );
        process.stderr.write(`wrote ${n} dimension rows to ${opts.dimsDatabase}\n`);
      }
      const withDimensions = !opts.dimsMysql;
      const rate = opts.rate ? { rate: parseCount(opts.rate, '--rate') } : {};
      if (opts.collector) {
        // The collector takes events only: dimensions go to the dimension database (--dims-mysql) or nowhere.
        const client = new CollectorClient(opts.collector);
        const sent = await publishLines(simulateLines(options, false), client, {
          ...rate,
          batch: parseCount(opts.batch, '--batch'),
        });
        process.stderr.write(
          `posted ${sent} lines to ${opts.collector}: ${client.accepted} accepted, ${client.refused} refused\n`,
        );
        return;
      }
      if (opts.kafka) {
        // The Kafka client takes a third of a second to load: only when producing to Kafka.
        const { KafkaSink } = await import('../../connectors/kafka/sink.ts');
        const sink = new KafkaSink({ brokers: opts.kafka, topic: opts.topic });
        try {
          const sent = await publishLines(simulateLines(options, withDimensions), sink, rate);
          process.stderr.write(`produced ${sent} lines to ${opts.topic} at ${opts.kafka}\n`);
        } finally {
          await sink.close();
        }
        return;
      }
      // Neither --collector nor --kafka: --out is given, checked above.
      const out = opts.out!;
      if (out !== '-') checkOutputFile(out);
      const result = await writeSimulation(options, out, withDimensions);
      if (out !== '-')
        process.stderr.write(`wrote ${result.lines} lines (${(result.bytes / 1e6).toFixed(1)} MB) to ${out}\n`);
    });
}
