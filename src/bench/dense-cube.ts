import { additiveColumns, billedColumn, billing, countedIndexes } from '../catalogue/metrics.ts';
import { sketchField, userSketchEntry } from '../catalogue/user-sketch.ts';
import { buildDimensions } from '../simulator/dimensions.ts';
import { defaultSimulatorOptions } from '../simulator/options.ts';
import { hashUnit, Random, SkewedPick } from '../simulator/random.ts';
import { AD_SKEW, devicePick, osPick, regionPick, SLOT_SKEW } from '../simulator/traffic.ts';
import type { CsvRows } from '../warehouse/csv.ts';
import { FIELD_SEPARATOR as S } from '../warehouse/csv.ts';
import { dwaStagedDimensions } from '../layers/dwa.ts';

/**
 * DWA rows per minute of the demo's traffic (`adw demo`, 2,000 event lines/s): its minute cells once compacted.
 * Measured on 2026-12-02: the demo's live source for 10 minutes of event time, run through `adw run` into a file;
 * 39,700 - 43,100 distinct cells a minute (the first minute fewest; 47,800 - 49,300 requests; 57,700 - 71,500 rows a
 * minute before compaction in that replay, one per cell and checkpoint). The demo's users are all but unbounded, so
 * nearly every request is a new cell.
 */
export const DEMO_ROWS_PER_MINUTE = 42_700;

/**
 * The most rows a minute can ask for: about a fifteenth of the cells the simulator's dimensions can form (401 ads or none, 50
 * slots, 384 audiences), so drawing a minute's distinct cells stays quick.
 */
export const MAX_ROWS_PER_MINUTE = 500_000;

/**
 * Users the rows draw from: precomputed (their sketch entry and audience) so the fill does not hash a user per
 * request. The demo's population is all but unbounded; a pool this size keeps a day's sketches as large as the
 * demo's (most of a day's requests are distinct users) at a fraction of the hashing.
 */
const USER_POOL = 1 << 20;

/** The cell key's parts: the ad's dimensions, the slot's, the audience's (the user's). */
const AD_DIMENSIONS = ['advertiser_id', 'campaign_id', 'ad_id'] as const;
const AUDIENCE_DIMENSIONS = ['os', 'device_type', 'region'] as const;
const SLOT_DIMENSIONS = ['slot_id'] as const;

/** Names in the order staged DWA rows hold them (`dwaStagedDimensions`). */
function inStagedOrder<T extends string>(names: readonly T[]): T[] {
  return [...names].sort((a, b) => dwaStagedDimensions.indexOf(a as never) - dwaStagedDimensions.indexOf(b as never));
}

/** Which part (0 ad, 1 slot, 2 audience) comes first, second and third in a staged row's dimensions. */
const PART_ORDER = (() => {
  const parts = [AD_DIMENSIONS, SLOT_DIMENSIONS, AUDIENCE_DIMENSIONS].map((p) => inStagedOrder(p));
  const order = [0, 1, 2].sort(
    (a, b) => dwaStagedDimensions.indexOf(parts[a]![0]!) - dwaStagedDimensions.indexOf(parts[b]![0]!),
  );
  if (order.flatMap((i) => parts[i]!).join() !== dwaStagedDimensions.join())
    throw new Error('the dense cube draws the DWA dimensions as three runs: ad, slot and audience');
  return order;
})();

/** Where each event the cube draws counts among the additive metrics. */
const REQUEST = countedIndexes('request', false);
const FILLED_REQUEST = countedIndexes('request', true);
const EXPOSURE = countedIndexes('exposure', true);
const VIEWABLE = countedIndexes('viewable', true);
const CLICK = countedIndexes('click', true);
const BILLED = additiveColumns.indexOf(billedColumn);

/** One cell's running totals while a minute is drawn. */
interface Cell {
  ad: number;
  slot: number;
  user: number;
  /** Its additive metrics, in the order DWA stores them (`additiveColumns`). */
  metrics: number[];
  /** Sketch entries of its users, repeats and all (only when a cell has more than one request). */
  users: number[] | null;
}

/** Counts one event into a cell's metrics where `at` says. */
function count(c: Cell, at: readonly number[]): void {
  for (const i of at) c.metrics[i]!++;
}

/**
 * DWA minute rows as dense as the caller asks, drawn as the simulator draws its traffic: requests fall on slots and
 * ads with the simulator's skew and its fill, viewability and click rates, each from a user with the simulator's
 * audience mix (os, device, region); unfilled requests have no ad, campaign or advertiser, as in DWA. A minute is
 * drawn request by request until it has `rowsPerMinute` distinct cells, so its rows are cells (one row each) of one
 * request or a few (1.015 on average at 1,200 rows a minute, 1.24 at the demo's density, where the demo's own rows
 * average 1.15: some of them hold only the follow events of a request made in an earlier minute, which these rows
 * count in the request's minute). Deterministic for a seed.
 */
