import assert from "node:assert/strict";
import { test } from "node:test";
import { NOT_JSON } from "../src/index.js";
import { parseSelector, selectValues, type Selector } from "../src/ml/index.js";

function at(path: string): Selector {
  const parsed = parseSelector(path);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.selector;
}

const body = {
  predictions: [
    { label: "cat", scores: [0.9, 0.1] },
    { label: "dog", scores: [0.2, 0.8] },
    { other: 1 },
  ],
  outputs: [{ name: "probs", data: [1, 2] }],
  "odd key": { x: 1 },
};

test("[*] expands arrays in order and skips elements without the key", () => {
  assert.deepEqual(selectValues(body, at("$.predictions[*].label")), ["cat", "dog"]);
  assert.deepEqual(selectValues(body, at("$.predictions[*].scores")), [
    [0.9, 0.1],
    [0.2, 0.8],
  ]);
  assert.deepEqual(selectValues(body, at("$.predictions[*].scores[*]")), [0.9, 0.1, 0.2, 0.8]);
  assert.deepEqual(selectValues(body, at("$.predictions[1].scores[0]")), [0.2]);
  assert.deepEqual(selectValues(body, at("$['odd key'].x")), [1]);
});

test("the root, missing paths and out-of-range indices", () => {
  assert.deepEqual(selectValues(body, at("$")), [body]);
  assert.deepEqual(selectValues(body, at("$.nope[*]")), []);
  assert.deepEqual(selectValues(body, at("$.predictions[7]")), []);
  assert.deepEqual(selectValues(body, at("$.predictions.label")), []);
  assert.deepEqual(selectValues([10, 20], at("$[1]")), [20]);
  assert.deepEqual(selectValues(7, at("$.a")), []);
  assert.deepEqual(selectValues(NOT_JSON, at("$")), []);
});

test(".. selects at any depth, a node before its descendants", () => {
  assert.deepEqual(selectValues({ x: { x: 1 }, y: [{ x: 2 }] }, at("$..x")), [{ x: 1 }, 1, 2]);
  assert.deepEqual(selectValues(body, at("$..label")), ["cat", "dog"]);
});

test("inherited properties are never selected, own '__proto__' is", () => {
  const parsed = JSON.parse('{"__proto__": {"a": 1}, "b": 2}') as unknown;
  assert.deepEqual(selectValues(parsed, at("$['__proto__'].a")), [1]);
  assert.deepEqual(selectValues({}, at("$.constructor")), []);
  assert.deepEqual(selectValues({ a: [] }, at("$.a.length")), []);
});

test("invalid paths are reported as paths", () => {
  const parsed = parseSelector("predictions");
  assert.equal(parsed.ok, false);
  assert.match(parsed.ok ? "" : parsed.message, /^path "predictions" must start with "\$"/);
});

test("the output array is appended to, so callers can reuse it", () => {
  const out: unknown[] = ["kept"];
  selectValues(body, at("$.predictions[0].label"), out);
  assert.deepEqual(out, ["kept", "cat"]);
});
