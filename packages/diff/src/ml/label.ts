// Label agreement and the production × candidate confusion matrix, as a mergeable accumulator.

import type { Issue } from "@parallax/protocol";
import { allCounts, countRecordTotal } from "./check.js";
import { bump, child, own, sortedKeys } from "./record.js";
import { type Comparison, expectKind, type Field, type LabelRule, MAX_LABELS_LIMIT, ML_DEFAULTS, type MlDiffKind, NO_DIFFERENCES, note, checkInteger, isPlainRecord } from "./rule.js";
import { parseSelector, selectValues, type Selector } from "./select.js";

/** Where labels beyond `maxLabels` are counted. A real label spelled "(other)" counts there too. */
export const OTHER_LABEL = "(other)";

/** Longer labels are cut to this many UTF-16 units (ending in "…") as matrix keys; agreement uses the whole label. */
export const MAX_LABEL_LENGTH = 200;

export interface LabelState {
  readonly kind: "label";
  /** Label pairs (same position on both sides). */
  compared: number;
  agreed: number;
  /** Pairs of bodies with a different number of labels at the path. */
  lengthMismatches: number;
  /** Labels without a counterpart at the same position, both sides together. */
  unpaired: number;
  /** production label → candidate label → pairs. */
  confusion: Record<string, Record<string, number>>;
  /** Labels per side (the matrix's row and column sums); their keys are the labels kept. */
  production: Record<string, number>;
  candidate: Record<string, number>;
}

export interface LabelResult {
  readonly kind: "label";
  readonly path: string;
  readonly compared: number;
  /** agreed / compared; null when nothing was compared. */
  readonly agreement: number | null;
  readonly agreed: number;
  /** Rows and columns in code-unit order of the label, `"(other)"` last. */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly production: Readonly<Record<string, number>>;
  readonly candidate: Readonly<Record<string, number>>;
  readonly lengthMismatches: number;
  readonly unpaired: number;
}

/** Strings as they are, everything else as its JSON text: `"cat"` → `cat`, `3` → `3`, `true` → `true`. */
export function labelText(value: unknown): string {
  if (typeof value === "string") return value;
  const json = JSON.stringify(value) as string | undefined;
  return json ?? String(value);
}

