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
import { ChangelogOperator } from './operators/changelog.ts';
import { DedupOperator } from './operators/dedup.ts';
import { DimensionsOperator } from './operators/dimensions.ts';
import { DwdSinkOperator } from './operators/dwd-sink.ts';
import { EnrichOperator } from './operators/enrich.ts';
import { ForwardOperator } from './operators/forward.ts';
import { IntervalJoinOperator } from './operators/interval-join.ts';
import { OdsSinkOperator } from './operators/ods-sink.ts';
import { ValidateOperator } from './operators/validate.ts';
import { WatermarkOperator } from './operators/watermark.ts';
import type { PipelineDefinition, Stage, StageDefinition } from './stages.ts';

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

/** Each operator built from its stage: the stage's parameters are the operator's. */
const factories: { [Op in StageDefinition['op']]: (stage: Stage<Op>) => Operator<never, unknown> } = {
  validate: () => new ValidateOperator(),
  'ods-sink': () => new OdsSinkOperator(),
  dimensions: () => new DimensionsOperator(),
  watermark: () => new WatermarkOperator(),
  forward: (stage) => new ForwardOperator(stage),
  changelog: () => new ChangelogOperator(),
  dedup: () => new DedupOperator(),
  enrich: (stage) => new EnrichOperator(stage),
  'interval-join': () => new IntervalJoinOperator(),
  'dwd-sink': () => new DwdSinkOperator(),
  aggregate: (stage) => new AggregateOperator(stage),
};

/** The embedded engine's operators for a definition, in stage order. */
export function instantiate(def: PipelineDefinition): Operator<unknown, unknown>[] {
  return def.stages.map((s) => {
    const make = factories[s.op] as ((stage: StageDefinition) => Operator<never, unknown>) | undefined;
    if (!make) throw errors.pipelineInvalid(`unknown operator "${(s as { op: string }).op}"`);
    return make(s) as Operator<unknown, unknown>;
  });
}
