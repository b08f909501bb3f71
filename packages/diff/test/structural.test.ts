import assert from "node:assert/strict";
import { test } from "node:test";
import { diffJson, IgnoreMatcher, type JsonRules } from "../src/index.js";

function rules(ignore: string[] = [], absolute = 0, relative = 0): JsonRules {
  return { ignore: new IgnoreMatcher(ignore), tolerance: { absolute, relative } };
}

test("identical documents have no differences", () => {
  const doc = { a: [1, { b: null, c: "x" }], d: true };
  assert.deepEqual(diffJson(doc, structuredClone(doc), rules()), []);
});

test("changed: same JSON type, other value", () => {
  assert.deepEqual(diffJson({ a: 1, b: "x", c: true }, { a: 2, b: "y", c: true }, rules()), [
    { path: "$.a", signaturePath: "$.a", kind: "changed", production: 1, other: 2 },
    { path: "$.b", signaturePath: "$.b", kind: "changed", production: "x", other: "y" },
  ]);
});

test("type: JSON types differ, reported once at that path", () => {
  assert.deepEqual(diffJson({ a: 1, b: { x: 1 }, c: null, d: [1] }, { a: "1", b: [1], c: 0, d: { 0: 1 } }, rules()), [
    { path: "$.a", signaturePath: "$.a", kind: "type", production: 1, other: "1" },
    { path: "$.b", signaturePath: "$.b", kind: "type", production: { x: 1 }, other: [1] },
    { path: "$.c", signaturePath: "$.c", kind: "type", production: null, other: 0 },
    { path: "$.d", signaturePath: "$.d", kind: "type", production: [1], other: { 0: 1 } },
  ]);
  assert.deepEqual(diffJson([1], { a: 1 }, rules()), [{ path: "$", signaturePath: "$", kind: "type", production: [1], other: { a: 1 } }]);
});

test("added and removed keys and indices", () => {
  assert.deepEqual(diffJson({ a: 1, keep: 0 }, { keep: 0, b: { deep: 1 } }, rules()), [
    { path: "$.a", signaturePath: "$.a", kind: "removed", production: 1 },
    { path: "$.b", signaturePath: "$.b", kind: "added", other: { deep: 1 } },
  ]);
  assert.deepEqual(diffJson([1, 2, 3], [1], rules()), [
    { path: "$[1]", signaturePath: "$[*]", kind: "removed", production: 2 },
    { path: "$[2]", signaturePath: "$[*]", kind: "removed", production: 3 },
  ]);
  assert.deepEqual(diffJson({ l: [] }, { l: [null] }, rules()), [{ path: "$.l[0]", signaturePath: "$.l[*]", kind: "added", other: null }]);
});

test("nested arrays compare by index at every level", () => {
  assert.deepEqual(diffJson({ p: [[1, 2], [3], [{ s: 0.5 }]] }, { p: [[1, 5], [3, 4], [{ s: 0.75 }]] }, rules()), [
    { path: "$.p[0][1]", signaturePath: "$.p[*][*]", kind: "changed", production: 2, other: 5 },
    { path: "$.p[1][1]", signaturePath: "$.p[*][*]", kind: "added", other: 4 },
    { path: "$.p[2][0].s", signaturePath: "$.p[*][*].s", kind: "changed", production: 0.5, other: 0.75 },
  ]);
});

test("keys that need quoting are written ['...']", () => {
  const a = { "odd key": 1, "it's": 1, "a.b": 1, "x\ny": 1, ok_1: 1 };
  const b = { "odd key": 2, "it's": 2, "a.b": 2, "x\ny": 2, ok_1: 2 };
  assert.deepEqual(
    diffJson(a, b, rules()).map((d) => d.path),
    ["$['odd key']", "$['it\\'s']", "$['a.b']", "$['x\\ny']", "$.ok_1"],
  );
});

test("numbers within tolerance are equal", () => {
  assert.deepEqual(diffJson({ s: [1, 2, 100] }, { s: [1.25, 2.5, 110] }, rules([], 0.25, 0.0625)), [
    // 2 vs 2.5: max(0.25, 0.0625·2.5) = 0.25 < 0.5
    { path: "$.s[1]", signaturePath: "$.s[*]", kind: "changed", production: 2, other: 2.5 },
    // 100 vs 110: max(0.25, 0.0625·110) = 6.875 < 10
    { path: "$.s[2]", signaturePath: "$.s[*]", kind: "changed", production: 100, other: 110 },
  ]);
  assert.deepEqual(diffJson({ s: [1, 2, 100] }, { s: [1.25, 2.125, 106] }, rules([], 0.25, 0.0625)), []);
});

test("ignore patterns drop the matched subtree: wildcards, exact index, descendants", () => {
  const production = { predictions: [{ id: "a", label: "cat", meta: { t: 1 } }, { id: "b", label: "dog", meta: { t: 2 } }], items: [1, 2, 3] };
  const candidate = { predictions: [{ id: "x", label: "cat", meta: { t: 9 } }, { id: "y", label: "cow", meta: { t: 8, extra: 1 } }], items: [0, 2, 0] };
  assert.deepEqual(
    diffJson(production, candidate, rules(["$.predictions[*].id", "$.predictions[0].meta", "$.items[2]"])).map((d) => `${d.kind} ${d.path}`),
    ["changed $.predictions[1].label", "changed $.predictions[1].meta.t", "added $.predictions[1].meta.extra", "changed $.items[0]"],
  );
  assert.deepEqual(
    diffJson(production, candidate, rules(["$..id", "$..meta", "$.items"])).map((d) => `${d.kind} ${d.path}`),
    ["changed $.predictions[1].label"],
  );
  assert.deepEqual(diffJson(production, candidate, rules(["$"])), []);
  // An ignored key that only one side has is not reported as added/removed either.
  assert.deepEqual(diffJson({ a: 1, t: 1 }, { a: 1, u: 2 }, rules(["$.t", "$.u"])), []);
  assert.deepEqual(diffJson([1], [1, 2, 3], rules(["$[1]"])), [{ path: "$[2]", signaturePath: "$[*]", kind: "added", other: 3 }]);
});

test("limit stops the walk", () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const b = a.map((x) => x + 1);
  assert.equal(diffJson(a, b, rules(), 20).length, 20);
  assert.deepEqual(diffJson(a, b, rules(), 0), []);
});
