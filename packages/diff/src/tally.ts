// The mergeable comparison counts: creating, sizing and merging `DiffTally`s.

import { addCounts, type DiffTally, type SignatureTally } from "@parallax/protocol";
import { isCount } from "./ml/check.js";
import type { ComparisonState } from "./ml/registry.js";
import { isPlainRecord } from "./ml/rule.js";
import { mergeReservoirs } from "./reservoir.js";
import { comparisonKey, compileRules, isStateOf, ruleApplies, type ScopedComparisonRule } from "./rules.js";

export function createTally(): DiffTally {
  return { compared: 0, identical: 0, notComparable: 0, notComparableReasons: {}, endpoints: {}, signatures: {}, combos: {}, overflowPairs: 0, comparisons: {} };
}

/**
 * A tally with one differing pair and its exemplar: what a warm-up sends through the snapshot
 * code paths (encoding, validation, merging) before the run, so their first real use is not slow.
 */
export function sampleTally(): DiffTally {
  const tally = createTally();
  const signature = { endpoint: "GET /warm-up", path: "$.x", kind: "changed" as const };
  const key = `${signature.endpoint}\u001f${signature.path}\u001f${signature.kind}`;
  tally.compared = 1;
  tally.endpoints[signature.endpoint] = { compared: 1, comparedWithSecondary: 0 };
  tally.signatures[key] = {
    ...signature,
    candidate: 1,
    secondary: 0,
    both: 0,
    exemplars: [
      {
        request: { method: "GET", path: "/warm-up", headers: { accept: "application/json" } },
        responses: { production: { status: 200, body: '{"x":1}' }, candidate: { status: 200, body: '{"x":2}' } },
        differences: [{ path: "$.x", kind: "changed", production: 1, candidate: 2 }],
      },
    ],
    exemplarsSeen: 1,
  };
  tally.combos[key] = 1;
  return tally;
}

// Key counts of the bounded records (`signatures`, `combos`), cached by record so the hot path
// does not count keys on every new entry. Only this package adds keys (the comparator bumps the
// cache, `mergeTally` drops it); a record never seen before is counted once.
const sizes = new WeakMap<object, number>();

export function recordSize(record: object): number {
  let n = sizes.get(record);
  if (n === undefined) {
    n = 0;
    for (const _ in record) n++;
    sizes.set(record, n);
  }
  return n;
}

/** Call after adding one key to `record` (whose size was read with `recordSize`). */
export function recordGrew(record: object): void {
  const n = sizes.get(record);
  if (n !== undefined) sizes.set(record, n + 1);
}

export interface MergeOptions {
  /** Reservoir size of the merged signatures. */
  readonly exemplars: number;
  readonly random?: () => number;
  /**
   * The comparator's `rules`, in the same order: comparison states are merged by the rule at
   * their index. Without them every comparison state of `from` is rejected (see `mergeTally`).
   */
  readonly rules?: readonly ScopedComparisonRule[];
}

/**
 * Adds `from` into `into`: every count is a sum, so merging is associative and order-free for
 * counts; reservoirs merge by weight (`exemplarsSeen`) into a uniform sample of the union;
 * comparison states merge with their rule's `merge`, which is exact.
 * `from` is not changed and shares nothing mutable with `into` afterwards.
 *
 * `from` may come from the wire, where the schema only says its comparison states are JSON
 * objects, and a comparison's `merge` trusts its input. So each state of `from` is checked first
 * (`isValidState` for its rule's kind; its entry must name a rule of `options.rules` that applies
 * to its endpoint, under its own key). A state that fails is skipped, not merged, and counted in
 * `into.rejectedStates`: one malformed agent message must not abort a run nor poison the merged
 * figures, and the count lets the report say that figures are missing. Nothing is thrown.
 */
export function mergeTally(into: DiffTally, from: DiffTally, options: MergeOptions): void {
  const random = options.random ?? Math.random;
  into.compared += from.compared;
  into.identical += from.identical;
  into.notComparable += from.notComparable;
  into.overflowPairs += from.overflowPairs;
  addCounts(into.notComparableReasons, from.notComparableReasons);
  addCounts(into.combos, from.combos);
  for (const name in from.endpoints) {
    const e = from.endpoints[name];
    if (e === undefined) continue;
    const mine = into.endpoints[name];
    if (mine === undefined) into.endpoints[name] = { compared: e.compared, comparedWithSecondary: e.comparedWithSecondary };
    else {
      mine.compared += e.compared;
      mine.comparedWithSecondary += e.comparedWithSecondary;
    }
  }
  for (const key in from.signatures) {
    const s = from.signatures[key];
    if (s === undefined) continue;
    const mine: SignatureTally | undefined = into.signatures[key];
    if (mine === undefined) {
      into.signatures[key] = { ...s, exemplars: mergeReservoirs(s.exemplars, s.exemplarsSeen, [], 0, options.exemplars, random) };
      continue;
    }
    mine.candidate += s.candidate;
    mine.secondary += s.secondary;
    mine.both += s.both;
    mine.exemplars = mergeReservoirs(mine.exemplars, mine.exemplarsSeen, s.exemplars, s.exemplarsSeen, options.exemplars, random);
    mine.exemplarsSeen += s.exemplarsSeen;
  }
  sizes.delete(into.signatures);
  sizes.delete(into.combos);
  const rejected = mergeComparisons(into, from, options.rules ?? []) + (isCount(from.rejectedStates) ? from.rejectedStates : 0);
  if (rejected > 0) into.rejectedStates = (into.rejectedStates ?? 0) + rejected;
}

/** Merges the comparison states of `from` that pass the checks; returns how many it rejected. */
function mergeComparisons(into: DiffTally, from: DiffTally, rules: readonly ScopedComparisonRule[]): number {
  const compiled = compileRules(rules);
  let rejected = 0;
  // The schema guarantees a record, but `from` may be a hand-built or older tally.
  const entries: unknown = from.comparisons;
  if (!isPlainRecord(entries)) return 0;
  for (const key of Object.keys(entries)) {
    const entry = entries[key];
    if (!isPlainRecord(entry)) {
      rejected++;
      continue;
    }
    const states = (entry.candidate === undefined ? 0 : 1) + (entry.secondary === undefined ? 0 : 1);
    const rule = isCount(entry.rule) ? compiled[entry.rule] : undefined;
    const endpoint = entry.endpoint;
    if (rule === undefined || typeof endpoint !== "string" || key !== comparisonKey(rule.index, endpoint) || !ruleApplies(rule.rule.endpoint, endpoint)) {
      rejected += Math.max(1, states);
      continue;
    }
    const comparison = rule.comparison;
    const candidateOk = isStateOf(rule, entry.candidate);
    const secondaryOk = entry.secondary !== undefined && isStateOf(rule, entry.secondary);
    if (!candidateOk) rejected++;
    if (entry.secondary !== undefined && !secondaryOk) rejected++;
    if (!candidateOk && !secondaryOk) continue;
    let mine = into.comparisons[key];
    if (mine === undefined) mine = into.comparisons[key] = { rule: rule.index, endpoint, candidate: comparison.createState() };
    if (candidateOk) comparison.merge(mine.candidate as ComparisonState, entry.candidate as ComparisonState);
    if (secondaryOk) comparison.merge((mine.secondary ??= comparison.createState()) as ComparisonState, entry.secondary as ComparisonState);
  }
  return rejected;
}
