// KServe v2 output tensors: shape, datatype and elementwise tolerance per output, as a mergeable accumulator.

import type { Issue } from "@parallax/protocol";
import type { Tolerance } from "../tolerance.js";
import type { PatternStep } from "../ignore.js";
import { allCounts, isMagnitude } from "./check.js";
import { isClose, isNumber } from "./numeric.js";
import { readContents, readRaw } from "./raw-tensor.js";
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
  /**
   * Items at the path that are not an object with a string `name`, and matched outputs whose
   * elements cannot be decoded (typed `contents` or `rawOutputContents`); ignored otherwise.
   */
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
  /** REST. */
  readonly data?: unknown;
  /** gRPC (proto3 JSON of `InferTensorContents`). */
  readonly contents?: unknown;
}

function isOutput(value: unknown): value is Output {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { name?: unknown }).name === "string";
}

/** The field of a gRPC `ModelInferResponse` (proto3 JSON) holding raw output bytes, parallel to `outputs`. */
export const RAW_OUTPUT_CONTENTS = "rawOutputContents";

/**
 * Where the outputs of a path sit, when the path names them as a field of an object: `holder`
 * selects the objects, `key` is the field, `tail` the optional `[*]` / `[n]` after it. That
 * object is where gRPC keeps `rawOutputContents`, beside `outputs`.
 */
interface OutputsField {
  readonly holder: Selector;
  readonly key: string;
  readonly tail: PatternStep | undefined;
}

/** `P.key`, `P.key[*]` or `P.key[n]` (not `..key`, which has no one holder); undefined otherwise. */
function outputsField(selector: Selector): OutputsField | undefined {
  let end = selector.length;
  const last = selector[end - 1];
  const tail = last !== undefined && last.kind !== "key" && !last.descendant ? last : undefined;
  if (tail !== undefined) end--;
  const field = selector[end - 1];
  if (field === undefined || field.kind !== "key" || field.descendant) return undefined;
  return { holder: selector.slice(0, end - 1), key: field.key, tail };
}

/**
 * The path a tensor rule at `selector` also takes from the structural diff: the raw contents
 * beside its outputs (`$.outputs` → `$.rawOutputContents`, `$.r[*].outputs[*]` →
 * `$.r[*].rawOutputContents[*]`). Undefined when the path does not end in a field.
 */
export function rawContentsPath(selector: Selector): string | undefined {
  const at = outputsField(selector);
  if (at === undefined) return undefined;
  const steps: PatternStep[] = [...at.holder, { kind: "key", key: RAW_OUTPUT_CONTENTS, descendant: false }];
  if (at.tail !== undefined) steps.push(at.tail);
  return formatSteps(steps);
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The text `parseIgnorePattern` reads back as `steps`. */
function formatSteps(steps: readonly PatternStep[]): string {
  let text = "$";
  for (const step of steps) {
    if (step.kind === "key") {
      if (PLAIN_KEY.test(step.key)) text += `${step.descendant ? ".." : "."}${step.key}`;
      else text += `${step.descendant ? ".." : ""}['${step.key.replace(/[\\']/g, "\\$&")}']`;
    } else text += `${step.descendant ? ".." : ""}${step.kind === "index" ? `[${step.index}]` : "[*]"}`;
  }
  return text;
}

/** Declared shapes are equal when both are missing or both list the same dimensions. */
function sameShape(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameDimension(a[i], b[i])) return false;
  return true;
}

const DIMENSION = /^-?\d+$/;

/** proto3 JSON writes int64 dimensions as decimal strings: `"3"` is the dimension 3. */
function sameDimension(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "string" && typeof b === "number") return DIMENSION.test(a) && Number(a) === b;
  if (typeof a === "number" && typeof b === "string") return DIMENSION.test(b) && Number(b) === a;
  return false;
}

/** KServe v2 allows `data` flat or nested (row-major); both become one flat list. */
function flatten(data: unknown, out: unknown[]): unknown[] {
  if (Array.isArray(data)) for (const item of data as unknown[]) flatten(item, out);
  else if (data !== undefined) out.push(data);
  return out;
}

