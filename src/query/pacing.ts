import { dimensions } from '../catalogue/dimensions.ts';
import { errors } from '../errors.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { type Freshness, freshness } from './freshness.ts';
import { runQuery } from './planner.ts';
import { MAX_LIMIT } from './request.ts';

/** Campaign pacing for one day: which campaigns, which day (any time inside it; default the day of `as_of`). */
export interface PacingRequest {
  day?: number;
  advertiserIds?: number[];
  campaignIds?: number[];
  limit?: number;
}

/** A campaign's spend against its daily budget, and against the share of the day that has passed. */
export interface PacingRow {
  campaign_id: number;
  campaign_name: string;
  advertiser_id: number;
  advertiser_name: string | null;
  billing: string;
  budget: number;
  spend: number;
  /** spend / budget */
  budget_used: number;
  /** The share of the budget an even pace would have spent by `as_of`. */
  expected_used: number;
  /** budget_used / expected_used; null at the very start of the day. */
  pace: number | null;
  status: 'exhausted' | 'ahead' | 'on_track' | 'behind';
}

export interface PacingResult {
  day: string;
  /** The moment the day is measured at: the freshness's as_of (the day's end for a finished day). */
  as_of: string;
  day_elapsed: number;
  columns: (keyof PacingRow)[];
  rows: PacingRow[];
  freshness: Freshness;
}

const DAY_MS = 86_400_000;
/** Within ±10% of an even pace counts as on track. */
const PACE_TOLERANCE = 0.1;
const columns: (keyof PacingRow)[] = [
  'campaign_id',
  'campaign_name',
  'advertiser_id',
  'advertiser_name',
  'billing',
  'budget',
  'spend',
  'budget_used',
  'expected_used',
  'pace',
  'status',
];

/** The dimension table behind a catalogue dimension (where budgets and names live). */
const tableOf = (dim: 'advertiser_id' | 'campaign_id') => dimensions.find((d) => d.name === dim)!.nameFrom!.table;

/**
 * Spend today (event time, UTC days) against each campaign's daily budget. "Today" is the day of the freshness's
 * `as_of`, so a replayed warehouse paces its own last day rather than the wall clock's, and a client clock running
 * ahead cannot move it into tomorrow.
 */
export async function runPacing(store: QueryStore, req: PacingRequest): Promise<PacingResult> {
  if (req.limit !== undefined && (!Number.isSafeInteger(req.limit) || req.limit < 1 || req.limit > MAX_LIMIT))
    throw errors.badQuery(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  const fresh = await freshness(store);
  const current = fresh.as_of ? Date.parse(fresh.as_of) : Date.now();
  const dayStart = Math.floor((req.day ?? current) / DAY_MS) * DAY_MS;
  const asOf = Math.min(Math.max(current, dayStart), dayStart + DAY_MS);
  const elapsed = (asOf - dayStart) / DAY_MS;

  const filters = {
    ...(req.advertiserIds?.length ? { advertiser_id: req.advertiserIds } : {}),
    ...(req.campaignIds?.length ? { campaign_id: req.campaignIds } : {}),
  };
  const spent = await runQuery(store, {
    metrics: ['spend'],
    by: ['campaign_id'],
    from: dayStart,
    to: dayStart + DAY_MS,
    filters,
    limit: MAX_LIMIT,
  });
  const spendOf = new Map(spent.rows.map((r) => [Number(r.campaign_id), Number(r.spend ?? 0)]));

  const where: string[] = [];
  const params: number[] = [];
  for (const [column, ids] of [
    ['c.advertiser_id', req.advertiserIds],
    ['c.campaign_id', req.campaignIds],
  ] as const) {
    if (!ids?.length) continue;
    where.push(`${column} IN (${ids.map(() => '?').join(', ')})`);
    params.push(...ids);
  }
  const campaigns = await store.query(
    `SELECT c.campaign_id, c.name AS campaign_name, c.advertiser_id, a.name AS advertiser_name, c.billing, c.budget FROM ${tableOf('campaign_id')} c LEFT JOIN ${tableOf('advertiser_id')} a ON a.advertiser_id = c.advertiser_id${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params,
  );
  const rows = campaigns.map((c): PacingRow => {
    const budget = Number(c.budget);
    const spend = spendOf.get(Number(c.campaign_id)) ?? 0;
    const used = budget > 0 ? spend / budget : 0;
    const pace = elapsed > 0 ? used / elapsed : null;
    const status =
      used >= 1
        ? 'exhausted'
        : pace === null || Math.abs(pace - 1) <= PACE_TOLERANCE
          ? 'on_track'
          : pace > 1
            ? 'ahead'
            : 'behind';
    return {
      campaign_id: Number(c.campaign_id),
      campaign_name: String(c.campaign_name),
      advertiser_id: Number(c.advertiser_id),
      advertiser_name: (c.advertiser_name as string | null) ?? null,
      billing: String(c.billing),
      budget,
      spend,
      budget_used: used,
      expected_used: elapsed,
      pace,
      status,
    };
  });
  rows.sort((a, b) => b.spend - a.spend || a.campaign_id - b.campaign_id);
  return {
    day: new Date(dayStart).toISOString().slice(0, 10),
    as_of: new Date(asOf).toISOString(),
    day_elapsed: elapsed,
    columns,
    rows: rows.slice(0, req.limit ?? 100),
    freshness: fresh,
  };
}
