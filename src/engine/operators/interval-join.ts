import { billing } from '../../catalogue/metrics.ts';
import { userSketchEntry } from '../../catalogue/user-sketch.ts';
import type { FollowEvent } from '../../events/schema.ts';
import { validateLine } from '../../events/validate.ts';
import { type KeyedState, restoreSpilledRange, restoredSince } from '../../state/keyed-state.ts';
import { MemoryState, timeOnly } from '../../state/memory-state.ts';
import type { UnmatchedRow } from '../../warehouse/warehouse.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator, type RunContext, type Output } from '../operator.ts';
import { type DwdRow, type RequestInfo, requestCodec, type Tracked } from '../records.ts';
import { REQUEST_ENTRY_BYTES, type StateSize, stateSpace } from '../stats.ts';
import { dedupHorizon, timeRange } from './dedup.ts';
import { requestInfo, type EnrichedEvent, type EnrichedRequest } from './enrich.ts';

type Follow = Tracked<FollowEvent>;

/** A follow event whose request has not been seen; `emittedEpoch` >= 0 once it went out as unmatched. */
interface Pending {
  ev: Follow;
  emittedEpoch: number;
  done: boolean;
}

const BUCKET_MS = 60_000;
/** Heap per waiting follow event (its parsed record and raw line), a rough figure: there are few of them. */
const PENDING_ENTRY_BYTES = 400;
const NO_ORPHANS: Map<string, UnmatchedRow[]> = new Map();

/** What a follow event bills under its campaign's billing type (in 1e-9 currency units). */
export function spendNanos(kind: FollowEvent['kind'], req: RequestInfo): number {
  const billed = req.billing === null ? undefined : billing[req.billing];
  return billed?.eventType === kind ? req.bidMicros * billed.nanosPerBidMicro : 0;
}

/**
 * Joins exposures, viewable exposures and clicks to their request when request time <= event time <= request time +
 * window.
 * The result depends only on which records exist, not on their arrival order:
 * - a follow event that comes before its request waits; once event time passes it by the allowed lateness it goes out
 *   as unmatched, and is corrected (a retraction) if its request comes after all;
 * - requests are kept for the window plus the allowed lateness; older ones (for late follow events) and committed
 *   unmatched rows (for late requests) are looked up in the warehouse.
 */
export class IntervalJoinOperator extends BaseOperator<EnrichedEvent, DwdRow> {
  readonly name = 'interval-join';
  /** Follow events know their request by id alone: a spilled one is read back from the spill file by id. */
  private readonly requests = new MemoryState(requestCodec, 60_000, true);
  /**
   * Requests with unmatched rows out (committed or not), by the time of their latest such row: few, and they spare most
   * look-ups.
   */
  private readonly orphaned: KeyedState<number> = new MemoryState(timeOnly);
  private readonly pending = new Map<string, Pending[]>();
  private readonly waiting = new Map<number, Pending[]>();
  private readonly emitted = new Map<number, Pending[]>();
  /** Per checkpoint not yet committed: the expiry horizon and the watermark at its seal. */
  private readonly horizons = new Map<number, { horizon: number; watermark: number }>();
  /** Records that need warehouse look-ups, processed (in arrival order) when the epoch is sealed. */
  private deferred: EnrichedEvent[] = [];

  /**
   * Requests older than this leave state. Bounded by a memory budget, state keeps (spilled) the whole attribution
   * window, so a follow event whose request it does not know needs no look-up; in memory alone, the join window.
   */
  private requestHorizon(ctx: RunContext): number {
    const { joinWindowMs, attributionWindowMs, stateMemoryBytes } = ctx.config;
    const window = stateMemoryBytes === null ? joinWindowMs : Math.max(joinWindowMs, attributionWindowMs);
    return ctx.watermark - ctx.config.allowedLatenessMs - window;
  }

