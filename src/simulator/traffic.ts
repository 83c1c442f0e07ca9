import type { DeviceType, Os } from '../events/schema.ts';
import { ArrivalQueue } from './arrival-queue.ts';
import { buildDimensions } from './dimensions.ts';
import { resolveSimulatorOptions, type SimulatorOptions } from './options.ts';
import { mix32, Random, SkewedPick, WeightedPick, hashUnit } from './random.ts';

/**
 * Lines emitted so far, by kind. Duplicates and malformed lines are counted only as such; `late` counts original lines.
 */
export interface TrafficStats {
  lines: number;
  requests: number;
  exposures: number;
  viewables: number;
  clicks: number;
  duplicates: number;
  late: number;
  malformed: number;
  /** Filled requests whose record was dropped, counted when their exposure is emitted. */
  lostRequests: number;
}

// Tags stored with each queued line: a kind in the low bits, flags above.
const REQUEST = 0;
const EXPOSURE = 1;
const VIEWABLE = 2;
const CLICK = 3;
const MALFORMED = 4;
const KIND_MASK = 7;
const DUPLICATE = 8;
const LATE = 16;
const LOST_REQUEST = 32;

/** Random stream of the traffic (the dimensions use another). */
const TRAFFIC_STREAM = 2;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A user's os, device type and region: the simulator's audience mix, drawn once per user. */
export const osPick = new WeightedPick<Os>([
  ['android', 55],
  ['ios', 35],
  ['windows', 5],
  ['macos', 3],
  ['linux', 1],
  ['other', 1],
]);
/** See `osPick`. */
export const devicePick = new WeightedPick<DeviceType>([
  ['phone', 70],
  ['tablet', 10],
  ['desktop', 15],
  ['ctv', 5],
]);
/** See `osPick`. */
export const regionPick = new WeightedPick<string>([
  ['US-CA', 14],
  ['US-NY', 10],
  ['US-TX', 8],
  ['US-FL', 5],
  ['GB', 8],
  ['DE', 7],
  ['FR', 6],
  ['JP', 7],
  ['CN-BJ', 5],
  ['CN-SH', 6],
  ['BR', 6],
  ['IN', 8],
  ['CA', 4],
  ['AU', 3],
  ['KR', 2],
  ['MX', 1],
]);

/** Shape of the click delay's log-normal: with a 5-minute median, about 3% of clicks land more than 4 hours later. */
const CLICK_SIGMA = 2.115;
/** Clicks later than this are redrawn: nobody attributes a click to an exposure more than a day old. */
const MAX_CLICK_DELAY = 24 * HOUR;
/** Oversized lines carry this padding, making them valid JSON just over the 16 KiB record limit. */
const PADDING = 'x'.repeat(17 * 1024);
const YEAR_MS = 365 * 24 * HOUR;
const YEAR_2999 = Date.UTC(2999, 0, 1);
/** How unevenly requests fall on slots and on ads (`SkewedPick` exponents): a few slots and ads take most traffic. */
export const SLOT_SKEW = 0.9;
/** See `SLOT_SKEW`. */
export const AD_SKEW = 0.8;

/**
 * Generates simulated ad traffic in arrival order, streaming: requests are drawn in event-time order and each one's
 * lines (request, exposure, viewable, click, plus retries and corrupt copies) wait in a min-heap until nothing
 * generated later can arrive before them. Memory is bounded by the lines in flight (hours of clicks and late lines).
 */
