// KServe v2 output tensors: shape, datatype and elementwise tolerance per output, as a mergeable accumulator.

import type { Issue } from "@parallax/protocol";
import type { Tolerance } from "../tolerance.js";
import { allCounts, isMagnitude } from "./check.js";
import { isClose, isNumber } from "./numeric.js";
import { checkTolerance, type Comparison, expectKind, type Field, type MlDiffKind, NO_DIFFERENCES, note, resolveTolerance, type TensorRule, isPlainRecord } from "./rule.js";
import { parseSelector, selectValues, type Selector } from "./select.js";

export interface TensorState {
  readonly kind: "tensor";
  /** Outputs present on both sides (matched by name). */
  compared: number;
  /** Of those: declared shape or element count differs (elements are then not compared). */
  shapeMismatches: number;
  /** Of those: datatype differs (elements are still compared when the shapes match). */
  dtypeMismatches: number;
  /** Outputs only production has / only the candidate has. */
  missingOutputs: number;
  extraOutputs: number;
  /** Items at the path that are not an object with a string `name`; ignored otherwise. */
  malformedOutputs: number;
  /** Compared outputs with at least one element out of tolerance. */
  valueMismatches: number;
  elementsCompared: number;
  elementsMismatched: number;
  /** Over element pairs that are both numbers. */
  maxAbsDiff: number;
}

export interface TensorResult {
  readonly kind: "tensor";
  readonly path: string;
  readonly compared: number;
  readonly shapeMismatches: number;
  readonly dtypeMismatches: number;
  readonly missingOutputs: number;
  readonly extraOutputs: number;
  readonly malformedOutputs: number;
  readonly valueMismatches: number;
  readonly elementsCompared: number;
  readonly elementsMismatched: number;
  /** Null when no element was compared. */
  readonly maxAbsDiff: number | null;
}

interface Output {
  readonly name: string;
  readonly shape: unknown;
  readonly datatype: unknown;
  readonly data: unknown;
}

function isOutput(value: unknown): value is Output {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { name?: unknown }).name === "string";
}