  override async open(ctx: RunContext): Promise<void> {
    if (ctx.spill) this.requests.spillTo(ctx.spill.table('requests'));
    const horizon = this.requestHorizon(ctx);
    const space = stateSpace(ctx.config, REQUEST_ENTRY_BYTES, ctx.watermark);
    const rows = await ctx.store.loadRequests(horizon, space?.capacity);
    for (const row of rows) this.requests.set(row.request_id, requestInfo(row), row.ts);
    const held = restoredSince(rows, horizon, space);
    this.requests.expire(held); // held: every request since then
    // The older ones go to the spill file, where a follow event of one finds it by id.
    await restoreSpilledRange(this.requests, horizon, held, async (from, before) =>
      (await ctx.store.loadRequestsBetween(from, before)).map((r) => ({
        key: r.request_id,
        value: requestInfo(r),
        ts: r.ts,
      })),
    );
    for (const u of await ctx.store.loadUnmatchedRequests(horizon)) this.orphaned.set(u.request_id, u.ts, u.ts);
    this.orphaned.expire(horizon);

    for (const p of await ctx.store.loadPending(ctx.watermark - ctx.config.allowedLatenessMs, dedupHorizon(ctx))) {
      const v = validateLine(p.raw, Buffer.byteLength(p.raw), ctx.config.limits, Number.MAX_SAFE_INTEGER);
      if (v.ok && v.record.kind !== 'request' && v.record.kind !== 'dim')
        this.wait({
          ev: Object.assign(v.record, { seq: p.seq }),
          emittedEpoch: -1,
          done: false,
        });
    }
  }

  async processBatch(batch: EnrichedEvent[], out: Output<DwdRow>, ctx: RunContext): Promise<void> {
    for (const r of batch) {
      if (r.kind === 'request') {
        if (!this.requestNeedsLookUp(r, ctx)) this.onRequest(r, out, ctx, NO_ORPHANS);
        else if (!this.isCopy(r, ctx)) this.deferred.push(r);
        continue;
      }
      const info = this.requests.get(r.requestId);
      if (!info && this.followNeedsLookUp(r, ctx)) this.deferred.push(r);
      else this.onFollow(r, info, out, ctx);
    }
    if (ctx.sealing && this.deferred.length > 0) {
      const deferred = this.deferred;
      this.deferred = [];
      const orphans = await this.lookUpLate(deferred, ctx);
      for (const r of deferred) {
        if (r.kind !== 'request') this.onFollow(r, this.requests.get(r.requestId), out, ctx);
        else this.onRequest(r, out, ctx, orphans);
      }
    }
  }

  /** Requests are deduplicated here, against the state that holds every request of the window anyway. */
  private isCopy(r: EnrichedRequest, ctx: RunContext): boolean {
    if (!this.requests.has(r.id)) return false;
    ctx.counters.duplicates++;
    return true;
  }

  /**
   * Whether the warehouse may hold unmatched rows a request corrects (one that comes late or from before where an
   * earlier input ended), or the committed copy it would be.
   */
  private requestNeedsLookUp(r: EnrichedRequest, ctx: RunContext): boolean {
    // A copy of a request older than state knows would be in the warehouse only.
    if (r.ts < this.requests.knownSince) return true;
    // A request can only correct unmatched rows it has; the index knows them for requests since its heldSince.
    return (r.late || r.ts <= ctx.flushedUntilMs) && (this.orphaned.has(r.id) || r.ts < this.orphaned.heldSince);
  }

  /**
   * Whether the warehouse may hold the request of a follow event that state (memory and spill file) does not: its
   * request is at most an attribution window older, so only if that reaches before every request state knows of.
   */
  private followNeedsLookUp(f: Follow, ctx: RunContext): boolean {
    return f.ts - ctx.config.attributionWindowMs < this.requests.knownSince;
  }

