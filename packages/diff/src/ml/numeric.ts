// Numbers the ML comparisons accept, sums that merge exactly in any order, and numpy-style isclose.

import type { Tolerance } from "../tolerance.js";

/**
 * Larger magnitudes count as non-numbers, as do the infinities `JSON.parse` gives for `1e999`.
 * With it, a difference is at most 2^961 and a sum of up to 2^53 of them stays finite, so every
 * state is plain JSON (JSON has no Infinity or NaN).
 */
export const MAX_MAGNITUDE = 2 ** 960;

export function isNumber(value: unknown): value is number {
  return typeof value === "number" && Math.abs(value) <= MAX_MAGNITUDE;
}

/**
 * An exact sum as non-overlapping partials, smallest magnitude first (Shewchuk; Python's
 * `math.fsum`). Adding is exact, so merging partial sums in any order represents the same real
 * number, and `exactTotal` rounds that number once: the total does not depend on how the
 * observations were split or ordered. A list holds at most ~40 partials (2098 exponent bits / 53).
 */
export type ExactSum = number[];

/** Adds `value` (finite, see `MAX_MAGNITUDE`) to `partials` exactly. */
export function addExact(partials: ExactSum, value: number): void {
  let x = value;
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j] as number;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  if (x !== 0) partials.push(x);
}

export function addExactAll(into: ExactSum, from: readonly number[]): void {
  for (const x of from) addExact(into, x);
}

/** The exact sum rounded to the nearest double (ties to even), as CPython's `math.fsum` does. */
export function exactTotal(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n] as number;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n] as number;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Half-way cases: the rest of the partials decide which way the rounding of hi + lo goes.
  const next = partials[n - 1];
  if (n > 0 && next !== undefined && ((lo < 0 && next < 0) || (lo > 0 && next > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/**
 * numpy `isclose(candidate, production)`: |candidate − production| <= absolute + relative·|production|.
 * Production is the reference, so the relative part scales with the value the candidate should match.
 * (The structural diff's `numbersEqual` is symmetric instead; this follows what ML engineers expect.)
 */
export function isClose(production: number, candidate: number, tolerance: Tolerance): boolean {
  return Math.abs(candidate - production) <= tolerance.absolute + tolerance.relative * Math.abs(production);
}
