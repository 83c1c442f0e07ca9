import type { Command } from '@commander-js/extra-typings';
import { stackDown, stackHome, stackUp } from '../../stack/local-stack.ts';
import { defaultStackPorts } from '../../stack/ports.ts';
import { parsePort } from '../parse.ts';

export function registerStack(program: Command): void {
  program
    .command('up')
    .description(
      `start the local stack in the background (Kafka and MariaDB on loopback, and with --flink a Flink session cluster; data under ${stackHome()})`,
    )
    .option('--kafka-port <n>', 'Kafka listener port', String(defaultStackPorts.kafka))
    .option('--kafka-controller-port <n>', 'Kafka KRaft controller port', String(defaultStackPorts.kafkaController))
    .option('--mariadb-port <n>', 'MariaDB port', String(defaultStackPorts.mariadb))
    .option('--flink', 'also start a Flink session cluster with its SQL Gateway (heavy: about 3 GB of memory)')
    .option('--flink-rest-port <n>', "Flink JobManager's REST API and web UI port", String(defaultStackPorts.flinkRest))
    .option('--flink-gateway-port <n>', 'Flink SQL Gateway port', String(defaultStackPorts.flinkGateway))
    .action(async (opts) => {
      const services = await stackUp(
        {
          kafka: parsePort(opts.kafkaPort, '--kafka-port', false),
          kafkaController: parsePort(opts.kafkaControllerPort, '--kafka-controller-port', false),
          mariadb: parsePort(opts.mariadbPort, '--mariadb-port', false),
          flinkRest: parsePort(opts.flinkRestPort, '--flink-rest-port', false),
          flinkGateway: parsePort(opts.flinkGatewayPort, '--flink-gateway-port', false),
        },
        opts.flink ? ['flink'] : [],
      );
      for (const s of services)
        process.stdout.write(
          `${s.name} ${s.started ? 'started' : 'already running'} at ${s.address} (pid ${s.pids.join(', ')}, data ${s.dir})\n`,
        );
    });
  program
    .command('down')
    .description('stop the local stack started by adw up')
    .option('--purge', 'also delete its data')
    .action(async (opts) => {
      const stopped = await stackDown(Boolean(opts.purge));
      process.stdout.write(stopped.length > 0 ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
    });
}
