// The mergeable comparison counts: creating, sizing and merging `DiffTally`s.

import { addCounts, type DiffTally, type SignatureTally } from "@parallax/protocol";
import { mergeReservoirs } from "./reservoir.js";

export function createTally(): DiffTally {
  return { compared: 0, identical: 0, notComparable: 0, notComparableReasons: {}, endpoints: {}, signatures: {}, combos: {}, overflowPairs: 0 };
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
}

/**
 * Adds `from` into `into`: every count is a sum, so merging is associative and order-free for
 * counts; reservoirs merge by weight (`exemplarsSeen`) into a uniform sample of the union.
 * `from` is not changed and shares nothing mutable with `into` afterwards.
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
}
