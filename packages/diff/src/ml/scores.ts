// Score vectors: max and mean absolute difference, top-k overlap and tolerance, as a mergeable accumulator.

import type { Issue } from "@parallax/protocol";
import type { Tolerance } from "../tolerance.js";
import { allCounts, isExactSum, isMagnitude } from "./check.js";
import { addExact, addExactAll, exactTotal, isClose, isNumber, type ExactSum } from "./numeric.js";
import { checkInteger, checkTolerance, type Comparison, expectKind, type Field, ML_DEFAULTS, type MlDiffKind, NO_DIFFERENCES, note, resolveTolerance, type ScoresRule, isPlainRecord } from "./rule.js";
import { parseSelector, selectValues, type Selector } from "./select.js";

/** `topK` ceiling; beyond a few hundred the overlap says little a distance does not. */
export const MAX_TOP_K = 10000;

export interface ScoresState {
  readonly kind: "scores";
  /** Pairs of values (number↔number or array↔array of the same length) compared elementwise. */
  compared: number;
  /** Element pairs compared. */
  elements: number;
  /** Σ |candidate − production| over the elements, exact (see `ExactSum`). */
  absDiffSum: ExactSum;
  maxAbsDiff: number;
  /** Compared pairs with at least one element out of tolerance. */
  outOfTolerance: number;
  /** Σ |top-k(production) ∩ top-k(candidate)| and Σ min(k, length) over the compared arrays. */
  topKHits: number;
  topKSlots: number;
  /** Pairs of bodies with a different number of values at the path. */
  lengthMismatches: number;
  /** Value pairs that cannot be compared: not both numbers or numeric arrays, or arrays of different lengths. */
  incomparable: number;
}

export interface ScoresResult {
  readonly kind: "scores";
  readonly path: string;
  readonly compared: number;
  /** Null when no element was compared. */
  readonly maxAbsDiff: number | null;
  readonly meanAbsDiff: number | null;
  readonly topK: number;
  /**
   * Σ overlaps / Σ min(k, length) over compared arrays (numbers alone have no top-k): the mean
   * per-array overlap fraction whenever every array has at least k elements. Null without arrays.
   */
  readonly topKOverlap: number | null;
  readonly outOfTolerance: number;
  readonly lengthMismatches: number;
  readonly incomparable: number;
}

function numericArray(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (const x of value as unknown[]) if (!isNumber(x)) return false;
  return true;
}

/**
 * Indices of the `k` largest values into `out`, largest first; equal values rank by lower index,
 * so the choice among ties is deterministic. O(n·k) by insertion for small k, a sort otherwise.
 */
export function topIndices(values: readonly number[], k: number, out: number[]): number[] {
  out.length = 0;
  if (k > 32) {
    for (let i = 0; i < values.length; i++) out.push(i);
    out.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
    out.length = Math.min(k, values.length);
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let j: number;
    if (out.length < k) {
      j = out.length;
      out.push(i);
    } else {
      if (!(v > (values[out[k - 1] as number] as number))) continue;
      j = k - 1;
    }
    while (j > 0 && (values[out[j - 1] as number] as number) < v) {
      out[j] = out[j - 1] as number;
      j--;
    }
    out[j] = i;
  }
  return out;
}

function overlap(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  if (a.length <= 32) {
    for (const x of a) if (b.includes(x)) n++;
    return n;
  }
  const set = new Set(b);
  for (const x of a) if (set.has(x)) n++;
  return n;
}

export class ScoresComparison implements Comparison<ScoresState, ScoresResult> {
  readonly rule: ScoresRule;
  readonly #selector: Selector;
  readonly #topK: number;
  readonly #tolerance: Tolerance;
  readonly #production: unknown[] = [];
  readonly #candidate: unknown[] = [];
  readonly #topProduction: number[] = [];
  readonly #topCandidate: number[] = [];

  /** `rule` must be valid (see `validateComparisonRule`). */
  constructor(rule: ScoresRule) {
    const parsed = parseSelector(rule.path);
    if (!parsed.ok) throw new Error(parsed.message);
    this.rule = rule;
    this.#selector = parsed.selector;
    this.#topK = rule.topK ?? ML_DEFAULTS.topK;
    this.#tolerance = resolveTolerance(rule.tolerance);
  }

