import { additiveColumns } from '../catalogue/metrics.ts';
import { followTypes } from '../events/schema.ts';
import { appDatasets } from '../layers/app.ts';
import { dimTables } from '../layers/dim.ts';
import { dwaAdMinute, dwaDimensionColumns } from '../layers/dwa.ts';
import { dwdAdEventJoined, dwdAdEventUnmatched } from '../layers/dwd.ts';
import { odsAdEvent, odsDeadLetter, odsDimChange } from '../layers/ods.ts';
import { errors } from '../errors.ts';
import type { Operator } from './operator.ts';
import { AggregateOperator } from './operators/aggregate.ts';
import { DedupOperator } from './operators/dedup.ts';
import { DimensionsOperator } from './operators/dimensions.ts';
import { DwdSinkOperator } from './operators/dwd-sink.ts';
import { EnrichOperator } from './operators/enrich.ts';
import { IntervalJoinOperator } from './operators/interval-join.ts';
import { OdsSinkOperator } from './operators/ods-sink.ts';
import { ValidateOperator } from './operators/validate.ts';
import { WatermarkOperator } from './operators/watermark.ts';

/**
 * A pipeline as data: the stages in order and what each reads and writes. The embedded engine instantiates it
 * (see `instantiate`); other back ends (Flink SQL) compile the same definition. Time parameters live in EngineConfig.
 */
export type StageDefinition =
  | { op: 'validate'; deadLetterTable: string }
  | { op: 'ods-sink'; table: string; dimChangeTable: string }
  | { op: 'dimensions'; tables: readonly string[] }
  | { op: 'watermark'; eventTime: 'ts' }
  | { op: 'dedup'; key: 'event_id' }
  | { op: 'enrich'; lookups: readonly { from: string; key: string; to: string }[] }
  /** Also drops copies of requests (by request_id): its state holds every request of the window. */
  | { op: 'interval-join'; right: 'request'; left: readonly string[]; key: 'request_id' }
  | { op: 'dwd-sink'; joinedTable: string; unmatchedTable: string }
  | {
      op: 'aggregate';
      table: string;
      granularity: 'minute';
      by: readonly string[];
      metrics: readonly string[];
      rollups: readonly string[];
    };

export interface PipelineDefinition {
  name: string;
  stages: readonly StageDefinition[];
}

/** ADW's ad pipeline: raw records to ODS, deduplicated and joined detail to DWD, minute cube to DWA, rollups to APP. */
export const adPipeline: PipelineDefinition = {
  name: 'ad-events',
  stages: [
    { op: 'validate', deadLetterTable: odsDeadLetter.name },
    { op: 'ods-sink', table: odsAdEvent.name, dimChangeTable: odsDimChange.name },
    { op: 'dimensions', tables: dimTables.map((t) => t.name) },
    { op: 'watermark', eventTime: 'ts' },
    { op: 'dedup', key: 'event_id' },
    {
      op: 'enrich',
      lookups: [
        { from: 'dim_ad', key: 'ad_id', to: 'campaign_id' },
        { from: 'dim_campaign', key: 'campaign_id', to: 'advertiser_id' },
        { from: 'dim_campaign', key: 'campaign_id', to: 'billing' },
      ],
    },
    { op: 'interval-join', right: 'request', left: followTypes, key: 'request_id' },
    { op: 'dwd-sink', joinedTable: dwdAdEventJoined.name, unmatchedTable: dwdAdEventUnmatched.name },
    {
      op: 'aggregate',
      table: dwaAdMinute.name,
      granularity: 'minute',
      by: dwaDimensionColumns,
      metrics: additiveColumns,
      rollups: appDatasets.map((d) => d.table.name),
    },
  ],
};

const factories: Record<StageDefinition['op'], () => Operator<never, unknown>> = {
  validate: () => new ValidateOperator(),
  'ods-sink': () => new OdsSinkOperator(),
  dimensions: () => new DimensionsOperator(),
  watermark: () => new WatermarkOperator(),
  dedup: () => new DedupOperator(),
  enrich: () => new EnrichOperator(),
  'interval-join': () => new IntervalJoinOperator(),
  'dwd-sink': () => new DwdSinkOperator(),
  aggregate: () => new AggregateOperator(),
};

/** The embedded engine's operators for a definition, in stage order. */
export function instantiate(def: PipelineDefinition): Operator<unknown, unknown>[] {
  return def.stages.map((s) => {
    const make = factories[s.op];
    if (!make) throw errors.pipelineInvalid(`unknown operator "${(s as { op: string }).op}"`);
    return make() as Operator<unknown, unknown>;
  });
}
