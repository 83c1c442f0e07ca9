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
    return this.#arrival[0];
  }

  /** Caller's tag of the earliest pending line; only meaningful when size > 0. */
  peekTag(): number {
    return this.#tag[0];
  }

  /** Adds a line arriving at `arrival` (ms), with a caller-defined numeric tag. */
  push(arrival: number, tag: number, line: string): void {
    const seq = this.#nextSeq++;
    const a = this.#arrival,
      s = this.#seq,
      t = this.#tag,
      l = this.#line;
    let i = l.length;
    // Sift up: move parents down into the hole until the new entry's place is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] < arrival || (a[p] === arrival && s[p] < seq)) break;
      a[i] = a[p];
      s[i] = s[p];
      t[i] = t[p];
      l[i] = l[p];
      i = p;
    }
    a[i] = arrival;
    s[i] = seq;
    t[i] = tag;
    l[i] = line;
  }

  /** Removes and returns the earliest pending line; size must be > 0. */
  pop(): string {
    const a = this.#arrival,
      s = this.#seq,
      t = this.#tag,
      l = this.#line;
    const top = l[0];
    const arrival = a.pop()!,
      seq = s.pop()!,
      tag = t.pop()!,
      line = l.pop()!;
    const n = l.length;
    if (n === 0) return top;
    // Sift down the former last entry from the root.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (a[c + 1] < a[c] || (a[c + 1] === a[c] && s[c + 1] < s[c]))) c++;
      if (arrival < a[c] || (arrival === a[c] && seq < s[c])) break;
      a[i] = a[c];
      s[i] = s[c];
      t[i] = t[c];
      l[i] = l[c];
      i = c;
    }
    a[i] = arrival;
    s[i] = seq;
    t[i] = tag;
    l[i] = line;
    return top;
  }
}
