import { debianPackages, ensureDebianPackages } from './debian-packages.ts';
import { ensureFlink, FLINK_VERSION } from './flink.ts';
import { ensureKafka, KAFKA_VERSION } from './kafka.ts';
import { ensureKafkaTools } from './kafka-tools.ts';

/** A piece of the local stack that `adw setup` installs (idempotently) before tests or `adw up` use it. */
export interface StackComponent {
  name: string;
  description: string;
  install(log: (line: string) => void): Promise<void> | void;
}

/** Every installable component, by name. */
export const stackComponents: readonly StackComponent[] = [
  {
    name: 'chromium',
    description: "Debian's Chromium, driven by playwright-core in the browser tests",
    install: (log) => ensureDebianPackages([debianPackages.chromium], log),
  },
  {
    name: 'mariadb',
    description: "Debian's MariaDB server, the dimension database whose binlog ADW follows (tests start their own)",
    install: (log) => ensureDebianPackages([debianPackages.mariadb], log),
  },
  {
    name: 'kafka',
    description: `Apache Kafka ${KAFKA_VERSION} and its tools (adw kafka-tool) from Maven Central (java and mvn from the machine), the event log`,
    install: (log) => {
      ensureKafka(log);
      ensureKafkaTools(log);
    },
  },
  {
    name: 'flink',
    description: `Apache Flink ${FLINK_VERSION} (runtime, SQL Gateway, Kafka, JDBC and StarRocks connectors) from Maven Central, the cluster adw up --flink starts`,
    install: (log) => {
      ensureFlink(log);
    },
  },
  {
    name: 'prometheus',
    description: "Debian's Prometheus server and promtool, for the alert-rule and scrape tests",
    install: (log) => ensureDebianPackages([debianPackages.prometheus], log),
  },
];
