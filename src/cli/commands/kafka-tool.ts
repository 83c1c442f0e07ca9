import type { Command } from '@commander-js/extra-typings';
import { errors } from '../../errors.ts';
import { kafkaTools, runKafkaTool, type KafkaToolName } from '../../stack/kafka-tools.ts';

const names = Object.keys(kafkaTools);

export function registerKafkaTool(program: Command): void {
  program
    .command('kafka-tool')
    .description(
      `run one of Apache Kafka's own tools (${names.join(', ')}) on the machine's Java, e.g. adw kafka-tool consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --group adw-engine`,
    )
    .argument('<tool>', `the tool: ${names.join(', ')} (as kafka-<tool>.sh)`)
    .argument('[args...]', "the tool's own options (adw kafka-tool TOOL --help lists them)")
    // Everything after the tool's name is the tool's, --help included.
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (tool, args) => {
      if (!names.includes(tool))
        throw errors.badOption('<tool>', `unknown Kafka tool "${tool}" (known: ${names.join(', ')})`);
      process.exitCode = await runKafkaTool(tool as KafkaToolName, args);
    });
}
