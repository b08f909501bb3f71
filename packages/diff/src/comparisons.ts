// Turning the (merged) ML comparison states of a tally into per-endpoint, per-rule reports.

import type { DiffTally } from "@parallax/protocol";
import type { ComparisonState, ResultOf } from "./ml/registry.js";
import type { ComparisonKind } from "./ml/rule.js";
import { compileRules, isStateOf, type ScopedComparisonRule } from "./rules.js";

/** A result's figures without the `kind` and `path` the report already states. */
export type ComparisonFigures<K extends ComparisonKind> = { readonly [P in keyof ResultOf<K> as Exclude<P, "kind" | "path">]: ResultOf<K>[P] };

type Flat<T> = { readonly [P in keyof T]: T[P] };

/**
 * One rule at one endpoint: `endpoint`, the rule's `path` and `kind`, then the figures of
 * production against the candidate (what the rule's `finalise` gives), and under `secondary` the
 * same figures for production against the secondary (the noise baseline), when there was one.
 * Label: `compared`, `agreement` (agreed / compared, null when nothing was compared), `agreed`,
 * `confusion` ({ production label: { candidate label: pairs } }), label totals per side
 * (`production`, `candidate`; in `secondary` the `candidate` totals are the secondary's),
 * `lengthMismatches`, `unpaired`. Scores: `compared`, `maxAbsDiff`, `meanAbsDiff`, `topK`,
 * `topKOverlap`, `outOfTolerance`, `lengthMismatches`, `incomparable`. Tensor: `compared`,
 * `shapeMismatches`, `dtypeMismatches`, `valueMismatches`, `missingOutputs`, `extraOutputs`,
 * `malformedOutputs`, `elementsCompared`, `elementsMismatched`, `maxAbsDiff`. Drift:
 * `production` / `candidate` ({ count, mean, ignored }), `psi`, `ks`, `psiBins`.
 */
export type ComparisonReportOf<K extends ComparisonKind> = Flat<
  { readonly endpoint: string; readonly path: string; readonly kind: K } & ComparisonFigures<K> & { readonly secondary?: ComparisonFigures<K> }
>;

export type ComparisonReport = { [K in ComparisonKind]: ComparisonReportOf<K> }[ComparisonKind];

function figures(result: { readonly kind: string; readonly path: string }): Record<string, unknown> {
  const { kind: _kind, path: _path, ...rest } = result;
  return rest;
}

/**
 * Every comparison state of `tally` finalised, sorted by endpoint (code-unit order) then rule
 * order. `rules` must be the comparator's list (states are keyed by rule index). Entries naming
 * no rule of the list, or whose candidate state is malformed, are left out (`mergeTally` never
 * keeps such states; a tally taken straight from the wire might hold them).
 */
export function summarizeComparisons(tally: DiffTally, rules: readonly ScopedComparisonRule[]): ComparisonReport[] {
  const compiled = compileRules(rules);
  const found: Array<{ readonly index: number; readonly endpoint: string; readonly report: ComparisonReport }> = [];
  for (const key of Object.keys(tally.comparisons)) {
    const entry = tally.comparisons[key];
    const rule = entry === undefined ? undefined : compiled[entry.rule];
    if (entry === undefined || rule === undefined || !isStateOf(rule, entry.candidate)) continue;
    const comparison = rule.comparison;
    const report: Record<string, unknown> = { endpoint: entry.endpoint, path: rule.rule.path, kind: rule.rule.kind, ...figures(comparison.finalise(entry.candidate as ComparisonState)) };
    if (entry.secondary !== undefined && isStateOf(rule, entry.secondary)) report.secondary = figures(comparison.finalise(entry.secondary as ComparisonState));
    found.push({ index: rule.index, endpoint: entry.endpoint, report: report as ComparisonReport });
  }
  found.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : a.index - b.index));
  return found.map((f) => f.report);
}
