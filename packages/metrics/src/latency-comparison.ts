// Is the candidate slower than production? A bootstrap confidence interval for the difference of each latency
// quantile, computed from the two histograms alone.
import type { JsHistogram } from "hdr-histogram-js";
import { hdrOf, type LatencyHistogram } from "./histogram.js";

export type LatencyQuantile = "p50" | "p90" | "p99";

/** Same shape as `QuantileComparison` in @parallax/protocol (metrics imports nothing of ours, design.md §3). */
export interface QuantileComparison {
  readonly quantile: LatencyQuantile;
  readonly productionMs: number;
  readonly candidateMs: number;
  /** candidate − production. */
  readonly deltaMs: number;
  /** deltaMs / productionMs (null when production's is 0). */
  readonly relative: number | null;
  /** Confidence interval of deltaMs. */
  readonly intervalMs: readonly [number, number];
  /** The interval excludes zero. */
  readonly significant: boolean;
  /** Significant, slower, and larger than the minimum effect. */
  readonly regression: boolean;
  /** Significant, faster, and larger than the minimum effect. */
  readonly improvement: boolean;
}

/** Same shape as `LatencyComparison` in @parallax/protocol. */
export interface LatencyComparison {
  /** Responses behind each side. */
  readonly n: { readonly production: number; readonly candidate: number };
  readonly confidence: number;
  /** Smallest change that counts: both the relative and the absolute floor must be exceeded. */
  readonly minEffect: { readonly relative: number; readonly absoluteMs: number };
  readonly method: string;
  readonly quantiles: readonly QuantileComparison[];
  readonly regression: boolean;
}

export interface LatencyComparisonOptions {
  /** Two-sided confidence of each interval, within (0, 1). */
  readonly confidence?: number;
  /** A change must reach both floors to count as a regression or an improvement. */
  readonly minEffect?: { readonly relative?: number; readonly absoluteMs?: number };
  /** Bootstrap replicates. */
  readonly replicates?: number;
  /** Seed of the PRNG: the same histograms, options and seed always give the same result. */
  readonly seed?: number;
  readonly quantiles?: readonly LatencyQuantile[];
}

export const LATENCY_COMPARISON_DEFAULTS = Object.freeze({
  confidence: 0.95,
  minEffect: Object.freeze({ relative: 0.1, absoluteMs: 2 }),
  replicates: 2000,
  seed: 0x5eed,
  quantiles: Object.freeze(["p50", "p90", "p99"] as const),
});

/** Below this the interval's ends are read off a handful of replicates. */
const MIN_REPLICATES = 100;
const MAX_REPLICATES = 10_000_000;

/** Fixed per quantile, so a quantile's interval does not depend on which others were asked for. */
const QUANTILES: Readonly<Record<LatencyQuantile, { readonly fraction: number; readonly stream: number }>> = {
  p50: { fraction: 0.5, stream: 1 },
  p90: { fraction: 0.9, stream: 2 },
  p99: { fraction: 0.99, stream: 3 },
};