export class TrafficGenerator {
  readonly #o: SimulatorOptions;
  readonly #rnd: Random;
  readonly #queue = new ArrivalQueue();
  readonly #stats: TrafficStats = {
    lines: 0,
    requests: 0,
    exposures: 0,
    viewables: 0,
    clicks: 0,
    duplicates: 0,
    late: 0,
    malformed: 0,
    lostRequests: 0,
  };
  readonly #idPrefix: string;
  /** Seeds the per-user traits, so a user keeps one os, device and region. */
  readonly #userKey: number;
  readonly #users: SkewedPick;
  readonly #slots: SkewedPick;
  readonly #ads: SkewedPick;
  /** Slot ids and ad ids by popularity rank, shuffled so popularity is unrelated to id. */
  readonly #slotByRank: number[];
  readonly #adByRank: number[];
  /** Each ad's campaign price as it appears in JSON, by popularity rank. */
  readonly #priceByRank: string[];
  readonly #meanGapMs: number;
  /** Lines still to be generated. */
  #remaining: number;
  /** Event time of the next request, fractional; its line carries the floor. */
  #clock: number;
  #requestNo = 0;
  #malformedNo = 0;

  constructor(options: Partial<SimulatorOptions> = {}) {
    const o = resolveSimulatorOptions(options);
    this.#o = o;
    this.#rnd = new Random(o.seed, TRAFFIC_STREAM);
    this.#idPrefix = `r${o.seed}-`;
    this.#userKey = mix32(o.seed ^ 0x51ed27);
    this.#users = new SkewedPick(Math.max(1, Math.round(o.events / 20)), 0.6);
    this.#slots = new SkewedPick(o.slots, SLOT_SKEW);
    this.#slotByRank = this.#rnd.shuffle(Array.from({ length: o.slots }, (_, i) => i + 1));
    const dims = buildDimensions(o);
    const priceOf = new Map(dims.campaigns.map((c) => [c.campaign_id, String(c.price)]));
    const ads = this.#rnd.shuffle(dims.ads.slice());
    this.#ads = new SkewedPick(ads.length, AD_SKEW);
    this.#adByRank = ads.map((a) => a.ad_id);
    this.#priceByRank = ads.map((a) => priceOf.get(a.campaign_id)!);
    // Expected lines per request, so that `events` lines cover about `spanMs` of requests.
    const filled = o.fillRate;
    const perRequest =
      (1 - filled * o.lostRequestRate + filled * (1 + o.viewabilityRate + o.ctr)) *
      (1 + o.duplicateRate + o.malformedRate);
    this.#meanGapMs = o.events > 0 ? (o.spanMs * perRequest) / o.events : o.spanMs;
    this.#remaining = o.events;
    this.#clock = o.startMs;
  }

  /** The next line in arrival order, or undefined once all `events` lines have been returned. */
  next(): string | undefined {
    this.#fill();
    const q = this.#queue;
    if (q.size === 0) return undefined;
    this.#count(q.peekTag());
    return q.pop();
  }

  /** Arrival time (ms) of the line `next()` would return, or undefined when none is left. */
  peekArrival(): number | undefined {
    this.#fill();
    return this.#queue.size > 0 ? this.#queue.peekArrival() : undefined;
  }

  /** The lines arriving at or before `arrivalMs`, in arrival order, at most `max` of them. */
  takeUntil(arrivalMs: number, max: number): string[] {
    const out: string[] = [];
    while (out.length < max) {
      const at = this.peekArrival();
      if (at === undefined || at > arrivalMs) break;
      out.push(this.next()!);
    }
    return out;
  }

  /** Counters of the lines returned so far. */
  stats(): TrafficStats {
    return { ...this.#stats };
  }

  /** Generates requests until the earliest queued line is final: every later request's lines arrive no earlier. */
  #fill(): void {
    const q = this.#queue;
    while (this.#remaining > 0 && (q.size === 0 || q.peekArrival() > Math.floor(this.#clock))) this.#request();
  }

  #count(tag: number): void {
    const s = this.#stats;
    s.lines++;
    if (tag & DUPLICATE) s.duplicates++;
    else {
      switch (tag & KIND_MASK) {
        case REQUEST:
          s.requests++;
          break;
        case EXPOSURE:
          s.exposures++;
          break;
        case VIEWABLE:
          s.viewables++;
          break;
        case CLICK:
          s.clicks++;
          break;
        case MALFORMED:
          s.malformed++;
          break;
      }
      if (tag & LATE) s.late++;
      if (tag & LOST_REQUEST) s.lostRequests++;
    }
  }

  /** Draws one request and queues its lines. */
  #request(): void {
    const o = this.#o,
      r = this.#rnd;
    const ts = Math.floor(this.#clock);
    this.#clock += r.exponential(this.#meanGapMs);
    const id = this.#idPrefix + (this.#requestNo++).toString(36);
    const user = this.#users.index(r.next());
    const k = this.#userKey;
    const head = `{"type":"request","request_id":"${id}","ts":${ts},"user_id":"u${user.toString(36)}","os":"${osPick.pick(hashUnit(k, user))}","device_type":"${devicePick.pick(hashUnit(k + 1, user))}","region":"${regionPick.pick(hashUnit(k + 2, user))}","slot_id":${this.#slotByRank[this.#slots.index(r.next())]},"filled":`;
    if (!r.chance(o.fillRate)) {
      this.#queueLine(REQUEST, ts, `${head}false,"ad_id":null,"bid_price":0}`);
      return;
    }
    const ad = this.#ads.index(r.next());
    const lost = r.chance(o.lostRequestRate);
    if (!lost)
      this.#queueLine(REQUEST, ts, `${head}true,"ad_id":${this.#adByRank[ad]},"bid_price":${this.#priceByRank[ad]}}`);
    const exposed = ts + Math.round(Math.min(r.logNormal(SECOND, 0.8), 60 * SECOND));
    this.#queueLine(
      lost ? EXPOSURE | LOST_REQUEST : EXPOSURE,
      exposed,
      `{"type":"exposure","event_id":"${id}-x","request_id":"${id}","ts":${exposed}}`,
    );
    if (r.chance(o.viewabilityRate)) {
      const viewed = exposed + r.int(SECOND, 10 * SECOND);
      this.#queueLine(VIEWABLE, viewed, `{"type":"viewable","event_id":"${id}-v","request_id":"${id}","ts":${viewed}}`);
    }
    if (r.chance(o.ctr)) {
      let delay: number;
      do delay = r.logNormal(5 * MINUTE, CLICK_SIGMA);
      while (delay > MAX_CLICK_DELAY);
      const clicked = exposed + Math.round(delay);
      this.#queueLine(CLICK, clicked, `{"type":"click","event_id":"${id}-c","request_id":"${id}","ts":${clicked}}`);
    }
  }

  /** Queues a line with its arrival time, and maybe a retry copy and a corrupt line; stops once the budget is spent. */
  #queueLine(tag: number, ts: number, line: string): void {
    if (this.#remaining === 0) return;
    const o = this.#o,
      r = this.#rnd,
      q = this.#queue;
    this.#remaining--;
    // Jitter of up to 3 s lets exposures overtake their requests; late lines come minutes to hours after the fact.
    const late = r.chance(o.lateRate);
    const arrival = ts + (late ? Math.round(r.logUniform(5 * MINUTE, 2 * HOUR)) : r.int(0, 3 * SECOND));
    q.push(arrival, late ? tag | LATE : tag, line);
    if (this.#remaining > 0 && r.chance(o.duplicateRate)) {
      this.#remaining--;
      q.push(arrival + r.int(SECOND, 5 * SECOND), tag | DUPLICATE, line);
    }
    if (this.#remaining > 0 && r.chance(o.malformedRate)) {
      this.#remaining--;
      q.push(arrival, MALFORMED, this.#malform(line, ts));
    }
  }

  /** A corrupt variant of a good line; the variants take turns so every kind of fault shows up. */
  #malform(line: string, ts: number): string {
    const n = this.#malformedNo++;
    const tsField = `"ts":${ts}`;
    switch (n % 6) {
      case 0:
        return line.slice(0, line.length >> 1);
      case 1:
        return line.replace(`,${tsField}`, '');
      case 2:
        return line.replace(tsField, `"ts":"${new Date(ts).toISOString()}"`);
      case 3:
        return `{"type":"impression"${line.slice(line.indexOf(','))}`;
      // A clock reset to 1970 or run away to 2999, alternately.
      case 4:
        return line.replace(tsField, `"ts":${(Math.floor(n / 6) & 1 ? YEAR_2999 : 0) + (ts % YEAR_MS)}`);
      default:
        return `${line.slice(0, -1)},"padding":"${PADDING}"}`;
    }
  }
}
