import { errors } from '../errors.ts';

/** What the traffic simulator produces: volume, time span, funnel rates, data-quality faults and dimension sizes. */
export interface SimulatorOptions {
  /** Seed of every random choice: the same options always give byte-identical output. */
  seed: number;
  /** Exact number of event lines (requests, follow events, duplicates, malformed lines), dimension lines excluded. */
  events: number;
  /** Event-time span over which the requests are spread (ms). */
  spanMs: number;
  /** Event time of the first request (ms since epoch). */
  startMs: number;
  /** Fraction of requests filled with an ad; every filled request is exposed. */
  fillRate: number;
  /** Fraction of exposures that also become viewable. */
  viewabilityRate: number;
  /** Fraction of exposures that are clicked. */
  ctr: number;
  /** Fraction of lines re-sent by a client retry: an identical copy arriving a few seconds later. */
  duplicateRate: number;
  /** Fraction of lines arriving 5 minutes to 2 hours after their event time. */
  lateRate: number;
  /** Fraction of filled requests whose own record never arrives although their exposures and clicks do. */
  lostRequestRate: number;
  /**
   * Fraction of lines followed by a malformed line (broken JSON, missing or mistyped field, unknown type, absurd time,
   * oversized).
   */
  malformedRate: number;
  advertisers: number;
  campaignsPerAdvertiser: number;
  adsPerCampaign: number;
  slots: number;
}

/** Defaults: six hours of traffic from 2026-01-01 with a plausible funnel and a sprinkle of every fault. */
export const defaultSimulatorOptions: Readonly<SimulatorOptions> = {
  seed: 1,
  events: 100_000,
  spanMs: 6 * 3600_000,
  startMs: Date.UTC(2026, 0, 1),
  fillRate: 0.85,
  viewabilityRate: 0.65,
  ctr: 0.01,
  duplicateRate: 0.01,
  lateRate: 0.005,
  lostRequestRate: 0.002,
  malformedRate: 0.001,
  advertisers: 20,
  campaignsPerAdvertiser: 5,
  adsPerCampaign: 4,
  slots: 50,
};

const rates = [
  'fillRate',
  'viewabilityRate',
  'ctr',
  'duplicateRate',
  'lateRate',
  'lostRequestRate',
  'malformedRate',
] as const;
const counts = ['advertisers', 'campaignsPerAdvertiser', 'adsPerCampaign', 'slots'] as const;

/** Fills in defaults (an `undefined` value counts as absent) and rejects impossible values with ADW_ERR_BAD_OPTION. */
export function resolveSimulatorOptions(options: Partial<SimulatorOptions> = {}): SimulatorOptions {
  const o: SimulatorOptions = { ...defaultSimulatorOptions };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in o) o[k as keyof SimulatorOptions] = v;
  if (!Number.isSafeInteger(o.seed)) throw errors.badOption('seed', 'must be an integer');
  if (!Number.isSafeInteger(o.events) || o.events < 0)
    throw errors.badOption('events', 'must be a non-negative integer');
  if (!Number.isSafeInteger(o.startMs) || o.startMs < 0)
    throw errors.badOption('startMs', 'must be a time in ms since the epoch');
  if (!Number.isFinite(o.spanMs) || o.spanMs <= 0)
    throw errors.badOption('spanMs', 'must be a positive number of milliseconds');
  for (const k of rates) if (!(o[k] >= 0 && o[k] <= 1)) throw errors.badOption(k, 'must be a fraction from 0 to 1');
  for (const k of counts)
    if (!Number.isSafeInteger(o[k]) || o[k] < 1 || o[k] > 100_000)
      throw errors.badOption(k, 'must be an integer from 1 to 100000');
  return o;
}
