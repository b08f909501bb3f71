import type { TargetCounts } from "./messages.js";

/** Adds a count map (`{ "200": 3 }`, reasons, combos) into another: the merge of every counter map on the wire. */
export function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const key in from) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}

/** A target's counters at zero, fresh maps included: where agents' intervals and the coordinator's totals start. */
export function emptyTargetCounts(): TargetCounts {
  return { requests: 0, responses: 0, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: {} };
}