  createState(): ScoresState {
    return { kind: "scores", compared: 0, elements: 0, absDiffSum: [], maxAbsDiff: 0, outOfTolerance: 0, topKHits: 0, topKSlots: 0, lengthMismatches: 0, incomparable: 0 };
  }

  observe(state: ScoresState, production: unknown, candidate: unknown): readonly MlDiffKind[] {
    const ps = selectValues(production, this.#selector, this.#production);
    const cs = selectValues(candidate, this.#selector, this.#candidate);
    let kinds: MlDiffKind[] | undefined;
    if (ps.length !== cs.length) {
      state.lengthMismatches++;
      kinds = note(kinds, "scores-count");
    }
    const n = Math.min(ps.length, cs.length);
    for (let i = 0; i < n; i++) {
      const p = ps[i];
      const c = cs[i];
      let out: boolean;
      if (isNumber(p) && isNumber(c)) out = this.#element(state, p, c);
      else if (numericArray(p) && numericArray(c) && p.length === c.length) {
        out = false;
        for (let j = 0; j < p.length; j++) if (this.#element(state, p[j] as number, c[j] as number)) out = true;
        if (p.length > 0) {
          state.topKHits += overlap(topIndices(p, this.#topK, this.#topProduction), topIndices(c, this.#topK, this.#topCandidate));
          state.topKSlots += Math.min(this.#topK, p.length);
        }
      } else {
        state.incomparable++;
        kinds = note(kinds, "scores-shape");
        continue;
      }
      state.compared++;
      if (out) {
        state.outOfTolerance++;
        kinds = note(kinds, "scores");
      }
    }
    ps.length = 0;
    cs.length = 0;
    return kinds ?? NO_DIFFERENCES;
  }

  /** Counts one element pair; true when it is out of tolerance. */
  #element(state: ScoresState, p: number, c: number): boolean {
    const d = Math.abs(c - p);
    state.elements++;
    addExact(state.absDiffSum, d);
    if (d > state.maxAbsDiff) state.maxAbsDiff = d;
    return !isClose(p, c, this.#tolerance);
  }

  merge(into: ScoresState, from: ScoresState): void {
    expectKind(from, "scores");
    into.compared += from.compared;
    into.elements += from.elements;
    addExactAll(into.absDiffSum, from.absDiffSum);
    into.maxAbsDiff = Math.max(into.maxAbsDiff, from.maxAbsDiff);
    into.outOfTolerance += from.outOfTolerance;
    into.topKHits += from.topKHits;
    into.topKSlots += from.topKSlots;
    into.lengthMismatches += from.lengthMismatches;
    into.incomparable += from.incomparable;
  }

  finalise(state: ScoresState): ScoresResult {
    const any = state.elements > 0;
    return {
      kind: "scores",
      path: this.rule.path,
      compared: state.compared,
      maxAbsDiff: any ? state.maxAbsDiff : null,
      meanAbsDiff: any ? exactTotal(state.absDiffSum) / state.elements : null,
      topK: this.#topK,
      topKOverlap: state.topKSlots > 0 ? state.topKHits / state.topKSlots : null,
      outOfTolerance: state.outOfTolerance,
      lengthMismatches: state.lengthMismatches,
      incomparable: state.incomparable,
    };
  }
}

export function validateScoresOptions(rule: Readonly<Record<string, unknown>>, field: Field, issues: Issue[]): void {
  checkInteger(rule.topK, field("topK"), 1, MAX_TOP_K, issues);
  checkTolerance(rule.tolerance, field("tolerance"), issues);
}

/** Whether `state` (untrusted JSON) is a scores state `merge` can take: counts, an exact sum, a bounded maximum. */
export function isValidScoresState(state: unknown): state is ScoresState {
  if (!isPlainRecord(state) || state.kind !== "scores") return false;
  if (!allCounts(state, ["compared", "elements", "outOfTolerance", "topKHits", "topKSlots", "lengthMismatches", "incomparable"])) return false;
  if ((state.outOfTolerance as number) > (state.compared as number) || (state.topKHits as number) > (state.topKSlots as number)) return false;
  return isExactSum(state.absDiffSum) && isMagnitude(state.maxAbsDiff);
}