  /** Fetches from the warehouse what deferred records may join with: old requests, and committed unmatched events. */
  private async lookUpLate(deferred: EnrichedEvent[], ctx: RunContext): Promise<Map<string, UnmatchedRow[]>> {
    const requests = deferred.filter((r) => r.kind === 'request');
    const follows = deferred.filter((r): r is Follow => r.kind !== 'request');
    const w = ctx.config.attributionWindowMs;
    const known = this.requests.knownSince;
    // Old requests: committed copies of late requests, from before what state knows.
    const old = requests.filter((r) => r.ts < known);
    const [unmatched, found] = await Promise.all([
      ctx.store.findUnmatched(
        requests.map((r) => r.id),
        timeRange(requests, 0, w),
      ),
      ctx.store.findRequests([
        // A follow event's request state does not know can only be from before what state knows.
        { ids: follows.map((f) => f.requestId), range: { from: timeRange(follows, w).from, to: known - 1 } },
        { ids: old.map((r) => r.id), range: timeRange(old) },
      ]),
    ]);
    const orphans = new Map<string, UnmatchedRow[]>();
    for (const row of found)
      if (!this.requests.has(row.request_id)) this.requests.set(row.request_id, requestInfo(row), row.ts);
    for (const u of unmatched) {
      const list = orphans.get(u.request_id);
      if (list) list.push(u);
      else orphans.set(u.request_id, [u]);
    }
    return orphans;
  }

  private onRequest(
    r: EnrichedRequest,
    out: Output<DwdRow>,
    ctx: RunContext,
    orphans: Map<string, UnmatchedRow[]>,
  ): void {
    const info = r.info;
    // Older than the next expiry may reach: pinned until its epoch is committed.
    const older = r.late || r.ts < this.requests.heldSince;
    // A copy has its original's event time, so state holds it where `add` looks: in memory, or spilled at that time.
    if (!this.requests.add(r.id, info, r.ts, older ? ctx.epoch : undefined)) {
      ctx.counters.duplicates++;
      return;
    }
    out.push({
      id: r.id,
      type: 'request',
      requestId: r.id,
      ts: r.ts,
      req: info,
      spendNanos: 0,
      status: 'request',
      late: r.late,
      retraction: false,
      userEntry: userSketchEntry(r.userId),
    });
    const orphaned = orphans.get(r.id);
    // The ids of the pending events joined here, which a committed unmatched row of theirs must not correct again
    // (kept only when the request has such rows: most have none).
    let handled: Set<string> | null = null;
    const list = this.pending.get(r.id);
    if (list) {
      let rest: Pending[] | null = null;
      for (const p of list) {
        if (!this.inWindow(p.ev.ts, info, ctx)) {
          rest ??= [];
          rest.push(p);
          continue;
        }
        p.done = true;
        if (orphaned) {
          handled ??= new Set();
          handled.add(p.ev.id);
        }
        out.push(this.matched(p.ev, info, p.emittedEpoch >= 0));
      }
      if (rest) this.pending.set(r.id, rest);
      else this.pending.delete(r.id);
    }
    for (const u of orphaned ?? []) {
      if (handled?.has(u.event_id) || !this.inWindow(u.ts, info, ctx)) continue;
      const kind = u.event_type as FollowEvent['kind'];
      out.push({
        id: u.event_id,
        type: kind,
        requestId: r.id,
        ts: u.ts,
        req: info,
        spendNanos: spendNanos(kind, info),
        status: 'matched',
        late: u.late,
        retraction: true,
        userEntry: null,
      });
    }
  }

  /** A follow event with its request as state knows it (undefined: not known, so it waits). */
  private onFollow(e: Follow, info: RequestInfo | undefined, out: Output<DwdRow>, ctx: RunContext): void {
    if (info) {
      out.push(this.inWindow(e.ts, info, ctx) ? this.matched(e, info, false) : this.unmatched(e));
      return;
    }
    const p: Pending = { ev: e, emittedEpoch: -1, done: false };
    if (e.late) {
      // Its time to wait is over already: out as unmatched now, corrected if the request still comes.
      this.addPending(p);
      this.emit(p, out, ctx);
    } else this.wait(p);
  }

