// Segments: an agent's exact share of the request sequence, a rational interval (from, to]
// (k6's execution segments).
//
// Item i belongs to (a, b] iff π_L(i mod L) ∈ [a·L, b·L), where L is the lcm of the bounds'
// denominators and π_L is the mixed-radix digit reversal over L's prime factors in ascending
// order. The reversal is what makes shares stripe across the whole run and, unlike the plain
// `i mod L`, agree between segments written with different denominators: (0,1/2] (L = 2) and
// (1/2,3/4] (L = 4) never claim the same item. Segments of one split partition the sequence
// when every segment's L is a prefix of the split's factor sequence — always true for
// `splitEvenly` and for bounds written over one common denominator.
import type { Fraction } from "@parallax/protocol";

export interface Segment {
  readonly from: Fraction;
  readonly to: Fraction;
}

/** `n` equal segments, fractions in lowest terms. */
export function splitEvenly(n: number): Segment[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`splitEvenly: n must be a whole number >= 1, got ${n}`);
  return Array.from({ length: n }, (_, k) => ({ from: reduce(k, n), to: reduce(k + 1, n) }));
}

/** `1/3:2/3`; whole numbers without a denominator (`0:1`). */
export function formatSegment(s: Segment): string {
  return `${formatFraction(s.from)}:${formatFraction(s.to)}`;
}

/** The segment's items among `0..total-1`, ascending. Bad arguments throw here, not at the first `next()`. */
export function segmentIndices(segment: Segment, total: number): Generator<number> {
  const found = layout(segment);
  checkTotal(total);
  return indices(found, total);
}

function* indices({ period, residues }: Layout, total: number): Generator<number> {
  for (let base = 0; base < total; base += period) {
    for (const r of residues) {
      if (base + r >= total) return;
      yield base + r;
    }
  }
}

/** How many of `0..total-1` the segment holds; O(L), not O(total). */
export function segmentSize(segment: Segment, total: number): number {
  const { period, residues } = layout(segment);
  checkTotal(total);
  const rest = total % period;
  let inRest = 0;
  for (const r of residues) if (r < rest) inRest++;
  return Math.floor(total / period) * residues.length + inRest;
}

interface Layout {
  readonly period: number;
  /** Residues mod `period` the segment holds, ascending. */
  readonly residues: readonly number[];
}

const layouts = new Map<string, Layout>();
/** Beyond this the residue table stops being small; no real split gets close. */
const MAX_PERIOD = 1 << 24;

function layout(segment: Segment): Layout {
  const key = `${segment.from[0]}/${segment.from[1]}:${segment.to[0]}/${segment.to[1]}`;
  let cached = layouts.get(key);
  if (cached !== undefined) return cached;
  const [a, da] = checkFraction(segment.from);
  const [b, db] = checkFraction(segment.to);
  if (!(a * db < b * da) || b > db) throw new RangeError(`segment ${key}: need 0 <= from < to <= 1`);
  const period = lcm(da, db);
  if (period > MAX_PERIOD) throw new RangeError(`segment ${key}: denominators too large (lcm ${period})`);
  const low = (a * period) / da;
  const high = (b * period) / db;
  const primes = primeFactors(period);
  const residues: number[] = [];
  for (let r = 0; r < period; r++) {
    const position = reversed(r, period, primes);
    if (position >= low && position < high) residues.push(r);
  }
  cached = { period, residues };
  layouts.set(key, cached);
  return cached;
}

/** π_L(r): r's mixed-radix digits (least significant first, radices = primes) read in reverse. */
function reversed(r: number, period: number, primes: readonly number[]): number {
  let position = 0;
  let weight = period;
  let rest = r;
  for (const p of primes) {
    weight /= p;
    position += (rest % p) * weight;
    rest = Math.floor(rest / p);
  }
  return position;
}

function primeFactors(n: number): number[] {
  const factors: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push(rest);
  return factors;
}

function checkFraction(f: Fraction): Fraction {
  const [n, d] = f;
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(d) || n < 0 || d < 1) {
    throw new RangeError(`segment bound ${n}/${d} is not a fraction of whole numbers`);
  }
  return f;
}

function checkTotal(total: number): void {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be a whole number >= 0, got ${total}`);
}

function formatFraction([n, d]: Fraction): string {
  return d === 1 ? String(n) : `${n}/${d}`;
}

function reduce(n: number, d: number): Fraction {
  const g = gcd(n, d);
  return [n / g, d / g];
}

function gcd(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
