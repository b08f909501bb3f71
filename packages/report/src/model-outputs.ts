// The ML-aware comparisons (`compare.rules`) for report.md and the terminal. Each kind registers how its figures
// read; a kind this version does not know is shown field by field rather than dropped.
import type { ComparisonReport } from "@parallax/protocol";
import { decimal, share } from "./format.js";
import { code, table } from "./markdown-text.js";

/** Comparisons shown in report.md; the rest are counted (all are in report.json). */
export const MAX_COMPARISONS = 20;
/** Labels of a confusion matrix, `(other)` included; the least frequent are folded into `(other)` beyond it. */
export const MAX_MATRIX_LABELS = 12;
/** The label the diff package folds rare labels into; the matrix folds into the same one. */
const OTHER = "(other)";

/** One side's figures: the comparison itself, or its `secondary`. */
type Figures = Readonly<Record<string, unknown>>;
type Row = readonly [label: string, cell: (f: Figures) => string];

interface KindView {
  /** Rows of the figures table; `f` is the production-vs-candidate side, for labels that name a setting. */
  readonly rows: (f: Figures) => readonly Row[];
  /** One side's figures in a few words, for the terminal. */
  readonly brief: (f: Figures) => string;
  /** What the figures mean, under the table. */
  readonly note?: string;
}

