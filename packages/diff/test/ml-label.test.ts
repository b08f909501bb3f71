import assert from "node:assert/strict";
import { test } from "node:test";
import { createComparison, MAX_LABEL_LENGTH, OTHER_LABEL, type LabelState } from "../src/ml/index.js";
import { seeded } from "./fixtures.js";

const rule = { kind: "label", path: "$.predictions[*].label" } as const;

function body(...labels: unknown[]): unknown {
  return { predictions: labels.map((label) => ({ label, score: 0.5 })) };
}

test("known flips give the exact confusion matrix and agreement", () => {
  const labels = createComparison(rule);
  const state = labels.createState();
  // 20 pairs of [cat, dog]: 5 cat→dog flips, 3 dog→bird flips, 32 of 40 agree.
  for (let i = 0; i < 20; i++) {
    const kinds = labels.observe(state, body("cat", "dog"), body(i < 5 ? "dog" : "cat", i >= 5 && i < 8 ? "bird" : "dog"));
    assert.deepEqual(kinds, i < 8 ? ["label"] : []);
  }
  const result = labels.finalise(state);
  assert.deepEqual(result, {
    kind: "label",
    path: "$.predictions[*].label",
    compared: 40,
    agreement: 0.8,
    agreed: 32,
    confusion: { cat: { cat: 15, dog: 5 }, dog: { bird: 3, dog: 17 } },
    production: { cat: 20, dog: 20 },
    candidate: { bird: 3, cat: 15, dog: 22 },
    lengthMismatches: 0,
    unpaired: 0,
  });
  // Reported in label order whatever the arrival order.
  assert.deepEqual(Object.keys(result.confusion.dog ?? {}), ["bird", "dog"]);
  assert.deepEqual(Object.keys(result.candidate), ["bird", "cat", "dog"]);
});

test("labels pair by position; a different count is its own kind and the prefix still counts", () => {
  const labels = createComparison(rule);
  const state = labels.createState();
  assert.deepEqual(labels.observe(state, body("a", "b", "c"), body("a", "x")), ["label-count", "label"]);
  assert.deepEqual(labels.observe(state, body(), body("a")), ["label-count"]);
  assert.deepEqual(labels.observe(state, { nothing: true }, { nothing: true }), []);
  const r = labels.finalise(state);
  assert.equal(r.compared, 2);
  assert.equal(r.agreement, 0.5);
  assert.equal(r.lengthMismatches, 2);
  assert.equal(r.unpaired, 2);
  assert.deepEqual(r.confusion, { a: { a: 1 }, b: { x: 1 } });
});

test("non-string labels are their JSON text; odd keys stay data", () => {
  const labels = createComparison({ kind: "label", path: "$.l[*]" });
  const state = labels.createState();
  labels.observe(state, { l: [1, true, null, { k: 1 }, "__proto__", "constructor", "1"] }, { l: [1, false, null, { k: 1 }, "__proto__", "toString", 1] });
  const r = labels.finalise(state);
  assert.deepEqual(Object.keys(r.production), ["1", "__proto__", "constructor", "null", "true", '{"k":1}']);
  assert.equal(r.confusion["1"]?.["1"], 2);
  assert.equal(r.confusion.true?.false, 1);
  assert.equal(r.confusion.constructor?.toString, 1);
  assert.equal(Object.hasOwn(r.confusion, "__proto__"), true);
  assert.equal(r.agreed, 5); // "1" and 1 have the same text: the structural diff reports the type change.
  assert.equal(Object.getPrototypeOf(r.confusion), Object.prototype);
  assert.equal(JSON.stringify(JSON.parse(JSON.stringify(r))), JSON.stringify(r));
});

test("the bound keeps the smallest labels per side, folds the rest, and never touches agreement", () => {
  const labels = createComparison({ kind: "label", path: "$.l[*]", maxLabels: 2 });
  const forward = labels.createState();
  const backward = labels.createState();
  const pairs: Array<[string, string]> = [
    ["e", "e"],
    ["d", "f"],
    ["a", "a"],
    ["c", "b"],
    ["b", "b"],
    ["a", "e"],
  ];
  for (const [p, c] of pairs) labels.observe(forward, { l: [p] }, { l: [c] });
  for (const [p, c] of [...pairs].reverse()) labels.observe(backward, { l: [p] }, { l: [c] });
  const expected = {
    a: { a: 1, [OTHER_LABEL]: 1 },
    b: { b: 1 },
    [OTHER_LABEL]: { b: 1, [OTHER_LABEL]: 2 },
  };
  assert.deepEqual(labels.finalise(forward).confusion, expected);
  assert.deepEqual(labels.finalise(backward).confusion, expected);
  assert.deepEqual(labels.finalise(forward).production, { a: 2, b: 1, [OTHER_LABEL]: 3 });
  assert.deepEqual(labels.finalise(forward).candidate, { a: 1, b: 2, [OTHER_LABEL]: 3 });
  // d→f folds into (other)→(other) but is still a disagreement.
  assert.equal(labels.finalise(forward).agreed, 3);
  assert.deepEqual(Object.keys(labels.finalise(forward).confusion), ["a", "b", OTHER_LABEL]);
});

