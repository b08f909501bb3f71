import assert from "node:assert/strict";
import { test } from "node:test";
import { addExact, addExactAll, exactTotal, isClose, isNumber, MAX_MAGNITUDE, type ExactSum } from "../src/ml/index.js";
import { seeded } from "./fixtures.js";

function sum(values: readonly number[]): number {
  const s: ExactSum = [];
  for (const v of values) addExact(s, v);
  return exactTotal(s);
}

test("exact sums are correctly rounded where naive sums are not", () => {
  assert.equal(sum(Array.from({ length: 10 }, () => 0.1)), 1);
  assert.equal(sum([1e100, 1, -1e100]), 1);
  assert.equal(sum([]), 0);
  // CPython's fsum cases for round-half-even on the partials.
  assert.equal(sum([2 ** 53, -0.5, -(2 ** -54)]), 2 ** 53 - 1);
  assert.equal(sum([2 ** 53, 1, 2 ** -100]), 2 ** 53 + 2);
  assert.equal(sum([2 ** 53 + 10, 1, 2 ** -100]), 2 ** 53 + 12);
  assert.equal(sum([2 ** 53 - 4, 0.5, 2 ** -54]), 2 ** 53 - 3);
  assert.equal(sum([...Array.from({ length: 1000 }, (_, i) => 1.7 ** (i + 1) - 1.7 ** i), -(1.7 ** 1000)]), -1);
});

test("the total does not depend on order or on how the sum was split and merged", () => {
  const random = seeded(7);
  const values = Array.from({ length: 2000 }, () => (random() - 0.3) * 10 ** Math.floor(random() * 12 - 6));
  const whole = sum(values);
  const reversed = sum([...values].reverse());
  const parts: ExactSum[] = [[], [], []];
  values.forEach((v, i) => addExact(parts[i % 3] as ExactSum, v));
  const merged: ExactSum = [];
  addExactAll(merged, parts[2] as ExactSum);
  addExactAll(merged, JSON.parse(JSON.stringify(parts[0])) as ExactSum);
  addExactAll(merged, parts[1] as ExactSum);
  assert.equal(reversed, whole);
  assert.equal(exactTotal(merged), whole);
  // The data is such that naive summation does depend on the order: the test would catch it.
  const naive = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  assert.notEqual(naive([...values].reverse()), naive(values));
  assert.ok(merged.length <= 40, `partials: ${merged.length}`);
});

test("isNumber refuses what would make a state non-JSON", () => {
  assert.equal(isNumber(1.5), true);
  assert.equal(isNumber(-MAX_MAGNITUDE), true);
  assert.equal(isNumber(MAX_MAGNITUDE * 2), false);
  assert.equal(isNumber(JSON.parse("1e999")), false);
  assert.equal(isNumber(Number.NaN), false);
  assert.equal(isNumber("1"), false);
});

test("isClose is numpy's rule with production as the reference, inclusive", () => {
  const t = { absolute: 0.5, relative: 0.25 };
  assert.equal(isClose(4, 5.5, t), true); // 1.5 <= 0.5 + 0.25·4
  assert.equal(isClose(4, 5.625, t), false);
  assert.equal(isClose(5.5, 4, t), true); // 1.5 <= 0.5 + 0.25·5.5
  assert.equal(isClose(-4, -2.5, t), true);
  assert.equal(isClose(0, 0.5, { absolute: 0.5, relative: 0 }), true);
  assert.equal(isClose(1, 1, { absolute: 0, relative: 0 }), true);
  assert.equal(isClose(1, 1 + Number.EPSILON, { absolute: 0, relative: 0 }), false);
});