/** Declared shapes are equal when both are missing or both list the same numbers. */
function sameShape(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** KServe v2 allows `data` flat or nested (row-major); both become one flat list. */
function flatten(data: unknown, out: unknown[]): unknown[] {
  if (Array.isArray(data)) for (const item of data as unknown[]) flatten(item, out);
  else if (data !== undefined) out.push(data);
  return out;
}

/**
 * Outputs are matched by `name` (the first of a repeated name counts, later ones are ignored).
 * For each matched pair the shape decides first: a different declared `shape`, or a different
 * number of `data` elements, is a shape mismatch and the elements are not compared. A different
 * `datatype` is counted on its own (FP32 → FP16 is worth knowing even when values agree) and
 * does not stop the elementwise comparison. Numbers match when `isClose` (numpy's rule with
 * production as the reference); anything else (BYTES strings, BOOL) must be equal.
 */
export class TensorComparison implements Comparison<TensorState, TensorResult> {
  readonly rule: TensorRule;
  readonly #selector: Selector;
  readonly #tolerance: Tolerance;
  readonly #found: unknown[] = [];
  readonly #production: Output[] = [];
  readonly #candidate: Output[] = [];
  readonly #dataP: unknown[] = [];
  readonly #dataC: unknown[] = [];

  /** `rule` must be valid (see `validateComparisonRule`). */
  constructor(rule: TensorRule) {
    const parsed = parseSelector(rule.path);
    if (!parsed.ok) throw new Error(parsed.message);
    this.rule = rule;
    this.#selector = parsed.selector;
    this.#tolerance = resolveTolerance(rule.tolerance);
  }

  createState(): TensorState {
    return {
      kind: "tensor",
      compared: 0,
      shapeMismatches: 0,
      dtypeMismatches: 0,
      missingOutputs: 0,
      extraOutputs: 0,
      malformedOutputs: 0,
      valueMismatches: 0,
      elementsCompared: 0,
      elementsMismatched: 0,
      maxAbsDiff: 0,
    };
  }

  observe(state: TensorState, production: unknown, candidate: unknown): readonly MlDiffKind[] {
    const ps = this.#outputs(state, production, this.#production);
    const cs = this.#outputs(state, candidate, this.#candidate);
    let kinds: MlDiffKind[] | undefined;
    for (const p of ps) {
      const c = cs.find((o) => o.name === p.name);
      if (c === undefined) {
        state.missingOutputs++;
        kinds = note(kinds, "tensor-missing");
        continue;
      }
      state.compared++;
      if (p.datatype !== c.datatype) {
        state.dtypeMismatches++;
        kinds = note(kinds, "tensor-dtype");
      }
      const dp = flatten(p.data, this.#dataP);
      const dc = flatten(c.data, this.#dataC);
      if (!sameShape(p.shape, c.shape) || dp.length !== dc.length) {
        state.shapeMismatches++;
        kinds = note(kinds, "tensor-shape");
      } else if (this.#elements(state, dp, dc)) {
        state.valueMismatches++;
        kinds = note(kinds, "tensor-value");
      }
      dp.length = 0;
      dc.length = 0;
    }
    for (const c of cs) {
      if (!ps.some((o) => o.name === c.name)) {
        state.extraOutputs++;
        kinds = note(kinds, "tensor-extra");
      }
    }
    ps.length = 0;
    cs.length = 0;
    return kinds ?? NO_DIFFERENCES;
  }

  /** The distinct-by-name outputs at the path: an array of outputs is taken item by item. */
  #outputs(state: TensorState, body: unknown, out: Output[]): Output[] {
    const found = selectValues(body, this.#selector, this.#found);
    for (const value of found) {
      const items: readonly unknown[] = Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (!isOutput(item)) state.malformedOutputs++;
        else if (!out.some((o) => o.name === item.name)) out.push(item);
      }
    }
    found.length = 0;
    return out;
  }

  /** Compares equal-length element lists; true when any element is out of tolerance. */
  #elements(state: TensorState, p: readonly unknown[], c: readonly unknown[]): boolean {
    let mismatched = 0;
    for (let i = 0; i < p.length; i++) {
      const a = p[i];
      const b = c[i];
      if (isNumber(a) && isNumber(b)) {
        const d = Math.abs(b - a);
        if (d > state.maxAbsDiff) state.maxAbsDiff = d;
        if (!isClose(a, b, this.#tolerance)) mismatched++;
      } else if (a !== b) mismatched++;
    }
    state.elementsCompared += p.length;
    state.elementsMismatched += mismatched;
    return mismatched > 0;
  }

  merge(into: TensorState, from: TensorState): void {
    expectKind(from, "tensor");
    into.compared += from.compared;
    into.shapeMismatches += from.shapeMismatches;
    into.dtypeMismatches += from.dtypeMismatches;
    into.missingOutputs += from.missingOutputs;
    into.extraOutputs += from.extraOutputs;
    into.malformedOutputs += from.malformedOutputs;
    into.valueMismatches += from.valueMismatches;
    into.elementsCompared += from.elementsCompared;
    into.elementsMismatched += from.elementsMismatched;
    into.maxAbsDiff = Math.max(into.maxAbsDiff, from.maxAbsDiff);
  }

  finalise(state: TensorState): TensorResult {
    const { kind, maxAbsDiff, ...counts } = state;
    return { kind, path: this.rule.path, ...counts, maxAbsDiff: state.elementsCompared > 0 ? maxAbsDiff : null };
  }
}

export function validateTensorOptions(rule: Readonly<Record<string, unknown>>, field: Field, issues: Issue[]): void {
  checkTolerance(rule.tolerance, field("tolerance"), issues);
}

const TENSOR_COUNTS = ["compared", "shapeMismatches", "dtypeMismatches", "missingOutputs", "extraOutputs", "malformedOutputs", "valueMismatches", "elementsCompared", "elementsMismatched"];

/** Whether `state` (untrusted JSON) is a tensor state `merge` can take: counts that fit together and a bounded maximum. */
export function isValidTensorState(state: unknown): state is TensorState {
  if (!isPlainRecord(state) || state.kind !== "tensor" || !allCounts(state, TENSOR_COUNTS)) return false;
  const s = state as unknown as TensorState;
  return s.shapeMismatches + s.valueMismatches <= s.compared && s.dtypeMismatches <= s.compared && s.elementsMismatched <= s.elementsCompared && isMagnitude(state.maxAbsDiff);
}