/** Every problem with the options, each naming the option; empty when they are valid. */
export function validateLatencyComparisonOptions(options: LatencyComparisonOptions): string[] {
  const problems: string[] = [];
  const { confidence, minEffect, replicates, seed, quantiles } = options;
  if (confidence !== undefined && !(confidence > 0 && confidence < 1)) {
    problems.push(`confidence must be within (0, 1) exclusive, e.g. 0.95, got ${confidence}`);
  }
  if (minEffect?.relative !== undefined && !(minEffect.relative >= 0 && Number.isFinite(minEffect.relative))) {
    problems.push(`minEffect.relative must be a finite fraction >= 0, got ${minEffect.relative}`);
  }
  if (minEffect?.absoluteMs !== undefined && !(minEffect.absoluteMs >= 0 && Number.isFinite(minEffect.absoluteMs))) {
    problems.push(`minEffect.absoluteMs must be a finite number of ms >= 0, got ${minEffect.absoluteMs}`);
  }
  if (replicates !== undefined && !(Number.isInteger(replicates) && replicates >= MIN_REPLICATES && replicates <= MAX_REPLICATES)) {
    problems.push(`replicates must be an integer within ${MIN_REPLICATES}..${MAX_REPLICATES}, got ${replicates}`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) problems.push(`seed must be a safe integer, got ${seed}`);
  if (quantiles !== undefined) {
    if (quantiles.length === 0) problems.push("quantiles must name at least one of p50, p90, p99");
    quantiles.forEach((q, i) => {
      if (!Object.hasOwn(QUANTILES, q)) problems.push(`quantiles[${i}] must be p50, p90 or p99, got ${JSON.stringify(q)}`);
      else if (quantiles.indexOf(q) !== i) problems.push(`quantiles[${i}] repeats ${q}`);
    });
  }
  return problems;
}

/**
 * Compares the candidate's latency quantiles with production's: each quantile's delta (candidate − production)
 * with a bootstrap confidence interval. Undefined when either histogram is empty. Throws a RangeError naming
 * every invalid option.
 *
 * Method. Requests are independent draws from each target's latency distribution, so each side is resampled
 * from its own histogram (the two sides independently). Resampling n values from the empirical distribution F̂
 * and taking the value at rank k gives X₍ₖ₎ = F̂⁻¹(U₍ₖ₎), where U₍ₖ₎, the k-th smallest of n uniforms, is
 * Beta(k, n + 1 − k). So a replicate is one Beta draw and one quantile lookup in the histogram instead of n
 * draws: O(replicates × log buckets) whatever n. The rank is HdrHistogram's (k = ⌈p·n⌉, guarded by one ulp),
 * so the point estimates are exactly what `valueAtPercentileMs` reports. A lookup returns the highest value
 * equivalent to the bucket holding the rank, as HdrHistogram's getValueAtPercentile does. The interval is the
 * percentile interval of the replicate deltas (candidate replicate − production replicate) at
 * (1 − confidence)/2 and (1 + confidence)/2. Each quantile's interval is computed on its own (marginal, not a
 * simultaneous band over the quantiles).
 *
 * Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) (Marsaglia–Tsang), from xoshiro128** seeded by
 * splitmix32 from `seed` and the quantile: deterministic, and the same on every platform.
 *
 * A significant delta is a regression (or an improvement) only if it also reaches both minimum-effect
 * floors. That keeps chance findings and negligible changes out: at the 95 % default about 5 % of
 * intervals miss the true delta, but a miss rarely also clears 10 % and 2 ms unless the quantile's own
 * sampling noise is that large (a p99 of a few hundred heavy-tailed responses).
 */
export function compareLatency(
  production: LatencyHistogram,
  candidate: LatencyHistogram,
  options: LatencyComparisonOptions = {},
): LatencyComparison | undefined {
  const problems = validateLatencyComparisonOptions(options);
  if (problems.length > 0) throw new RangeError(`invalid latency comparison options: ${problems.join("; ")}`);
  const productionHdr = hdrOf(production);
  const candidateHdr = hdrOf(candidate);
  if (productionHdr.totalCount === 0 || candidateHdr.totalCount === 0) return undefined;

  const D = LATENCY_COMPARISON_DEFAULTS;
  const confidence = options.confidence ?? D.confidence;
  const minEffect = {
    relative: options.minEffect?.relative ?? D.minEffect.relative,
    absoluteMs: options.minEffect?.absoluteMs ?? D.minEffect.absoluteMs,
  };
  const replicates = options.replicates ?? D.replicates;
  const seed = options.seed ?? D.seed;
  const productionCdf = cdfOf(productionHdr);
  const candidateCdf = cdfOf(candidateHdr);
  const deltas = new Float64Array(replicates);

  const quantiles = (options.quantiles ?? D.quantiles).map((quantile): QuantileComparison => {
    const { fraction, stream } = QUANTILES[quantile];
    const rng = new Xoshiro128(seed, stream);
    const kp = rankOf(fraction, productionCdf.total);
    const kc = rankOf(fraction, candidateCdf.total);
    for (let r = 0; r < replicates; r++) {
      const p = lookup(productionCdf, beta(rng, kp, productionCdf.total + 1 - kp) * productionCdf.total);
      const c = lookup(candidateCdf, beta(rng, kc, candidateCdf.total + 1 - kc) * candidateCdf.total);
      deltas[r] = c - p;
    }
    deltas.sort();
    const alpha = 1 - confidence;
    const low = toMs(sortedQuantile(deltas, alpha / 2));
    const high = toMs(sortedQuantile(deltas, 1 - alpha / 2));

    const productionMicros = lookup(productionCdf, kp);
    const candidateMicros = lookup(candidateCdf, kc);
    const deltaMs = toMs(candidateMicros - productionMicros);
    const relative = productionMicros === 0 ? null : (candidateMicros - productionMicros) / productionMicros;
    // With too few samples the bootstrap's interval collapses onto the few values there are (one
    // sample each: a single point, which "excludes 0" whatever the truth). A distribution-free
    // interval for this quantile at this confidence needs at least this many samples on each side.
    const enough = Math.min(productionCdf.total, candidateCdf.total) >= minSamplesFor(fraction, alpha);
    const significant = enough && (low > 0 || high < 0);
    // relative is null only when production is 0 µs: any change from nothing clears a relative floor.
    const large = Math.abs(deltaMs) >= minEffect.absoluteMs && (relative === null || Math.abs(relative) >= minEffect.relative);
    return {
      quantile,
      productionMs: toMs(productionMicros),
      candidateMs: toMs(candidateMicros),
      deltaMs,
      relative,
      intervalMs: [low, high],
      significant,
      regression: significant && deltaMs > 0 && large,
      improvement: significant && deltaMs < 0 && large,
    };
  });

  return {
    n: { production: productionHdr.totalCount, candidate: candidateHdr.totalCount },
    confidence,
    minEffect,
    method: `bootstrap over the histograms (${replicates} replicates, Beta order statistics), ${Number((confidence * 100).toPrecision(10))} % percentile interval`,
    quantiles,
    regression: quantiles.some((q) => q.regression),
  };
}

/**
 * The smallest n for which the sample's extremes bracket the `fraction` quantile with probability
 * 1 − alpha (each tail alpha/2): n >= log(alpha/2) / log(max(q, 1 − q)). 6 for p50, 36 for p90,
 * 367 for p99 at 95 %.
 */
export function minSamplesFor(fraction: number, alpha: number): number {
  return Math.ceil(Math.log(alpha / 2) / Math.log(Math.max(fraction, 1 - fraction)));
}

/** Whole microseconds to milliseconds with 3 decimals. */
function toMs(micros: number): number {
  return Math.round(micros) / 1000;
}

/** The histogram's non-empty buckets: running counts and each bucket's highest equivalent value (µs). */
interface Cdf {
  readonly total: number;
  readonly cumulative: Float64Array;
  readonly micros: Float64Array;
}

/** Built once per histogram, so each of the thousands of lookups is a binary search over non-empty buckets. */
function cdfOf(hdr: JsHistogram): Cdf {
  const last = hdr.countsArrayIndex(hdr.maxValue);
  let buckets = 0;
  for (let i = 0; i <= last; i++) if (hdr.getCountAtIndex(i) !== 0) buckets++;
  const cumulative = new Float64Array(buckets);
  const micros = new Float64Array(buckets);
  let total = 0;
  for (let i = 0, j = 0; i <= last; i++) {
    const count = hdr.getCountAtIndex(i);
    if (count === 0) continue;
    total += count;
    cumulative[j] = total;
    micros[j++] = hdr.highestEquivalentValue(hdr.valueFromIndex(i));
  }
  return { total, cumulative, micros };
}

/** F̂⁻¹: the value (µs) of the first bucket whose running count reaches `count` (0 < count <= total). */
function lookup(cdf: Cdf, count: number): number {
  const { cumulative, micros } = cdf;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] ?? 0) >= count) hi = mid;
    else lo = mid + 1;
  }
  return micros[lo] ?? 0;
}

