import type { Command } from '@commander-js/extra-typings';
import { listenOn } from '../../http/listen.ts';
import { buildCollector, collectorDefaults as d } from '../../connectors/http/collector.ts';
import { defaultKafkaTopic } from '../../connectors/kafka/options.ts';
import { KafkaSink } from '../../connectors/kafka/sink.ts';
import { createMetricsRegistry } from '../../http/metrics-registry.ts';
import { interruptSignal } from '../interrupt.ts';
import { parseCount, parseInterval, parsePort } from '../parse.ts';

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description(
      'the beacon collector: GET /v1/pixel and POST /v1/events, validated and produced to Kafka (acks=all) before answering',
    )
    .requiredOption('--kafka <brokers>', 'Kafka brokers (host:port[,...])')
    .option('--topic <name>', 'events topic', defaultKafkaTopic)
    .option('--dead-letter-topic <name>', 'topic keeping refused records (default: <topic>.dead-letter)')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '8081')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--max-batch <n>', 'most records in one POST', String(d.maxBatch))
    .option('--rate-limit <n>', 'requests per second per client address', String(d.rateLimit))
    .option(
      '--headers-timeout <duration>',
      'time a client has to send its request headers (408 and closed beyond)',
      `${d.headersTimeoutMs / 1000}s`,
    )
    .option(
      '--request-timeout <duration>',
      'time a client has to send its whole request (408 and closed beyond)',
      `${d.requestTimeoutMs / 1000}s`,
    )
    .option(
      '--socket-timeout <duration>',
      'a connection silent this long in mid-request is closed',
      `${d.socketTimeoutMs / 1000}s`,
    )
    .option(
      '--keep-alive-timeout <duration>',
      'an idle keep-alive connection is closed after this',
      `${d.keepAliveTimeoutMs / 1000}s`,
    )
    .option('--max-connections <n>', 'most open connections; further ones are closed at once', String(d.maxConnections))
    .action(async (opts) => {
      const sink = new KafkaSink({ brokers: opts.kafka, topic: opts.topic });
      const deadLetters = new KafkaSink({
        brokers: opts.kafka,
        topic: opts.deadLetterTopic ?? `${opts.topic}.dead-letter`,
      });
      const app = await buildCollector({
        sink,
        deadLetters,
        registry: createMetricsRegistry(),
        maxBatch: parseCount(opts.maxBatch, '--max-batch', 1),
        rateLimit: parseCount(opts.rateLimit, '--rate-limit', 1),
        headersTimeoutMs: parseInterval(opts.headersTimeout, '--headers-timeout'),
        requestTimeoutMs: parseInterval(opts.requestTimeout, '--request-timeout'),
        socketTimeoutMs: parseInterval(opts.socketTimeout, '--socket-timeout'),
        keepAliveTimeoutMs: parseInterval(opts.keepAliveTimeout, '--keep-alive-timeout'),
        maxConnections: parseCount(opts.maxConnections, '--max-connections', 1),
      });
      const interrupt = interruptSignal();
      try {
        const port = await listenOn(app, parsePort(opts.port, '--port', true), opts.host, '--port');
        process.stdout.write(
          `ADW collector at http://${opts.host}:${port}/v1/pixel and /v1/events -> ${opts.topic} at ${opts.kafka}; metrics at /metrics; Ctrl-C stops\n`,
        );
        await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve, { once: true }));
      } finally {
        interrupt.release();
        await app.close();
        await sink.close();
        await deadLetters.close();
      }
    });
}
