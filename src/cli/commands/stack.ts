import type { Command } from '@commander-js/extra-typings';
import { defaultStackPorts, stackDown, stackHome, stackUp } from '../../stack/local-stack.ts';
import { parseCount } from '../parse.ts';

export function registerStack(program: Command): void {
  program
    .command('up')
    .description(`start the local stack in the background (Kafka and MariaDB on loopback; data under ${stackHome()})`)
    .option('--kafka-port <n>', 'Kafka listener port', String(defaultStackPorts.kafka))
    .option('--kafka-controller-port <n>', 'Kafka KRaft controller port', String(defaultStackPorts.kafkaController))
    .option('--mariadb-port <n>', 'MariaDB port', String(defaultStackPorts.mariadb))
    .action(async (opts) => {
      const services = await stackUp({
        kafka: parseCount(opts.kafkaPort, '--kafka-port'),
        kafkaController: parseCount(opts.kafkaControllerPort, '--kafka-controller-port'),
        mariadb: parseCount(opts.mariadbPort, '--mariadb-port'),
      });
      for (const s of services)
        process.stdout.write(
          `${s.name} ${s.started ? 'started' : 'already running'} at ${s.address} (pid ${s.pid}, data ${s.dir})\n`,
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