/** HdrHistogram's rank for a percentile: ⌈p·n⌉, less one ulp so fp error in p·n cannot skip a count; at least 1. */
function rankOf(fraction: number, total: number): number {
  const x = fraction * total;
  return Math.min(total, Math.max(1, Math.ceil(x - 2 ** (Math.floor(Math.log2(x)) - 52))));
}

/** Type 7 (linear interpolation) quantile of sorted values. */
function sortedQuantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  const a = sorted[i] ?? 0;
  const b = sorted[Math.min(i + 1, sorted.length - 1)] ?? a;
  return a + (h - i) * (b - a);
}

/**
 * xoshiro128** (Blackman & Vigna): 32-bit state words, period 2^128 − 1, passes BigCrush. Seeded by running
 * splitmix32 over the seed and a stream number, so nearby seeds and streams give unrelated sequences.
 */
class Xoshiro128 {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined;

  constructor(seed: number, stream: number) {
    // Fold a safe-integer seed (up to 53 bits) and the stream into splitmix32's 32-bit state.
    let s = (Math.imul(seed >>> 0, 0x9e3779b9) ^ Math.floor(seed / 2 ** 32) ^ Math.imul(stream, 0x85ebca6b)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    // An all-zero state would stay zero forever.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform in the open interval (0, 1), so log() of it is finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 2 ** 32;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    const spare = this.#spare;
    if (spare !== undefined) {
      this.#spare = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.#spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) · U^(1/shape). */
function gamma(rng: Xoshiro128, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.uniform() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
function beta(rng: Xoshiro128, a: number, b: number): number {
  const x = gamma(rng, a);
  return x / (x + gamma(rng, b));
}
