import type { DwdRequestColumn } from '../layers/dwd.ts';

/**
 * A pipeline as data: the stages in order and what each reads and writes. The embedded engine instantiates it
 * (see `instantiate` in pipeline.ts); other back ends (Flink SQL) compile the same definition. Each operator takes its
 * parameters from its stage; the time semantics (window, watermark delay, lateness) live in EngineConfig, which every
 * engine reads too.
 */
export type StageDefinition =
  | { op: 'validate'; deadLetterTable: string }
  | { op: 'ods-sink'; table: string; dimChangeTable: string }
  | { op: 'dimensions'; tables: readonly string[] }
  | { op: 'watermark'; eventTime: 'ts' }
  /** Sends validated records on to a Kafka topic as stream records: the input of the scale-out engine. */
  | { op: 'forward'; brokers: string; topic: string }
  /** Lands the scale-out engine's DWD and DWA changelogs in the warehouse. */
  | { op: 'changelog' }
  | { op: 'dedup'; key: 'event_id' }
  | { op: 'enrich'; lookups: readonly Lookup[] }
  /** Also drops copies of requests (by request_id): its state holds every request of the window. */
  | { op: 'interval-join'; right: 'request'; left: readonly string[]; key: 'request_id' }
  | { op: 'dwd-sink'; joinedTable: string; unmatchedTable: string }
  | {
      op: 'aggregate';
      table: string;
      granularity: keyof typeof granularityMs;
      by: readonly string[];
      metrics: readonly string[];
      rollups: readonly string[];
    };

/**
 * An enrichment look-up, applied in order: the request's `to` column is the `to` column of the row of dimension table
 * `from` whose key is the request's `key` column (NULL when there is none).
 */
export interface Lookup {
  from: string;
  key: DwdRequestColumn;
  to: DwdRequestColumn;
}

/** The stage of a definition with this operator. */
export type Stage<Op extends StageDefinition['op']> = Extract<StageDefinition, { op: Op }>;

/** The time buckets an aggregate can keep, by length. */
export const granularityMs = { minute: 60_000 } as const;

/** A pipeline: its stages in order. */
export interface PipelineDefinition {
  name: string;
  stages: readonly StageDefinition[];
}
