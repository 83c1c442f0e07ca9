import { Counter, type Registry } from 'prom-client';
import type { CacheOutcome } from '../query/answer-cache.ts';
import { METRIC_PREFIX as P } from '../http/metrics-registry.ts';

/** The API's metric names, in one place. */
export const apiMetricNames = { answerLookups: `${P}api_answer_lookups_total` } as const;

/** Counts the API's warehouse reads by how they were answered; returns the hook `SharedReads` calls per read. */
export function apiAnswerLookups(registry: Registry): (outcome: CacheOutcome) => void {
  const lookups = new Counter({
    name: apiMetricNames.answerLookups,
    help:
      'warehouse reads of the API: hit (a shared answer of this commit), joined (the same read in flight), miss (read), ' +
      'previous (the commit before, while this one is read ahead), refresh (read ahead at a commit)',
    labelNames: ['result'],
    registers: [registry],
  });
  return (outcome) => lookups.inc({ result: outcome });
}
