/** Ports of the local stack. */
export interface StackPorts {
  kafka: number;
  kafkaController: number;
  mariadb: number;
  /** Flink's JobManager REST API and web UI. */
  flinkRest: number;
  flinkGateway: number;
}

/** The servers' usual ports, which `adw up` takes unless told otherwise. */
export const defaultStackPorts: StackPorts = {
  kafka: 9092,
  kafkaController: 9093,
  mariadb: 3306,
  flinkRest: 8081,
  flinkGateway: 8083,
};
