/**
 * A binary min-heap of pending lines keyed by arrival time, ties broken by insertion order so the output is
 * fully determined. Parallel arrays rather than one object per entry: no allocation per line, less GC.
 */
export class ArrivalQueue {
  readonly #arrival: number[] = [];
  readonly #seq: number[] = [];
  readonly #tag: number[] = [];
  readonly #line: string[] = [];
  #nextSeq = 0;

  /** Number of pending lines. */
  get size(): number {
    return this.#line.length;
  }

  /** Arrival time of the earliest pending line; only meaningful when size > 0. */
  peekArrival(): number {
    // Callers check size first, so the root exists.
    return this.#arrival[0]!;
  }

  /** Caller's tag of the earliest pending line; only meaningful when size > 0. */
  peekTag(): number {
    // Callers check size first, so the root exists.
    return this.#tag[0]!;
  }

  /** Adds a line arriving at `arrival` (ms), with a caller-defined numeric tag. */
  push(arrival: number, tag: number, line: string): void {
    const seq = this.#nextSeq++;
    const a = this.#arrival;
    const s = this.#seq;
    let i = this.#line.length;
    // Sift up: move parents down into the hole until the new entry's place is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      // p < i <= length, so the parent slot exists.
      if (a[p]! < arrival || (a[p] === arrival && s[p]! < seq)) break;
      this.#move(p, i);
      i = p;
    }
    this.#put(i, arrival, seq, tag, line);
  }

  /** Removes and returns the earliest pending line; size must be > 0. */
  pop(): string {
    const a = this.#arrival;
    const s = this.#seq;
    // size > 0 is the caller's precondition, so the root exists.
    const top = this.#line[0]!;
    const arrival = a.pop()!;
    const seq = s.pop()!;
    const tag = this.#tag.pop()!;
    const line = this.#line.pop()!;
    const n = this.#line.length;
    if (n === 0) return top;
    // Sift down the former last entry from the root.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      // c < n and c + 1 < n are checked, so both children exist.
      if (c + 1 < n && (a[c + 1]! < a[c]! || (a[c + 1] === a[c] && s[c + 1]! < s[c]!))) c++;
      if (arrival < a[c]! || (arrival === a[c] && seq < s[c]!)) break;
      this.#move(c, i);
      i = c;
    }
    this.#put(i, arrival, seq, tag, line);
    return top;
  }

  /** Copies the entry at `from` into slot `to` of every array. */
  #move(from: number, to: number): void {
    // Callers pass an occupied `from` (a parent or child within size), so every slot exists.
    this.#arrival[to] = this.#arrival[from]!;
    this.#seq[to] = this.#seq[from]!;
    this.#tag[to] = this.#tag[from]!;
    this.#line[to] = this.#line[from]!;
  }

  /** Writes an entry into slot `i`. */
  #put(i: number, arrival: number, seq: number, tag: number, line: string): void {
    this.#arrival[i] = arrival;
    this.#seq[i] = seq;
    this.#tag[i] = tag;
    this.#line[i] = line;
  }
}
