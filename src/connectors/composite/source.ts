import type { Source, SourcePoll, SourceRecord } from '../source.ts';

/**
 * Parts of a composite source: records of part i get seq * PARTS + i, so seqs stay unique and each part's order is
 * kept.
 */
const PARTS = 4;

/** Part i's split s, as the composite numbers it: each part's splits stay apart from the others'. */
const splitOf = (split: number, part: number) => split * PARTS + part;

/**
 * Several sources read as one (events from a file or Kafka, dimensions from the binlog): the position and the
 * fingerprint are JSON objects of the parts' own. The first part is polled first each time, so dimension changes
 * (put first) reach the engine ahead of the events that follow them. It ends when every finite part has ended.
 */
export class CompositeSource implements Source {
  readonly id: string;
  /** The parts' unit when they agree (only the event source reports lag today). */
  readonly lagUnit?: 'records' | 'bytes';
  private readonly parts: Source[];
  private readonly ended: boolean[];

  constructor(parts: Source[]) {
    if (parts.length === 0 || parts.length > PARTS) throw new RangeError(`a composite source has 1 to ${PARTS} parts`);
    this.parts = parts;
    this.ended = parts.map(() => false);
    this.id = parts.map((p) => p.id).join('+');
    const units = new Set(parts.flatMap((p) => (p.lagUnit ? [p.lagUnit] : [])));
    if (units.size === 1) this.lagUnit = [...units][0];
  }

  async open(position: string | null, fingerprint: string | null): Promise<void> {
    const positions = position === null ? {} : (JSON.parse(position) as Record<string, string>);
    const fingerprints = fingerprint === null ? {} : (JSON.parse(fingerprint) as Record<string, string>);
    for (const p of this.parts) await p.open(positions[p.id] ?? null, fingerprints[p.id] ?? null);
  }

  /**
   * First every part without waiting, then, when none had a record, again with one part waiting briefly: the last still
   * running that is not a change stream (a binlog answers at once whatever it is asked). With each part waiting in
   * turn, a part with nothing new (a Flink run's DWD changelog read to its end) held every poll 100 ms, and the
   * other's records came 1,024 a poll.
   */
  async poll(max: number, wait = true): Promise<SourcePoll> {
    const ready = await this.collect(max, -1);
    if (ready.records.length > 0 || ready.end || !wait) return ready;
    const running = this.parts.flatMap((_, i) => (this.ended[i] ? [] : [i]));
    const waiting = running.findLast((i) => !this.parts[i]!.unbounded) ?? running.at(-1) ?? -1;
    return this.collect(max, waiting);
  }

  /** Records of the parts still running, in order, up to `max`; part `waiting` (-1: none) may wait for some. */
  private async collect(max: number, waiting: number): Promise<SourcePoll> {
    const records: SourceRecord[] = [];
    let allEnded = true;
    for (const [i, part] of this.parts.entries()) {
      // A finite part that ended has nothing more (asked again, a Kafka part looked up its log's end each time).
      if (this.ended[i]) continue;
      if (records.length >= max) {
        allEnded = false;
        break;
      }
      const poll = await part.poll(max - records.length, i === waiting);
      for (const r of poll.records)
        records.push({
          data: r.data,
          at: r.at,
          end: r.end,
          bytes: r.bytes,
          seq: r.seq * PARTS + i,
          split: splitOf(r.split ?? 0, i),
        });
      // A part that never ends (a binlog) does not hold the others' end back once it has nothing pending.
      this.ended[i] ||= poll.end;
      if (!poll.end && !(poll.records.length === 0 && part.unbounded)) allEnded = false;
    }
    return { records, end: allEnded && this.ended.some((e) => e) };
  }

  splits(): readonly number[] {
    return this.parts.flatMap((p, i) => (p.splits?.() ?? []).map((s) => splitOf(s, i)));
  }

  position(): string {
    return JSON.stringify(Object.fromEntries(this.parts.map((p) => [p.id, p.position()])));
  }

  fingerprint(): string {
    return JSON.stringify(Object.fromEntries(this.parts.map((p) => [p.id, p.fingerprint()])));
  }

  committed(position: string): void {
    const positions = JSON.parse(position) as Record<string, string>;
    for (const p of this.parts) if (positions[p.id] !== undefined) p.committed?.(positions[p.id]!);
  }

  lag(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.parts) for (const [k, v] of Object.entries(p.lag?.() ?? {})) out[`${p.id}/${k}`] = v;
    return out;
  }

  async close(): Promise<void> {
    for (const p of this.parts) await p.close();
  }
}