/**
 * The outputs of one body, distinct by name, each with its `rawOutputContents` entry: undefined
 * when the body has no raw contents for it, null when it has raw contents but not this entry.
 * Parallel lists, reused from pair to pair.
 */
class Outputs {
  readonly items: Output[] = [];
  readonly raw: unknown[] = [];

  indexOf(name: string): number {
    const items = this.items;
    for (let i = 0; i < items.length; i++) if ((items[i] as Output).name === name) return i;
    return -1;
  }

  clear(): void {
    this.items.length = 0;
    this.raw.length = 0;
  }
}

/** Entry `i` of a holder's raw contents (see `Outputs.raw`). */
function rawEntry(raw: readonly unknown[] | undefined, i: number): unknown {
  return raw === undefined ? undefined : (raw[i] ?? null);
}

/**
 * Outputs are matched by `name` (the first of a repeated name counts, later ones are ignored).
 * An output's elements are its `data` (REST, flat or nested); else the non-empty list of its
 * `contents` (gRPC, see `readContents`); else, when the object holding the outputs field has
 * a non-empty `rawOutputContents`, entry i of it for output i, decoded by `datatype` (see
 * `readRaw`). Elements are decoded only for outputs present on both sides; an output whose
 * elements cannot be decoded is malformed and counts as absent (the other side's is then
 * missing or extra).
 *
 * For each matched pair the shape decides first: a different declared `shape` (dimensions as
 * numbers or int64 strings), or a different number of elements, is a shape mismatch and the
 * elements are not compared. A different `datatype` is counted on its own (FP32 → FP16 is worth
 * knowing even when values agree) and does not stop the elementwise comparison. Numbers match
 * when `isClose` (numpy's rule with production as the reference), int64 beyond 2^53 too, exactly;
 * anything else (BYTES strings, BOOL, infinities) must be equal, NaN equal to NaN.
 */
export class TensorComparison implements Comparison<TensorState, TensorResult> {
  readonly rule: TensorRule;
  readonly #selector: Selector;
  readonly #field: OutputsField | undefined;
  readonly #tolerance: Tolerance;
  readonly #found: unknown[] = [];
  readonly #production = new Outputs();
  readonly #candidate = new Outputs();
  readonly #dataP: unknown[] = [];
  readonly #dataC: unknown[] = [];

  /** `rule` must be valid (see `validateComparisonRule`). */
  constructor(rule: TensorRule) {
    const parsed = parseSelector(rule.path);
    if (!parsed.ok) throw new Error(parsed.message);
    this.rule = rule;
    this.#selector = parsed.selector;
    this.#field = outputsField(parsed.selector);
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
    const dp = this.#dataP;
    const dc = this.#dataC;
    let kinds: MlDiffKind[] | undefined;
    for (let i = 0; i < ps.items.length; i++) {
      const p = ps.items[i] as Output;
      const j = cs.indexOf(p.name);
      if (j < 0) {
        state.missingOutputs++;
        kinds = note(kinds, "tensor-missing");
        continue;
      }
      const c = cs.items[j] as Output;
      const pOk = elements(p, ps.raw[i], dp);
      const cOk = elements(c, cs.raw[j], dc);
      if (!pOk || !cOk) {
        if (!pOk) state.malformedOutputs++;
        if (!cOk) state.malformedOutputs++;
        if (pOk) {
          state.missingOutputs++;
          kinds = note(kinds, "tensor-missing");
        } else if (cOk) {
          state.extraOutputs++;
          kinds = note(kinds, "tensor-extra");
        }
      } else {
        state.compared++;
        if (p.datatype !== c.datatype) {
          state.dtypeMismatches++;
          kinds = note(kinds, "tensor-dtype");
        }
        if (!sameShape(p.shape, c.shape) || dp.length !== dc.length) {
          state.shapeMismatches++;
          kinds = note(kinds, "tensor-shape");
        } else if (this.#elements(state, dp, dc)) {
          state.valueMismatches++;
          kinds = note(kinds, "tensor-value");
        }
      }
      dp.length = 0;
      dc.length = 0;
    }
    for (const c of cs.items) {
      if (ps.indexOf(c.name) < 0) {
        state.extraOutputs++;
        kinds = note(kinds, "tensor-extra");
      }
    }
    ps.clear();
    cs.clear();
    return kinds ?? NO_DIFFERENCES;
  }

