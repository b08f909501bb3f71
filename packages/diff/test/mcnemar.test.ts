import assert from "node:assert/strict";
import { test } from "node:test";
import { binomialUpperTail, mcnemarPValue } from "../src/index.js";

/** P(X >= b), X ~ Binomial(n, 1/2), exactly in integers, then to a double. */
function exactUpperTail(b: number, n: number): number {
  let coefficient = 1n;
  let sum = 0n;
  for (let k = 0; k <= n; k++) {
    if (k >= b) sum += coefficient;
    coefficient = (coefficient * BigInt(n - k)) / BigInt(k + 1);
  }
  // Keep 60 significant bits of the sum, then scale by 2^-n in floating point.
  const shift = Math.max(0, sum.toString(2).length - 60);
  return Number(sum >> BigInt(shift)) * 2 ** (shift - n);
}

function assertClose(actual: number, expected: number, relative: number): void {
  const error = Math.abs(actual - expected);
  assert.ok(error <= relative * Math.abs(expected), `${actual} vs ${expected} (relative error ${error / expected})`);
}

test("known binomial tail values", () => {
  assert.equal(binomialUpperTail(0, 0), 1);
  assert.equal(binomialUpperTail(0, 10), 1);
  assert.equal(binomialUpperTail(11, 10), 0);
  assert.equal(binomialUpperTail(1, 1), 0.5);
  assert.equal(binomialUpperTail(10, 10), 1 / 1024);
  // (45 + 10 + 1) / 1024
  assertClose(binomialUpperTail(8, 10), 56 / 1024, 1e-14);
  // (15504 + 4845 + 1140 + 190 + 20 + 1) / 2^20
  assertClose(binomialUpperTail(15, 20), 21700 / 1048576, 1e-14);
  // b <= n/2 goes through the complement: P(X >= 5 | n = 10) = 638 / 1024
  assertClose(binomialUpperTail(5, 10), 638 / 1024, 1e-14);
  assertClose(binomialUpperTail(1, 10), 1023 / 1024, 1e-14);
});

test("matches exact big-integer sums, small and large n", () => {
  const cases: Array<[number, number]> = [
    [60, 100], [50, 100], [40, 100], [70, 100], [255, 500], [300, 500], [550, 1000], [520, 1000], [600, 1000], [2600, 5000], [2400, 5000], [3000, 5000],
  ];
  for (const [b, n] of cases) assertClose(binomialUpperTail(b, n), exactUpperTail(b, n), 1e-9);
});

test("extreme tails stay finite and ordered (log space)", () => {
  const p = binomialUpperTail(900, 1000);
  assert.ok(p > 0 && p < 1e-140, String(p));
  assertClose(binomialUpperTail(1000, 1000), 2 ** -1000, 1e-9);
  assert.equal(binomialUpperTail(100_000, 100_000), 0, "2^-100000 underflows to 0, not NaN");
  assert.ok(binomialUpperTail(50_100, 100_000) < binomialUpperTail(50_000, 100_000));
});

test("McNemar p-value is the upper tail of b over b + c discordant triples", () => {
  assert.equal(mcnemarPValue(0, 0), 1);
  assert.equal(mcnemarPValue(37, 0), 2 ** -37);
  assert.equal(mcnemarPValue(0, 12), 1);
  assertClose(mcnemarPValue(8, 2), 56 / 1024, 1e-14);
  assertClose(mcnemarPValue(15, 5), 21700 / 1048576, 1e-14);
});