  private inWindow(ts: number, req: RequestInfo, ctx: RunContext): boolean {
    return ts >= req.ts && ts <= req.ts + ctx.config.attributionWindowMs;
  }

  private matched(e: Follow, req: RequestInfo, retraction: boolean): DwdRow {
    return {
      id: e.id,
      type: e.kind,
      requestId: e.requestId,
      ts: e.ts,
      req,
      spendNanos: spendNanos(e.kind, req),
      status: 'matched',
      late: e.late,
      retraction,
      userEntry: null,
    };
  }

  private unmatched(e: Follow): DwdRow {
    return {
      id: e.id,
      type: e.kind,
      requestId: e.requestId,
      ts: e.ts,
      req: null,
      spendNanos: 0,
      status: 'unmatched',
      late: e.late,
      retraction: false,
      userEntry: null,
    };
  }

  private addPending(p: Pending): void {
    const list = this.pending.get(p.ev.requestId);
    if (list) list.push(p);
    else this.pending.set(p.ev.requestId, [p]);
  }

  private wait(p: Pending): void {
    this.addPending(p);
    const b = Math.floor(p.ev.ts / BUCKET_MS);
    const list = this.waiting.get(b);
    if (list) list.push(p);
    else this.waiting.set(b, [p]);
  }

  private emit(p: Pending, out: Output<DwdRow>, ctx: RunContext): void {
    p.emittedEpoch = ctx.epoch;
    const known = this.orphaned.get(p.ev.requestId);
    if (known === undefined || known < p.ev.ts) this.orphaned.set(p.ev.requestId, p.ev.ts, p.ev.ts, ctx.epoch);
    out.push(this.unmatched(p.ev));
    const list = this.emitted.get(ctx.epoch);
    if (list) list.push(p);
    else this.emitted.set(ctx.epoch, [p]);
  }

  override onWatermark(watermark: number, out: Output<DwdRow>, ctx: RunContext): void {
    const cutoff = watermark - ctx.config.allowedLatenessMs;
    for (const [b, list] of this.waiting) {
      if (b * BUCKET_MS >= cutoff) continue;
      const keep: Pending[] = [];
      for (const p of list) {
        if (p.done) continue;
        if (p.ev.ts < cutoff) this.emit(p, out, ctx);
        else keep.push(p);
      }
      if (keep.length > 0) this.waiting.set(b, keep);
      else this.waiting.delete(b);
    }
  }

  override onCheckpoint(writes: CheckpointWrites, ctx: RunContext): void {
    this.horizons.set(writes.epoch, { horizon: this.requestHorizon(ctx), watermark: ctx.watermark });
  }

  override stateSize(): StateSize {
    const keys = this.requests.size + this.orphaned.size + this.pending.size;
    return {
      keys,
      bytes: this.requests.bytes + this.orphaned.bytes + this.pending.size * PENDING_ENTRY_BYTES,
      diskKeys: this.requests.spilled,
      diskBytes: this.requests.diskBytes,
    };
  }

  override onCommit(epoch: number, ctx: RunContext): void {
    this.requests.release(epoch);
    this.orphaned.release(epoch);
    const h = this.horizons.get(epoch);
    this.horizons.delete(epoch);
    if (h) {
      this.requests.expire(h.horizon, stateSpace(ctx.config, REQUEST_ENTRY_BYTES, h.watermark));
      this.orphaned.expire(h.horizon);
    }
    // Committed unmatched rows are found in the warehouse from now on.
    for (const [e, list] of this.emitted) {
      if (e > epoch) continue;
      for (const p of list) {
        if (p.done) continue;
        const rest = this.pending.get(p.ev.requestId)?.filter((x) => x !== p);
        if (rest && rest.length > 0) this.pending.set(p.ev.requestId, rest);
        else this.pending.delete(p.ev.requestId);
      }
      this.emitted.delete(e);
    }
  }
}
