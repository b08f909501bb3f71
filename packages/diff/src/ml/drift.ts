// Distribution drift of a numeric field: PSI and two-sample KS from fixed log-bucket sketches.

import { allCounts, countRecordTotal, isExactSum } from "./check.js";
import { addExact, addExactAll, exactTotal, isNumber, type ExactSum } from "./numeric.js";
import { bump, own } from "./record.js";
import { type Comparison, type DriftRule, expectKind, type MlDiffKind, NO_DIFFERENCES, isPlainRecord } from "./rule.js";
import { parseSelector, selectValues, type Selector } from "./select.js";

/**
 * The sketch (DDSketch's mapping, fixed and independent of the data, so merging is adding counts):
 * with γ = (1 + α)/(1 − α), α = 1%, a value x with SKETCH_MIN <= |x| lands in bucket
 * i = ⌈log_γ |x|⌉, i.e. γ^(i−1) < |x| <= γ^i, a range whose midpoint is within 1% of every
 * value in it. |x| < SKETCH_MIN counts as 0; |x| > SKETCH_MAX goes into the outermost bucket.
 * Bucket keys are integers ordered like the values they hold: 0 for zero, ±(i − I_MIN + 1) by sign.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
export const SKETCH_MIN = 1e-9;
export const SKETCH_MAX = 1e12;
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
const I_MIN = Math.ceil(Math.log(SKETCH_MIN) / LOG_GAMMA);
const I_MAX = Math.ceil(Math.log(SKETCH_MAX) / LOG_GAMMA);
/** Buckets one sketch can hold at most (both signs and zero): its size bound. */
export const SKETCH_MAX_BUCKETS = 2 * (I_MAX - I_MIN + 1) + 1;

/** PSI bins: deciles of production. */
export const PSI_BINS = 10;
/** Proportions below this count as this in PSI, so an empty candidate bin gives a large finite term. */
export const PSI_EPSILON = 1e-4;

export function sketchKey(x: number): number {
  const m = Math.abs(x);
  if (m < SKETCH_MIN) return 0;
  const i = m >= SKETCH_MAX ? I_MAX : Math.min(I_MAX, Math.max(I_MIN, Math.ceil(Math.log(m) / LOG_GAMMA)));
  const k = i - I_MIN + 1;
  return x < 0 ? -k : k;
}

export interface SketchState {
  /** Numbers seen (see `isNumber`). */
  count: number;
  /** Values at the path that were not numbers; not in the distribution. */
  ignored: number;
  sum: ExactSum;
  /** Bucket key (an integer, as text) → count. */
  buckets: Record<string, number>;
}

export interface DriftState {
  readonly kind: "drift";
  production: SketchState;
  candidate: SketchState;
}

export interface DriftSide {
  readonly count: number;
  /** Exact mean of the values; null when there are none. */
  readonly mean: number | null;
  readonly ignored: number;
}

export interface DriftResult {
  readonly kind: "drift";
  readonly path: string;
  readonly production: DriftSide;
  readonly candidate: DriftSide;
  /** Null unless both sides have values. */
  readonly psi: number | null;
  readonly ks: number | null;
  /** PSI bins used: production's deciles (fewer when one bucket holds over a tenth) plus outer bins holding candidate values. */
  readonly psiBins: number;
}

function createSketch(): SketchState {
  return { count: 0, ignored: 0, sum: [], buckets: {} };
}

function addValue(sketch: SketchState, value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) addValue(sketch, item);
    return;
  }
  if (!isNumber(value)) {
    sketch.ignored++;
    return;
  }
  sketch.count++;
  addExact(sketch.sum, value);
  bump(sketch.buckets, String(sketchKey(value)), 1);
}

function mergeSketch(into: SketchState, from: SketchState): void {
  into.count += from.count;
  into.ignored += from.ignored;
  addExactAll(into.sum, from.sum);
  for (const key in from.buckets) bump(into.buckets, key, own(from.buckets, key) ?? 0);
}

/**
 * KS: the largest |F_production − F_candidate| over the bucket edges, from integer counts
 * (|cp·nc − cc·np| / (np·nc), one rounding while np·nc < 2^53). Exact at every edge, so it never
 * overstates the true statistic and understates it by at most the largest share of either side in
 * one bucket (values within 2% of each other, or all beyond SKETCH_MAX, or all near 0).
 *
 * PSI = Σ (c − p)·ln(c / p) over bins that are production's deciles rounded to bucket edges: a bin
 * closes at the first bucket where production's cumulative share reaches the next tenth, so a
 * bucket holding more than a tenth makes fewer bins. Candidate values below / above every
 * production bucket get a bin of their own each (production share 0), so a candidate that moved
 * entirely away from production shows even when production is a single value. Shares below
 * PSI_EPSILON count as PSI_EPSILON. Against PSI on exact deciles the only difference is that
 * bin edges move to the nearest bucket edge, i.e. by at most 2% of the value. `psiBins` counts the
 * decile bins plus the outer bins that hold candidate values.
 */
