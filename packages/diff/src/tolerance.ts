/** Absolute and relative numeric tolerance; both 0 means exact equality. */
export interface Tolerance {
  readonly absolute: number;
  readonly relative: number;
}

/** a and b are equal iff |a−b| <= max(absolute, relative·max(|a|,|b|)). Boundaries are inclusive. */
export function numbersEqual(a: number, b: number, tolerance: Tolerance): boolean {
  if (a === b) return true;
  const allowed = Math.max(tolerance.absolute, tolerance.relative * Math.max(Math.abs(a), Math.abs(b)));
  return Math.abs(a - b) <= allowed;
}