export class DenseCube {
  private readonly rnd: Random;
  private readonly rowsPerMinute: number;
  private readonly slots: SkewedPick;
  private readonly ads: SkewedPick;
  private readonly slotByRank: number[];
  /** By ad popularity rank: the ad's CSV key fields (advertiser, campaign, ad), bid (micros) and billing. */
  private readonly adKey: string[];
  private readonly adBidMicros: number[];
  private readonly adBilling: (keyof typeof billing)[];
  private readonly userEntry: Int32Array;
  private readonly userAudienceKey: string[];
  private readonly userAudienceId: Uint16Array;

  constructor(rowsPerMinute: number, seed: number) {
    this.rowsPerMinute = rowsPerMinute;
    const o = { ...defaultSimulatorOptions, seed };
    this.rnd = new Random(seed, 3);
    const dims = buildDimensions(o);
    this.slots = new SkewedPick(o.slots, SLOT_SKEW);
    this.slotByRank = this.rnd.shuffle(Array.from({ length: o.slots }, (_, i) => i + 1));
    const campaignOf = new Map(dims.campaigns.map((c) => [c.campaign_id, c]));
    const ads = this.rnd.shuffle(dims.ads.slice());
    this.ads = new SkewedPick(ads.length, AD_SKEW);
    this.adKey = ads.map((a) => {
      const fields = {
        ad_id: a.ad_id,
        campaign_id: a.campaign_id,
        advertiser_id: campaignOf.get(a.campaign_id)!.advertiser_id,
      };
      return inStagedOrder(AD_DIMENSIONS)
        .map((d) => fields[d])
        .join(S);
    });
    this.adBidMicros = ads.map((a) => Math.round(campaignOf.get(a.campaign_id)!.price * 1e6));
    this.adBilling = ads.map((a) => campaignOf.get(a.campaign_id)!.billing);
    this.userEntry = new Int32Array(USER_POOL);
    this.userAudienceId = new Uint16Array(USER_POOL);
    const audiences = new Map<string, number>();
    for (let u = 0; u < USER_POOL; u++) {
      this.userEntry[u] = userSketchEntry(`u${seed}-${u}`);
      const fields = {
        os: osPick.pick(hashUnit(seed, u)),
        device_type: devicePick.pick(hashUnit(seed + 1, u)),
        region: regionPick.pick(hashUnit(seed + 2, u)),
      };
      const key = inStagedOrder(AUDIENCE_DIMENSIONS)
        .map((d) => fields[d])
        .join(S);
      if (!audiences.has(key)) audiences.set(key, audiences.size);
      this.userAudienceId[u] = audiences.get(key)!;
    }
    this.userAudienceKey = [...audiences.keys()];
  }

  /** Appends the rows of the minute starting at `minuteMs` to `rows`; returns the requests they count. */
  minute(minuteMs: number, rows: CsvRows): number {
    const r = this.rnd;
    const { fillRate, viewabilityRate, ctr } = defaultSimulatorOptions;
    const cells = new Map<number, Cell>();
    const slotCount = this.slotByRank.length;
    const audienceCount = this.userAudienceKey.length;
    let requests = 0;
    while (cells.size < this.rowsPerMinute) {
      requests++;
      const user = Math.floor(r.next() * USER_POOL);
      const slot = this.slotByRank[this.slots.index(r.next())]!;
      // Rank + 1 for a filled request, 0 for none: one number keys the cell.
      const ad = r.chance(fillRate) ? this.ads.index(r.next()) + 1 : 0;
      const code = (ad * (slotCount + 1) + slot) * audienceCount + this.userAudienceId[user]!;
      let c = cells.get(code);
      if (!c) {
        c = {
          ad,
          slot,
          user,
          metrics: additiveColumns.map(() => 0),
          users: null,
        };
        cells.set(code, c);
      } else {
        if (!c.users) c.users = [this.userEntry[c.user]!];
        c.users.push(this.userEntry[user]!);
      }
      if (ad === 0) {
        count(c, REQUEST);
        continue;
      }
      count(c, FILLED_REQUEST);
      count(c, EXPOSURE);
      const viewed = r.chance(viewabilityRate);
      const clicked = r.chance(ctr);
      if (viewed) count(c, VIEWABLE);
      if (clicked) count(c, CLICK);
      const bill = billing[this.adBilling[ad - 1]!];
      if (bill.eventType === 'exposure' || clicked)
        c.metrics[BILLED]! += this.adBidMicros[ad - 1]! * bill.nanosPerBidMicro;
    }
    for (const c of cells.values()) {
      const parts = [
        c.ad === 0 ? S + S : this.adKey[c.ad - 1]!,
        String(c.slot),
        this.userAudienceKey[this.userAudienceId[c.user]!]!,
      ];
      const key = `${parts[PART_ORDER[0]!]}${S}${parts[PART_ORDER[1]!]}${S}${parts[PART_ORDER[2]!]}`;
      const sketch = c.users ? sketchField(c.users) : `[${this.userEntry[c.user]}]`;
      rows.push(`${minuteMs}${S}${key}${S}${c.metrics.join(S)}${S}${sketch}`);
    }
    return requests;
  }
}