test("the matrix stays bounded with many distinct labels, and long labels are cut", () => {
  const labels = createComparison({ kind: "label", path: "$.l" });
  const state = labels.createState();
  for (let i = 0; i < 1000; i++) labels.observe(state, { l: `p${i}` }, { l: `c${(i * 7) % 1000}` });
  labels.observe(state, { l: "a".repeat(5000) }, { l: "a".repeat(5000) });
  assert.equal(Object.keys(state.confusion).length, 101);
  const columns = new Set(Object.values(state.confusion).flatMap((row) => Object.keys(row)));
  assert.ok(columns.size <= 101, `${columns.size} columns`);
  assert.equal(Object.keys(state.candidate).length, 101);
  const long = Object.keys(state.production).find((k) => k.startsWith("aaa"));
  assert.equal(long?.length, MAX_LABEL_LENGTH);
  assert.ok(long?.endsWith("…"));
  const r = labels.finalise(state);
  assert.equal(r.compared, 1001);
  assert.equal(r.agreed, 1);
  assert.equal(Object.values(r.production).reduce((a, b) => a + b, 0), 1001);
  assert.ok(JSON.stringify(state).length < 200_000);
});

/** Pairs drawn from 30 labels with a skew and 25% flips, a pure function of the seed. */
function draws(n: number, seed: number): Array<[unknown, unknown]> {
  const random = seeded(seed);
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(random() * 3);
    const p: string[] = [];
    const c: string[] = [];
    for (let j = 0; j < k; j++) {
      const label = `class-${Math.floor(random() * random() * 30)}`;
      p.push(label);
      c.push(random() < 0.25 ? `class-${Math.floor(random() * 30)}` : label);
    }
    if (random() < 0.05) c.pop();
    out.push([body(...p), body(...c)]);
  }
  return out;
}

test("merging split states gives exactly the whole, in any order, across a JSON round trip", () => {
  for (const maxLabels of [8, 100]) {
    const labels = createComparison({ kind: "label", path: "$.predictions[*].label", maxLabels });
    const all = draws(600, 11);
    const whole = labels.createState();
    for (const [p, c] of all) labels.observe(whole, p, c);

    const parts = [labels.createState(), labels.createState(), labels.createState()];
    all.forEach(([p, c], i) => labels.observe(parts[i < 100 ? 0 : i < 450 ? 1 : 2] as LabelState, p, c));
    const wire = parts.map((s) => JSON.parse(JSON.stringify(s)) as LabelState);
    const snapshot = JSON.stringify(wire[1]);

    const merged = labels.createState();
    labels.merge(merged, wire[2] as LabelState);
    labels.merge(merged, wire[0] as LabelState);
    labels.merge(merged, wire[1] as LabelState);
    assert.deepEqual(labels.finalise(merged), labels.finalise(whole));
    assert.equal(JSON.stringify(wire[1]), snapshot, "merge must not change its source");

    // Merging into a non-empty state, the other way round.
    const other = JSON.parse(JSON.stringify(wire[1])) as LabelState;
    labels.merge(other, wire[0] as LabelState);
    labels.merge(other, wire[2] as LabelState);
    assert.deepEqual(labels.finalise(other), labels.finalise(whole));

    const r = labels.finalise(whole);
    // The data really needs the bound when it is 8, and does not when it is 100.
    assert.equal(Object.hasOwn(r.confusion, OTHER_LABEL), maxLabels === 8);
    assert.ok(r.lengthMismatches > 0 && r.agreed < r.compared);
  }
});

test("labels that differ only beyond the cut share a matrix key but still disagree", () => {
  const labels = createComparison({ kind: "label", path: "$.l" });
  const state = labels.createState();
  const stem = "x".repeat(MAX_LABEL_LENGTH + 10);
  assert.deepEqual(labels.observe(state, { l: `${stem}a` }, { l: `${stem}b` }), ["label"]);
  const r = labels.finalise(state);
  assert.equal(r.agreed, 0);
  assert.deepEqual(Object.values(r.confusion).map((row) => Object.values(row)), [[1]]);
});

test("a merge folds the labels that the union pushes beyond the bound, on both sides", () => {
  const labels = createComparison({ kind: "label", path: "$.l", maxLabels: 2 });
  const high = labels.createState();
  const low = labels.createState();
  const whole = labels.createState();
  // Each part alone fits the bound; together they do not.
  for (const [p, c] of [["y", "w"], ["z", "x"], ["y", "x"]]) {
    labels.observe(high, { l: p }, { l: c });
    labels.observe(whole, { l: p }, { l: c });
  }
  for (const [p, c] of [["a", "c"], ["b", "d"]]) {
    labels.observe(low, { l: p }, { l: c });
    labels.observe(whole, { l: p }, { l: c });
  }
  const expected = { a: { c: 1 }, b: { d: 1 }, [OTHER_LABEL]: { [OTHER_LABEL]: 3 } };
  assert.deepEqual(labels.finalise(whole).confusion, expected);
  for (const [first, second] of [[high, low], [low, high]] as const) {
    const merged = labels.createState();
    labels.merge(merged, first);
    labels.merge(merged, second);
    assert.deepEqual(labels.finalise(merged), labels.finalise(whole));
  }
});

test("merge copies: changing the merged state leaves the source alone", () => {
  const labels = createComparison(rule);
  const from = labels.createState();
  labels.observe(from, body("a"), body("b"));
  const into = labels.createState();
  labels.merge(into, from);
  labels.observe(into, body("a"), body("b"));
  assert.equal(from.confusion.a?.b, 1);
  assert.equal(into.confusion.a?.b, 2);
});
