/** Adds a count map (`{ "200": 3 }`, reasons, combos) into another: the merge of every counter map on the wire. */
export function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const key in from) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}
