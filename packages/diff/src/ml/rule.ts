// ML comparison rules as the scenario states them, their defaults, and the accumulator contract.

import type { Issue, MlDiffKind } from "@parallax/protocol";
import type { Tolerance } from "../tolerance.js";
import { parseSelector } from "./select.js";

export type ComparisonKind = "label" | "scores" | "tensor" | "drift";
export const COMPARISON_KINDS: readonly ComparisonKind[] = Object.freeze(["label", "scores", "tensor", "drift"]);

/** Classification labels at `path` (use `[*]` for one label per prediction), paired by position. */
export interface LabelRule {
  readonly kind: "label";
  readonly path: string;
  /** Distinct labels per side kept in the confusion matrix; the rest count under `"(other)"`. */
  readonly maxLabels?: number;
}

/** A number or an array of numbers at `path` per prediction, paired by position. */
export interface ScoresRule {
  readonly kind: "scores";
  readonly path: string;
  /** Top-k overlap of each pair of arrays. */
  readonly topK?: number;
  /** An array is out of tolerance when any element is not `isClose` (see `TensorRule.tolerance`). */
  readonly tolerance?: ToleranceOption;
}

/** KServe v2 `outputs` (the array, or each output object) at `path`, matched by name. */
export interface TensorRule {
  readonly kind: "tensor";
  readonly path: string;
  /** An element matches when |candidate − production| <= absolute + relative·|production|. */
  readonly tolerance?: ToleranceOption;
}

/** The distribution of the numbers at `path` (arrays are flattened), production versus candidate. */
export interface DriftRule {
  readonly kind: "drift";
  readonly path: string;
}

export type ComparisonRule = LabelRule | ScoresRule | TensorRule | DriftRule;

/** A number means `{ absolute: n, relative: 0 }`; a missing part is 0. */
export type ToleranceOption = number | { readonly absolute?: number; readonly relative?: number };

export const ML_DEFAULTS = Object.freeze({
  maxLabels: 100,
  topK: 1,
  tolerance: Object.freeze({ absolute: 0, relative: 0 }) as Tolerance,
});

/** `maxLabels` ceiling: the matrix holds at most (maxLabels + 1)² cells. */
export const MAX_LABELS_LIMIT = 1000;

/**
 * What one pair showed, for turning into diff signatures: `*-count` when the two sides have a
 * different number of values at the path, `scores-shape` when a pair of values cannot be compared
 * elementwise, `tensor-shape` / `tensor-dtype` / `tensor-value` per output, `tensor-missing` /
 * `tensor-extra` for outputs only production / only the candidate has. Drift has none per pair.
 */
export { ML_DIFF_KINDS, type MlDiffKind } from "@parallax/protocol";

export const NO_DIFFERENCES: readonly MlDiffKind[] = Object.freeze([]);

/** Adds `kind` once to the pair's list, allocating only when there is something to say. */
export function note(kinds: MlDiffKind[] | undefined, kind: MlDiffKind): MlDiffKind[] {
  if (kinds === undefined) return [kind];
  if (!kinds.includes(kind)) kinds.push(kind);
  return kinds;
}

/**
 * One rule compiled: the accumulator's operations. States are plain JSON (numbers, strings,
 * arrays, objects; every number finite), bounded in size, and merge exactly: merging states
 * built from any split of the observations, in any order, finalises to the same result as one
 * state that saw them all. One instance serves one caller at a time (it keeps scratch arrays).
 */
export interface Comparison<S, R> {
  readonly rule: ComparisonRule;
  createState(): S;
  /** Adds one pair of parsed JSON bodies; returns the kinds of difference this pair showed. */
  observe(state: S, production: unknown, candidate: unknown): readonly MlDiffKind[];
  /**
   * Adds `from` into `into`; `from` is unchanged and shares nothing mutable with `into` afterwards.
   * `from` is trusted: a state decoded from the wire must pass `isValidState` first.
   */
  merge(into: S, from: S): void;
  finalise(state: S): R;
}

export function resolveTolerance(tolerance: ToleranceOption | undefined): Tolerance {
  if (tolerance === undefined) return ML_DEFAULTS.tolerance;
  if (typeof tolerance === "number") return { absolute: tolerance, relative: 0 };
  return { absolute: tolerance.absolute ?? 0, relative: tolerance.relative ?? 0 };
}

/** Throws unless `state` is of `kind`: merging states of different rules is a bug. */
export function expectKind(state: { readonly kind: string }, kind: ComparisonKind): void {
  if (state.kind !== kind) throw new Error(`cannot merge a ${state.kind} state into a ${kind} comparison`);
}

// --- validation helpers, shared by the kinds -------------------------------------------------

export type Field = (name: string) => string;

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

export function isPlainRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function checkInteger(value: unknown, name: string, min: number, max: number, issues: Issue[]): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    issues.push({ location: name, message: `${name} must be an integer from ${min} to ${max} (got ${describe(value)})` });
  }
}

function nonNegative(value: unknown, name: string, issues: Issue[]): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    issues.push({ location: name, message: `${name} must be a finite number >= 0 (got ${describe(value)})` });
  }
}

export function checkTolerance(value: unknown, name: string, issues: Issue[]): void {
  if (value === undefined) return;
  if (typeof value === "number") {
    nonNegative(value, name, issues);
    return;
  }
  if (!isPlainRecord(value)) {
    issues.push({ location: name, message: `${name} must be a number or { absolute, relative } (got ${describe(value)})` });
    return;
  }
  for (const key of Object.keys(value)) {
    if (key !== "absolute" && key !== "relative") issues.push({ location: `${name}.${key}`, message: `${name}: unknown key ${JSON.stringify(key)} (allowed: absolute, relative)` });
  }
  if (value.absolute === undefined && value.relative === undefined) {
    issues.push({ location: name, message: `${name} must set absolute, relative or both` });
  }
  if (value.absolute !== undefined) nonNegative(value.absolute, `${name}.absolute`, issues);
  if (value.relative !== undefined) nonNegative(value.relative, `${name}.relative`, issues);
}

export function checkPath(value: unknown, name: string, issues: Issue[]): void {
  if (typeof value !== "string") {
    issues.push({ location: name, message: `${name} must be a JSONPath string such as "$.predictions[*].label" (got ${describe(value)})` });
    return;
  }
  const parsed = parseSelector(value);
  if (!parsed.ok) issues.push({ location: name, message: `${name}: ${parsed.message}` });
}
