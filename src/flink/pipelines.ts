import type { PipelineDefinition, Stage, StageDefinition } from '../engine/stages.ts';
import { errors } from '../errors.ts';

/**
 * The stages the embedded engine keeps when Flink runs the pipeline: validation and dead letters, ODS, lateness by
 * the embedded watermark, dimension tables, and forwarding every accepted record to the stream topic Flink reads.
 * The watermark comes before the dimensions here, so dimension changes are forwarded too.
 */
export function ingestPipeline(
  def: PipelineDefinition,
  stream: { brokers: string; topic: string },
): PipelineDefinition {
  const stage = <Op extends StageDefinition['op']>(op: Op): Stage<Op> => {
    const s = def.stages.find((x): x is Stage<Op> => x.op === op);
    if (s === undefined) throw errors.pipelineInvalid(`the Flink ingest needs a ${op} stage`);
    return s;
  };
  return {
    name: `${def.name}-ingest`,
    stages: [
      stage('validate'),
      stage('ods-sink'),
      stage('watermark'),
      { op: 'forward', ...stream },
      stage('dimensions'),
    ],
  };
}

/** What lands the Flink job's DWD and DWA changelogs in the warehouse. */
export const resultsPipeline: PipelineDefinition = { name: 'flink-results', stages: [{ op: 'changelog' }] };
