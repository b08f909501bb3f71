// Cheap structural checks of comparison states that arrive from the wire, before they are merged.

import { MAX_MAGNITUDE } from "./numeric.js";
import { isPlainRecord } from "./rule.js";

/** Largest |x| of a number kept in a state: a difference of two accepted numbers (see `MAX_MAGNITUDE`). */
export const MAX_DIFFERENCE = 2 * MAX_MAGNITUDE;

/**
 * Partials an `ExactSum` may hold: non-overlapping doubles span at most 2098 exponent bits, 53
 * each, so a real one has about 40; anything longer was not built by `addExact`.
 */
export const MAX_PARTIALS = 64;

/** |partial| bound: 2^53 differences of at most 2^961 each. Keeps merged sums finite. */
const MAX_PARTIAL = 2 ** 1014;

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A maximum of absolute differences: finite, >= 0, no larger than one difference can be. */
export function isMagnitude(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && value <= MAX_DIFFERENCE;
}

export function isExactSum(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length > MAX_PARTIALS) return false;
  for (const x of value as unknown[]) if (typeof x !== "number" || !(Math.abs(x) <= MAX_PARTIAL)) return false;
  return true;
}

/** Every listed field is a count. */
export function allCounts(record: Readonly<Record<string, unknown>>, fields: readonly string[]): boolean {
  for (const field of fields) if (!isCount(record[field])) return false;
  return true;
}

/**
 * The sum of a record of counts with at most `maxKeys` keys, each accepted by `key`; undefined
 * when it is not one. Own keys only: JSON can carry a "__proto__" key as data.
 */
export function countRecordTotal(value: unknown, maxKeys: number, key: (k: string) => boolean = () => true): number | undefined {
  if (!isPlainRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > maxKeys) return undefined;
  let total = 0;
  for (const k of keys) {
    const n = value[k];
    if (!isCount(n) || !key(k)) return undefined;
    total += n;
  }
  return total;
}
