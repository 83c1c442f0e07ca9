/** Seeded randomness for the simulator: a small fast PRNG (sfc32) and the distributions traffic needs. */

const TWO_32 = 4294967296;

/** Murmur3's 32-bit finaliser: spreads every input bit over the output, so nearby seeds give unrelated streams. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A uniform number in [0, 1) that is a pure function of (key, n): lets per-entity traits stay stable without storing
 * them.
 */
export function hashUnit(key: number, n: number): number {
  return mix32(mix32(key ^ 0x9e3779b9) ^ mix32(n + 0x7f4a7c15)) / TWO_32;
}

/** A seeded random stream; `stream` separates independent uses of one seed (dimensions, traffic). */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  /** Box-Muller yields normals in pairs: the second one waits here. */
  #spareNormal = NaN;

  constructor(seed: number, stream: number) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    this.#a = mix32(lo ^ 0x9e3779b9);
    this.#b = mix32(hi ^ 0x85ebca6b);
    this.#c = mix32(stream ^ 0xc2b2ae35);
    this.#d = 1;
    // sfc32's recommended warm-up, so weak seeds (0, 1, 2…) are mixed before use.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform number in [0, 1). */
  next(): number {
    const a = this.#a,
      b = this.#b,
      c = this.#c,
      d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return (t >>> 0) / TWO_32;
  }

  /** A uniform number in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  /** A uniformly chosen item of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    // int returns 0..length-1, so the slot exists.
    return items[this.int(0, items.length - 1)]!;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A standard normal deviate. */
  normal(): number {
    const spare = this.#spareNormal;
    if (!Number.isNaN(spare)) {
      this.#spareNormal = NaN;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const theta = 2 * Math.PI * this.next();
    this.#spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** A log-normal deviate with the given median and shape sigma (the standard deviation of its logarithm). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** A log-uniform deviate in [min, max): every factor of ten in the range is equally likely. */
  logUniform(min: number, max: number): number {
    return min * Math.exp(Math.log(max / min) * this.next());
  }

  /** An exponential deviate with the given mean: the gap between events of a Poisson process. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor((i + 1) * this.next());
      // j <= i < length, so both slots exist.
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }
}

/** Picks from a fixed list by weight, given a uniform number (from a Random or from hashUnit). */
export class WeightedPick<T> {
  readonly #items: T[];
  readonly #cumulative: number[];

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let acc = 0;
    this.#items = entries.map(([item]) => item);
    this.#cumulative = entries.map(([, w]) => {
      acc += w;
      return acc / total;
    });
  }

  /** The item whose cumulative-weight interval holds u (u in [0, 1)). */
  pick(u: number): T {
    const c = this.#cumulative;
    let i = 0;
    // Lists are short (a few to a few dozen entries): a linear scan beats a binary search.
    // i < c.length - 1 is checked first, and #items has one entry per cumulative weight, so both slots exist.
    while (i < c.length - 1 && u >= c[i]!) i++;
    return this.#items[i]!;
  }
}

/**
 * Zipf-like skewed index in [0, n): rank k is drawn with probability roughly proportional to (k+1)^-s (s > 0, s ≠ 1).
 * Uses the inverse CDF of the continuous power law, O(1) per draw whatever n is.
 */
export class SkewedPick {
  readonly #n: number;
  readonly #exponent: number;
  readonly #scale: number;

  constructor(n: number, s: number) {
    this.#n = n;
    const e = 1 - s;
    this.#exponent = 1 / e;
    this.#scale = (n + 1) ** e - 1;
  }

  /** The rank for a uniform number u in [0, 1). */
  index(u: number): number {
    const k = Math.floor((1 + u * this.#scale) ** this.#exponent) - 1;
    return k < this.#n ? k : this.#n - 1;
  }
}