function matrixKey(label: string): string {
  if (label.length <= MAX_LABEL_LENGTH) return label;
  let cut = MAX_LABEL_LENGTH - 1;
  const last = label.charCodeAt(cut - 1);
  // Do not leave half of a surrogate pair at the end.
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${label.slice(0, cut)}…`;
}

type Side = "production" | "candidate";

/**
 * The bound, and why it merges exactly: each side keeps the `maxLabels` smallest labels (in
 * code-unit order) of all it has seen and counts the rest under `"(other)"`. Which labels those
 * are depends only on the set of labels seen, not on the order they came in or how they were
 * split between agents: when a smaller label arrives at a full side, the largest kept one is
 * folded into `"(other)"` (its counts move, none are lost). So the matrix is always the full
 * matrix with the labels beyond the bound folded, whatever the history. Agreement is counted on
 * the whole labels and is never affected by the bound.
 */
export class LabelComparison implements Comparison<LabelState, LabelResult> {
  readonly rule: LabelRule;
  readonly #selector: Selector;
  readonly #maxLabels: number;
  readonly #production: unknown[] = [];
  readonly #candidate: unknown[] = [];

  /** `rule` must be valid (see `validateComparisonRule`). */
  constructor(rule: LabelRule) {
    const parsed = parseSelector(rule.path);
    if (!parsed.ok) throw new Error(parsed.message);
    this.rule = rule;
    this.#selector = parsed.selector;
    this.#maxLabels = rule.maxLabels ?? ML_DEFAULTS.maxLabels;
  }

  createState(): LabelState {
    return { kind: "label", compared: 0, agreed: 0, lengthMismatches: 0, unpaired: 0, confusion: {}, production: {}, candidate: {} };
  }

  observe(state: LabelState, production: unknown, candidate: unknown): readonly MlDiffKind[] {
    const ps = selectValues(production, this.#selector, this.#production);
    const cs = selectValues(candidate, this.#selector, this.#candidate);
    let kinds: MlDiffKind[] | undefined;
    if (ps.length !== cs.length) {
      state.lengthMismatches++;
      state.unpaired += Math.abs(ps.length - cs.length);
      kinds = note(kinds, "label-count");
    }
    const n = Math.min(ps.length, cs.length);
    for (let i = 0; i < n; i++) {
      const p = labelText(ps[i]);
      const c = labelText(cs[i]);
      state.compared++;
      if (p === c) state.agreed++;
      else kinds = note(kinds, "label");
      this.#count(state, p, c);
    }
    // Bodies must not outlive the pair through the scratch arrays.
    ps.length = 0;
    cs.length = 0;
    return kinds ?? NO_DIFFERENCES;
  }

  merge(into: LabelState, from: LabelState): void {
    expectKind(from, "label");
    into.compared += from.compared;
    into.agreed += from.agreed;
    into.lengthMismatches += from.lengthMismatches;
    into.unpaired += from.unpaired;
    for (const p in from.confusion) {
      const row = own(from.confusion, p) ?? {};
      const mine = child(into.confusion, p);
      for (const c in row) bump(mine, c, own(row, c) ?? 0);
    }
    for (const p in from.production) bump(into.production, p, own(from.production, p) ?? 0);
    for (const c in from.candidate) bump(into.candidate, c, own(from.candidate, c) ?? 0);
    this.#shrink(into, "production");
    this.#shrink(into, "candidate");
  }

  finalise(state: LabelState): LabelResult {
    const confusion: Record<string, Record<string, number>> = {};
    for (const p of reportOrder(state.confusion)) {
      const row = own(state.confusion, p) ?? {};
      const out = child(confusion, p);
      for (const c of reportOrder(row)) bump(out, c, own(row, c) ?? 0);
    }
    return {
      kind: "label",
      path: this.rule.path,
      compared: state.compared,
      agreement: state.compared > 0 ? state.agreed / state.compared : null,
      agreed: state.agreed,
      confusion,
      production: ordered(state.production),
      candidate: ordered(state.candidate),
      lengthMismatches: state.lengthMismatches,
      unpaired: state.unpaired,
    };
  }

  #count(state: LabelState, production: string, candidate: string): void {
    const p = this.#admit(state, "production", matrixKey(production));
    const c = this.#admit(state, "candidate", matrixKey(candidate));
    bump(child(state.confusion, p), c, 1);
    bump(state.production, p, 1);
    bump(state.candidate, c, 1);
  }

  /** The key `label` is counted under on `side`, folding the largest kept label if `label` displaces it. */
  #admit(state: LabelState, side: Side, label: string): string {
    const totals = state[side];
    if (label === OTHER_LABEL || own(totals, label) !== undefined) return label;
    let kept = 0;
    let largest: string | undefined;
    for (const key in totals) {
      if (key === OTHER_LABEL) continue;
      kept++;
      if (largest === undefined || key > largest) largest = key;
    }
    if (kept < this.#maxLabels) return label;
    if (largest !== undefined && label < largest) {
      fold(state, side, largest);
      return label;
    }
    return OTHER_LABEL;
  }

  /** After a merge: keep the `maxLabels` smallest labels of the side, fold the rest. */
  #shrink(state: LabelState, side: Side): void {
    const labels = Object.keys(state[side]).filter((k) => k !== OTHER_LABEL);
    if (labels.length <= this.#maxLabels) return;
    labels.sort();
    for (const label of labels.slice(this.#maxLabels)) fold(state, side, label);
  }
}

/** Moves every count of `label` on `side` to `"(other)"`. */
function fold(state: LabelState, side: Side, label: string): void {
  const total = own(state[side], label) ?? 0;
  delete state[side][label];
  bump(state[side], OTHER_LABEL, total);
  if (side === "production") {
    const row = own(state.confusion, label) ?? {};
    delete state.confusion[label];
    const other = child(state.confusion, OTHER_LABEL);
    for (const c in row) bump(other, c, own(row, c) ?? 0);
    return;
  }
  for (const p in state.confusion) {
    const row = own(state.confusion, p) ?? {};
    const n = own(row, label);
    if (n === undefined) continue;
    delete row[label];
    bump(row, OTHER_LABEL, n);
  }
}

function reportOrder(record: object): string[] {
  const keys = sortedKeys(record).filter((k) => k !== OTHER_LABEL);
  if (Object.hasOwn(record, OTHER_LABEL)) keys.push(OTHER_LABEL);
  return keys;
}

function ordered(record: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of reportOrder(record)) bump(out, key, own(record, key) ?? 0);
  return out;
}

export function validateLabelOptions(rule: Readonly<Record<string, unknown>>, field: Field, issues: Issue[]): void {
  checkInteger(rule.maxLabels, field("maxLabels"), 1, MAX_LABELS_LIMIT, issues);
}

function isMatrixKey(label: string): boolean {
  return label.length <= MAX_LABEL_LENGTH;
}

/**
 * Whether `state` (untrusted JSON) is a label state `merge` can take: counts are safe integers,
 * at most MAX_LABELS_LIMIT labels (plus "(other)") per side, and the matrix adds up: each row sums
 * to its production label's total, each column to its candidate label's, all cells to `compared`.
 */
export function isValidLabelState(state: unknown): state is LabelState {
  if (!isPlainRecord(state) || state.kind !== "label") return false;
  if (!allCounts(state, ["compared", "agreed", "lengthMismatches", "unpaired"])) return false;
  const compared = state.compared as number;
  if ((state.agreed as number) > compared) return false;
  const maxKeys = MAX_LABELS_LIMIT + 1;
  if (countRecordTotal(state.production, maxKeys, isMatrixKey) !== compared) return false;
  if (countRecordTotal(state.candidate, maxKeys, isMatrixKey) !== compared) return false;
  const production = state.production as Readonly<Record<string, number>>;
  const candidate = state.candidate as Readonly<Record<string, number>>;
  const confusion = state.confusion;
  if (!isPlainRecord(confusion)) return false;
  const columns: Record<string, number> = {};
  let cells = 0;
  for (const p of Object.keys(confusion)) {
    const rowTotal = countRecordTotal(confusion[p], maxKeys, (c) => own(candidate, c) !== undefined);
    if (rowTotal === undefined || rowTotal !== own(production, p)) return false;
    const row = confusion[p] as Readonly<Record<string, number>>;
    for (const c of Object.keys(row)) bump(columns, c, own(row, c) ?? 0);
    cells += rowTotal;
  }
  if (cells !== compared) return false;
  for (const c of Object.keys(candidate)) if ((own(columns, c) ?? 0) !== own(candidate, c)) return false;
  return true;
}