export function driftStatistics(production: SketchState, candidate: SketchState): { psi: number | null; ks: number | null; psiBins: number } {
  const np = production.count;
  const nc = candidate.count;
  if (np === 0 || nc === 0) return { psi: null, ks: null, psiBins: 0 };
  const keys = new Set<number>();
  for (const k in production.buckets) keys.add(Number(k));
  for (const k in candidate.buckets) keys.add(Number(k));
  const sorted = [...keys].sort((a, b) => a - b);

  let gap = 0;
  let cp = 0;
  let cc = 0;
  let below = 0;
  let above = 0;
  const binP: number[] = [];
  const binC: number[] = [];
  let open = false;
  let threshold = 1;
  for (const key of sorted) {
    const p = own(production.buckets, String(key)) ?? 0;
    const c = own(candidate.buckets, String(key)) ?? 0;
    cp += p;
    cc += c;
    gap = Math.max(gap, Math.abs(cp * nc - cc * np));
    if (p === 0 && cp === 0) below += c;
    else if (p === 0 && cp === np) above += c;
    else {
      if (!open) {
        binP.push(0);
        binC.push(0);
        open = true;
      }
      const last = binP.length - 1;
      binP[last] = (binP[last] ?? 0) + p;
      binC[last] = (binC[last] ?? 0) + c;
      // Integer comparison, so the bin edges are exact: cp/np >= threshold/PSI_BINS.
      if (cp * PSI_BINS >= threshold * np) {
        while (cp * PSI_BINS >= threshold * np) threshold++;
        open = false;
      }
    }
  }
  const term = (pCount: number, cCount: number): number => {
    const p = Math.max(pCount / np, PSI_EPSILON);
    const c = Math.max(cCount / nc, PSI_EPSILON);
    return (c - p) * Math.log(c / p);
  };
  let psi = below > 0 ? term(0, below) : 0;
  for (let b = 0; b < binP.length; b++) psi += term(binP[b] ?? 0, binC[b] ?? 0);
  if (above > 0) psi += term(0, above);
  return { psi, ks: gap / (np * nc), psiBins: binP.length + (below > 0 ? 1 : 0) + (above > 0 ? 1 : 0) };
}

function side(sketch: SketchState): DriftSide {
  return { count: sketch.count, mean: sketch.count > 0 ? exactTotal(sketch.sum) / sketch.count : null, ignored: sketch.ignored };
}

export class DriftComparison implements Comparison<DriftState, DriftResult> {
  readonly rule: DriftRule;
  readonly #selector: Selector;
  readonly #found: unknown[] = [];

  /** `rule` must be valid (see `validateComparisonRule`). */
  constructor(rule: DriftRule) {
    const parsed = parseSelector(rule.path);
    if (!parsed.ok) throw new Error(parsed.message);
    this.rule = rule;
    this.#selector = parsed.selector;
  }

  createState(): DriftState {
    return { kind: "drift", production: createSketch(), candidate: createSketch() };
  }

  observe(state: DriftState, production: unknown, candidate: unknown): readonly MlDiffKind[] {
    const found = this.#found;
    for (const value of selectValues(production, this.#selector, found)) addValue(state.production, value);
    found.length = 0;
    for (const value of selectValues(candidate, this.#selector, found)) addValue(state.candidate, value);
    found.length = 0;
    return NO_DIFFERENCES;
  }

  merge(into: DriftState, from: DriftState): void {
    expectKind(from, "drift");
    mergeSketch(into.production, from.production);
    mergeSketch(into.candidate, from.candidate);
  }

  finalise(state: DriftState): DriftResult {
    return { kind: "drift", path: this.rule.path, production: side(state.production), candidate: side(state.candidate), ...driftStatistics(state.production, state.candidate) };
  }
}

const MAX_BUCKET_KEY = (SKETCH_MAX_BUCKETS - 1) / 2;

/** A bucket key as `sketchKey` writes it: a canonical integer within the sketch's range. */
function isBucketKey(key: string): boolean {
  const k = Number(key);
  return Number.isInteger(k) && Math.abs(k) <= MAX_BUCKET_KEY && String(k) === key;
}

function isValidSketch(value: unknown): value is SketchState {
  if (!isPlainRecord(value) || !allCounts(value, ["count", "ignored"]) || !isExactSum(value.sum)) return false;
  return countRecordTotal(value.buckets, SKETCH_MAX_BUCKETS, isBucketKey) === value.count;
}

/** Whether `state` (untrusted JSON) is a drift state `merge` can take: two sketches whose buckets add up to their counts. */
export function isValidDriftState(state: unknown): state is DriftState {
  return isPlainRecord(state) && state.kind === "drift" && isValidSketch(state.production) && isValidSketch(state.candidate);
}