  /** The distinct-by-name outputs at the path, in document order: an array of outputs is taken item by item. */
  #outputs(state: TensorState, body: unknown, out: Outputs): Outputs {
    const at = this.#field;
    if (at === undefined) {
      const found = selectValues(body, this.#selector, this.#found);
      for (const value of found) this.#addAll(state, out, value, undefined);
      found.length = 0;
      return out;
    }
    // The same values as the selector gives, but read from each holder, to pair them with its raw contents.
    const holders = selectValues(body, at.holder, this.#found);
    for (const holder of holders) {
      if (!isPlainRecord(holder) || !Object.hasOwn(holder, at.key)) continue;
      const value = holder[at.key];
      const rawList = holder[RAW_OUTPUT_CONTENTS];
      const raw = Array.isArray(rawList) && rawList.length > 0 ? (rawList as unknown[]) : undefined;
      const tail = at.tail;
      if (tail === undefined) this.#addAll(state, out, value, raw);
      else if (Array.isArray(value)) {
        const list = value as unknown[];
        if (tail.kind === "index") {
          if (tail.index < list.length) this.#addAll(state, out, list[tail.index], undefined, rawEntry(raw, tail.index));
        } else for (let i = 0; i < list.length; i++) this.#addAll(state, out, list[i], undefined, rawEntry(raw, i));
      } else if (tail.kind === "any" && isPlainRecord(value)) {
        for (const key in value) if (Object.hasOwn(value, key)) this.#addAll(state, out, value[key], undefined);
      }
    }
    holders.length = 0;
    return out;
  }

  /** One selected value: a list of outputs (paired with `raw` by index) or one output (with `entry`). */
  #addAll(state: TensorState, out: Outputs, value: unknown, raw: readonly unknown[] | undefined, entry?: unknown): void {
    if (!Array.isArray(value)) {
      this.#add(state, out, value, entry);
      return;
    }
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) this.#add(state, out, items[i], rawEntry(raw, i));
  }

  #add(state: TensorState, out: Outputs, item: unknown, entry: unknown): void {
    if (!isOutput(item)) state.malformedOutputs++;
    else if (out.indexOf(item.name) < 0) {
      out.items.push(item);
      out.raw.push(entry);
    }
  }

  /** Compares equal-length element lists; true when any element is out of tolerance. */
  #elements(state: TensorState, p: readonly unknown[], c: readonly unknown[]): boolean {
    const tolerance = this.#tolerance;
    let mismatched = 0;
    for (let i = 0; i < p.length; i++) {
      const a = p[i];
      const b = c[i];
      if (isNumber(a) && isNumber(b)) {
        const d = Math.abs(b - a);
        if (d > state.maxAbsDiff) state.maxAbsDiff = d;
        if (!isClose(a, b, tolerance)) mismatched++;
      } else if (typeof a === "bigint" || typeof b === "bigint") {
        // int64 beyond 2^53: the difference exactly, then rounded once.
        if (!isInteger(a) || !isInteger(b)) mismatched++;
        else {
          const d = Math.abs(Number(BigInt(b) - BigInt(a)));
          if (d > state.maxAbsDiff) state.maxAbsDiff = d;
          if (d > tolerance.absolute + tolerance.relative * Math.abs(Number(a))) mismatched++;
        }
      } else if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) mismatched++;
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

function isInteger(value: unknown): value is number | bigint {
  return typeof value === "bigint" || Number.isSafeInteger(value);
}

/** Appends the elements of `output` to `out` (see `TensorComparison`); false when they cannot be decoded. */
function elements(output: Output, raw: unknown, out: unknown[]): boolean {
  if (output.data !== undefined) {
    flatten(output.data, out);
    return true;
  }
  const typed = readContents(output.contents, out);
  if (typed !== "none") return typed === "read";
  return raw === undefined || readRaw(output.datatype, raw, out);
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
