import assert from "node:assert/strict";
import { test } from "node:test";
import { numbersEqual } from "../src/index.js";

// Values are binary fractions so the boundaries are exact in floating point.
const EPS = 2 ** -40;

test("zero tolerance is exact equality", () => {
  const exact = { absolute: 0, relative: 0 };
  assert.equal(numbersEqual(1.5, 1.5, exact), true);
  assert.equal(numbersEqual(0.1 + 0.2, 0.3, exact), false);
  assert.equal(numbersEqual(0, -0, exact), true);
});

test("absolute tolerance: the boundary is equal, just past it is not", () => {
  const t = { absolute: 0.25, relative: 0 };
  assert.equal(numbersEqual(1, 1.25, t), true);
  assert.equal(numbersEqual(1.25, 1, t), true);
  assert.equal(numbersEqual(1, 1.25 + EPS, t), false);
  assert.equal(numbersEqual(-1, -0.75, t), true);
  assert.equal(numbersEqual(-1, -0.75 + EPS, t), false);
});

test("relative tolerance scales with the larger magnitude", () => {
  const t = { absolute: 0, relative: 0.5 };
  assert.equal(numbersEqual(4, 2, t), true);
  assert.equal(numbersEqual(2, 4, t), true);
  assert.equal(numbersEqual(4, 2 - EPS, t), false);
  assert.equal(numbersEqual(0, 0.001, t), false, "relative alone never absorbs a change from 0");
});

test("the larger of the two tolerances applies", () => {
  const t = { absolute: 0.5, relative: 0.125 };
  // max(0.5, 0.125·2) = 0.5
  assert.equal(numbersEqual(2, 1.5, t), true);
  assert.equal(numbersEqual(2, 1.5 - EPS, t), false);
  // max(0.5, 0.125·16) = 2
  assert.equal(numbersEqual(16, 14, t), true);
  assert.equal(numbersEqual(16, 14 - EPS * 16, t), false);
});