function num(f: Figures, key: string): number | null {
  const value = f[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function int(f: Figures, key: string): string {
  return String(num(f, key) ?? "–");
}

function side(f: Figures, key: string): Figures {
  const value = f[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Figures) : {};
}

/** `n` with its share of `of` in brackets, when there is a whole. */
function partOf(n: number | null, of: number | null): string {
  if (n === null) return "–";
  return of !== null && of > 0 ? `${n} (${share(n / of)})` : String(n);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const LABEL: KindView = {
  rows: () => [
    ["compared", (f) => int(f, "compared")],
    ["agreement", (f) => {
      const agreement = num(f, "agreement");
      return agreement === null ? "–" : `${share(agreement)} (${int(f, "agreed")} of ${int(f, "compared")})`;
    }],
    ["flips", (f) => {
      const compared = num(f, "compared");
      const agreed = num(f, "agreed");
      return compared === null || agreed === null ? "–" : String(compared - agreed);
    }],
    ["length mismatches", (f) => int(f, "lengthMismatches")],
    ["unpaired", (f) => int(f, "unpaired")],
  ],
  brief: (f) => {
    const agreement = num(f, "agreement");
    const compared = num(f, "compared") ?? 0;
    if (agreement === null) return "nothing compared";
    return `agreement ${share(agreement)} (${plural(compared - (num(f, "agreed") ?? 0), "flip")} of ${compared})`;
  },
};

const SCORES: KindView = {
  rows: (primary) => [
    ["compared", (f) => int(f, "compared")],
    ["max abs diff", (f) => decimal(num(f, "maxAbsDiff"))],
    ["mean abs diff", (f) => decimal(num(f, "meanAbsDiff"))],
    [`top-${int(primary, "topK")} overlap`, (f) => {
      const overlap = num(f, "topKOverlap");
      return overlap === null ? "–" : share(overlap);
    }],
    ["out of tolerance", (f) => partOf(num(f, "outOfTolerance"), num(f, "compared"))],
    ["length mismatches", (f) => int(f, "lengthMismatches")],
    ["incomparable", (f) => int(f, "incomparable")],
  ],
  brief: (f) => {
    const compared = num(f, "compared") ?? 0;
    if (compared === 0) return "nothing compared";
    const overlap = num(f, "topKOverlap");
    const top = overlap === null ? "" : `, top-${int(f, "topK")} overlap ${share(overlap)}`;
    return `max abs diff ${decimal(num(f, "maxAbsDiff"))}, mean abs diff ${decimal(num(f, "meanAbsDiff"))}${top}, ${int(f, "outOfTolerance")} of ${compared} out of tolerance`;
  },
};

/** Tensor outcomes other than a value mismatch: field, one, many. */
const TENSOR_STRUCTURE: ReadonlyArray<readonly [key: string, one: string, many: string]> = [
  ["shapeMismatches", "shape mismatch", "shape mismatches"],
  ["dtypeMismatches", "dtype mismatch", "dtype mismatches"],
  ["missingOutputs", "missing output", "missing outputs"],
  ["extraOutputs", "extra output", "extra outputs"],
  ["malformedOutputs", "malformed output", "malformed outputs"],
];

const TENSOR: KindView = {
  rows: () => [
    ["compared", (f) => int(f, "compared")],
    ["value mismatches", (f) => partOf(num(f, "valueMismatches"), num(f, "compared"))],
    ["elements mismatched", (f) => {
      const mismatched = num(f, "elementsMismatched");
      const compared = num(f, "elementsCompared");
      if (mismatched === null || compared === null) return "–";
      return compared > 0 ? `${mismatched} of ${compared} (${share(mismatched / compared)})` : `${mismatched} of ${compared}`;
    }],
    ["max abs diff", (f) => decimal(num(f, "maxAbsDiff"))],
    ...TENSOR_STRUCTURE.map(([key, , many]): Row => [many, (f) => int(f, key)]),
  ],
  brief: (f) => {
    const compared = num(f, "compared") ?? 0;
    if (compared === 0) return "nothing compared";
    const structure = TENSOR_STRUCTURE.flatMap(([key, one, many]) => {
      const n = num(f, key) ?? 0;
      return n === 0 ? [] : [`${n} ${n === 1 ? one : many}`];
    });
    const values = `${int(f, "valueMismatches")} value mismatches of ${compared} (${int(f, "elementsMismatched")} of ${int(f, "elementsCompared")} elements), max abs diff ${decimal(num(f, "maxAbsDiff"))}`;
    return [values, ...structure].join(", ");
  },
};

/** `800 → 798`: production's figure, then the other side's. */
function both(f: Figures, key: string, show: (n: number | null) => string): string {
  return `${show(num(side(f, "production"), key))} → ${show(num(side(f, "candidate"), key))}`;
}

const DRIFT: KindView = {
  rows: () => [
    ["values", (f) => both(f, "count", (n) => String(n ?? "–"))],
    ["mean", (f) => both(f, "mean", decimal)],
    ["ignored (not numbers)", (f) => both(f, "ignored", (n) => String(n ?? "–"))],
    ["PSI", (f) => decimal(num(f, "psi"))],
    ["KS", (f) => decimal(num(f, "ks"))],
    ["PSI bins", (f) => int(f, "psiBins")],
  ],
  brief: (f) => {
    if (num(f, "psi") === null && num(f, "ks") === null) return "nothing compared (a side has no values)";
    return `PSI ${decimal(num(f, "psi"))}, KS ${decimal(num(f, "ks"))}, mean ${both(f, "mean", decimal)}`;
  },
  note: "Values, mean, ignored: production → the other side. PSI: population stability index of the other side's values against production's, over the PSI bins; KS: the largest gap between their cumulative distributions (0 to 1).",
};

const IDENTITY = new Set(["endpoint", "path", "kind", "secondary"]);

/** A kind this version does not know: every numeric figure by its name. */
const GENERIC: KindView = {
  rows: (primary) => Object.keys(primary).filter((k) => !IDENTITY.has(k) && num(primary, k) !== null).map((k): Row => [k, (f) => decimal(num(f, k))]),
  brief: (f) => Object.keys(f).filter((k) => !IDENTITY.has(k) && num(f, k) !== null).map((k) => `${k} ${decimal(num(f, k))}`).join(", "),
};

const KINDS: Readonly<Record<ComparisonReport["kind"], KindView>> = { label: LABEL, scores: SCORES, tensor: TENSOR, drift: DRIFT };

function viewOf(kind: string): KindView {
  return (KINDS as Readonly<Record<string, KindView | undefined>>)[kind] ?? GENERIC;
}

export function modelOutputsSection(comparisons: readonly ComparisonReport[]): string {
  if (comparisons.length === 0) return "";
  const parts = ["### Model outputs", ...comparisons.slice(0, MAX_COMPARISONS).map(comparisonBlock)];
  if (comparisons.length > MAX_COMPARISONS) parts.push(`…and ${comparisons.length - MAX_COMPARISONS} more comparisons (all in report.json).`);
  return parts.join("\n\n");
}

function comparisonBlock(c: ComparisonReport): string {
  const view = viewOf(c.kind);
  const secondary = c.secondary;
  const header = ["figure", "production vs candidate", ...(secondary === undefined ? [] : ["production vs secondary (noise baseline)"])];
  const rows = view.rows(c).map(([label, cell]) => [label, cell(c), ...(secondary === undefined ? [] : [cell(secondary)])]);
  const parts = [`#### ${code(c.endpoint)} · ${code(c.path)} · ${c.kind}`, table(header, rows, ["l", "r", "r"])];
  if (view.note !== undefined) parts.push(view.note);
  if (c.kind === "label") {
    const matrix = confusionTable(side(c, "confusion"));
    if (matrix !== "") parts.push("Confusion matrix, production vs candidate: one row per production label, one column per candidate label.", matrix);
  }
  return parts.join("\n\n");
}

/** The matrix as a table, rows production, columns candidate; beyond MAX_MATRIX_LABELS the rarest labels fold into `(other)`. */
export function confusionTable(confusion: Figures): string {
  const cells = new Map<string, Map<string, number>>();
  const weight = new Map<string, number>();
  for (const [p, rowValue] of Object.entries(confusion)) {
    const row = typeof rowValue === "object" && rowValue !== null ? (rowValue as Figures) : {};
    for (const c of Object.keys(row)) {
      const n = num(row, c);
      if (n === null) continue;
      cells.set(p, (cells.get(p) ?? new Map<string, number>()).set(c, n));
      weight.set(p, (weight.get(p) ?? 0) + n);
      weight.set(c, (weight.get(c) ?? 0) + n);
    }
  }
  if (weight.size === 0) return "";
  const labels = [...weight.keys()].filter((l) => l !== OTHER);
  const folding = weight.size > MAX_MATRIX_LABELS;
  const kept = new Set(folding ? [...labels].sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0) || compare(a, b)).slice(0, MAX_MATRIX_LABELS - 1) : labels);
  const order = [...kept].sort(compare);
  if (folding || weight.has(OTHER)) order.push(OTHER);
  const key = (label: string) => (kept.has(label) ? label : OTHER);
  const folded = new Map<string, Map<string, number>>();
  for (const [p, row] of cells) {
    const into = folded.get(key(p)) ?? new Map<string, number>();
    for (const [c, n] of row) into.set(key(c), (into.get(key(c)) ?? 0) + n);
    folded.set(key(p), into);
  }
  const rows = order.map((p) => [p, ...order.map((c) => String(folded.get(p)?.get(c) ?? 0))]);
  const text = table(["production ↓ candidate →", ...order], rows, ["l", ...order.map((): "l" | "r" => "r")]);
  return folding ? `${text}\n\n${labels.length - kept.size} less frequent labels folded into ${OTHER} (all in report.json).` : text;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Terminal lines: one per comparison, with the secondary's figures after it. */
export function comparisonLines(comparisons: readonly ComparisonReport[], max: number): string[] {
  if (comparisons.length === 0) return [];
  const lines = ["model outputs"];
  for (const c of comparisons.slice(0, max)) {
    const view = viewOf(c.kind);
    const secondary = c.secondary === undefined ? "" : `; secondary: ${view.brief(c.secondary)}`;
    lines.push(`  ${c.endpoint} · ${c.path}  ${c.kind} ${view.brief(c)}${secondary}`);
  }
  if (comparisons.length > max) lines.push(`  …and ${comparisons.length - max} more`);
  return lines;
}
