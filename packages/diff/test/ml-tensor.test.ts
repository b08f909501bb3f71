import assert from "node:assert/strict";
import { test } from "node:test";
import { createComparison, type TensorState } from "../src/ml/index.js";
import { seeded } from "./fixtures.js";

interface Out {
  name: string;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

function v2(...outputs: Out[]): unknown {
  return { model_name: "m", outputs };
}

const probs = (data: unknown, shape: unknown = [1, 3], datatype = "FP32"): Out => ({ name: "probs", shape, datatype, data });

test("a shape change is its own kind and its elements are not compared", () => {
  const tensor = createComparison({ kind: "tensor", path: "$.outputs" });
  const state = tensor.createState();
  assert.deepEqual(tensor.observe(state, v2(probs([0.1, 0.2, 0.7])), v2(probs([0.1, 0.2, 0.7], [3, 1]))), ["tensor-shape"]);
  // Same declared shape but a different element count is a shape change too.
  assert.deepEqual(tensor.observe(state, v2(probs([0.1, 0.2, 0.7])), v2(probs([0.1, 0.2]))), ["tensor-shape"]);
  assert.deepEqual(tensor.finalise(state), {
    kind: "tensor",
    path: "$.outputs",
    compared: 2,
    shapeMismatches: 2,
    dtypeMismatches: 0,
    missingOutputs: 0,
    extraOutputs: 0,
    malformedOutputs: 0,
    valueMismatches: 0,
    elementsCompared: 0,
    elementsMismatched: 0,
    maxAbsDiff: null,
  });
});

test("a dtype change is its own kind; equal values still compare equal", () => {
  const tensor = createComparison({ kind: "tensor", path: "$.outputs" });
  const state = tensor.createState();
  assert.deepEqual(tensor.observe(state, v2(probs([0.1, 0.2, 0.7])), v2(probs([0.1, 0.2, 0.7], [1, 3], "FP16"))), ["tensor-dtype"]);
  const r = tensor.finalise(state);
  assert.equal(r.dtypeMismatches, 1);
  assert.equal(r.shapeMismatches, 0);
  assert.equal(r.valueMismatches, 0);
  assert.equal(r.elementsCompared, 3);
  assert.equal(r.maxAbsDiff, 0);
});

test("elements match like numpy isclose: |c − p| <= absolute + relative·|p|", () => {
  const tensor = createComparison({ kind: "tensor", path: "$.outputs", tolerance: { absolute: 0.5, relative: 0.25 } });
  const state = tensor.createState();
  // 4 → 5.5 is on the boundary (1.5 <= 0.5 + 1), 8 → 11 is not (3 > 2.5), 100 → 125.5 is on
  // the boundary, 100 → 126 is not.
  const p = [4, 8, 100, 100, 1, -2];
  const c = [5.5, 11, 125.5, 126, 1.25, -2];
  assert.deepEqual(tensor.observe(state, v2(probs(p, [6])), v2(probs(c, [6]))), ["tensor-value"]);
  assert.deepEqual(tensor.observe(state, v2(probs(p, [6])), v2(probs(p, [6]))), []);
  const r = tensor.finalise(state);
  assert.equal(r.compared, 2);
  assert.equal(r.valueMismatches, 1);
  assert.equal(r.elementsCompared, 12);
  assert.equal(r.elementsMismatched, 2);
  assert.equal(r.maxAbsDiff, 26);
});

test("outputs match by name; missing and extra ones are counted", () => {
  const tensor = createComparison({ kind: "tensor", path: "$.outputs" });
  const state = tensor.createState();
  const a = { name: "a", shape: [2], datatype: "INT64", data: [1, 2] };
  const b = { name: "b", shape: [1], datatype: "BYTES", data: ["yes"] };
  const c = { name: "c", shape: [1], datatype: "BOOL", data: [true] };
  assert.deepEqual(tensor.observe(state, v2(a, b), v2(c, b)), ["tensor-missing", "tensor-extra"]);
  assert.deepEqual(tensor.observe(state, v2(b, a), v2(a, { ...b, data: ["no"] })), ["tensor-value"]);
  const r = tensor.finalise(state);
  assert.equal(r.compared, 3);
  assert.equal(r.missingOutputs, 1);
  assert.equal(r.extraOutputs, 1);
  assert.equal(r.valueMismatches, 1);
  assert.equal(r.elementsMismatched, 1);
  assert.equal(r.maxAbsDiff, 0);
});

test("nested data is row-major; $.outputs[*] selects the same outputs; malformed items are counted", () => {
  for (const path of ["$.outputs", "$.outputs[*]"]) {
    const tensor = createComparison({ kind: "tensor", path });
    const state = tensor.createState();
    const flat = { name: "t", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] };
    const nested = { ...flat, data: [[1, 2], [3, 4.5]] };
    assert.deepEqual(tensor.observe(state, { outputs: [flat, { shape: [1] }, "x"] }, { outputs: [nested] }), ["tensor-value"]);
    const r = tensor.finalise(state);
    assert.equal(r.elementsCompared, 4);
    assert.equal(r.elementsMismatched, 1);
    assert.equal(r.maxAbsDiff, 0.5);
    assert.equal(r.malformedOutputs, 2);
  }
});

test("merging split states gives exactly the whole across a JSON round trip", () => {
  const tensor = createComparison({ kind: "tensor", path: "$.outputs", tolerance: { absolute: 1e-3, relative: 1e-2 } });
  const random = seeded(5);
  const all: Array<[unknown, unknown]> = [];
  for (let i = 0; i < 400; i++) {
    const data = Array.from({ length: 6 }, () => random() * 10);
    const r = random();
    const cand = r < 0.1 ? probs(data, [3, 2]) : r < 0.2 ? probs(data, [1, 6], "FP64") : probs(data.map((x) => x * (1 + (random() - 0.5) * 0.05)), [1, 6]);
    const extra = random() < 0.1 ? [{ name: "extra", shape: [1], datatype: "FP32", data: [1] }] : [];
    all.push([v2(probs(data, [1, 6]), { name: "logits", shape: [1], datatype: "FP32", data: [1] }), v2(cand, ...extra)]);
  }
  const whole = tensor.createState();
  for (const [p, c] of all) tensor.observe(whole, p, c);
  const parts = [tensor.createState(), tensor.createState(), tensor.createState()];
  all.forEach(([p, c], i) => tensor.observe(parts[i % 3] as TensorState, p, c));
  const merged = JSON.parse(JSON.stringify(parts[1])) as TensorState;
  tensor.merge(merged, JSON.parse(JSON.stringify(parts[2])) as TensorState);
  tensor.merge(merged, JSON.parse(JSON.stringify(parts[0])) as TensorState);
  const r = tensor.finalise(whole);
  assert.deepEqual(tensor.finalise(merged), r);
  assert.equal(r.missingOutputs, 400);
  assert.ok(r.shapeMismatches > 0 && r.dtypeMismatches > 0 && r.extraOutputs > 0 && r.valueMismatches > 0 && r.elementsMismatched < r.elementsCompared);
});
