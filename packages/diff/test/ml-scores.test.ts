import assert from "node:assert/strict";
import { test } from "node:test";
import { createComparison, topIndices, type ScoresState } from "../src/ml/index.js";
import { seeded } from "./fixtures.js";

function preds(...scores: unknown[]): unknown {
  return { predictions: scores.map((s) => ({ scores: s })) };
}

test("a known perturbation gives the exact max and mean absolute difference, tolerance and top-1", () => {
  const scores = createComparison({ kind: "scores", path: "$.predictions[*].scores", tolerance: 0.1 });
  const state = scores.createState();
  const base = [0.25, 0.5, 0.125, 0.125];
  // 10 arrays, dyadic so every difference is exact: #0 +0.125 on element 2 (out of tolerance,
  // argmax stays 1); #1 −0.375 on element 1 (out, argmax moves to 0); #2 +0.0625 (within).
  const candidates = Array.from({ length: 10 }, (_, i) => {
    const c = [...base];
    if (i === 0) c[2] = 0.25;
    if (i === 1) c[1] = 0.125;
    if (i === 2) c[3] = 0.1875;
    return c;
  });
  candidates.forEach((c, i) => {
    assert.deepEqual(scores.observe(state, preds(base), preds(c)), i < 2 ? ["scores"] : []);
  });
  assert.deepEqual(scores.finalise(state), {
    kind: "scores",
    path: "$.predictions[*].scores",
    compared: 10,
    maxAbsDiff: 0.375,
    meanAbsDiff: (0.125 + 0.375 + 0.0625) / 40,
    topK: 1,
    topKOverlap: 0.9,
    outOfTolerance: 2,
    lengthMismatches: 0,
    incomparable: 0,
  });
});

test("top-k overlap is the share of the k best indices both sides agree on", () => {
  const scores = createComparison({ kind: "scores", path: "$.s", topK: 2 });
  const state = scores.createState();
  scores.observe(state, { s: [0.1, 0.4, 0.3, 0.2] }, { s: [0.1, 0.4, 0.2, 0.3] }); // {1,2} vs {1,3}: 1 of 2
  scores.observe(state, { s: [0.5, 0.5, 0] }, { s: [0.5, 0.5, 0] }); // ties: {0,1} both: 2 of 2
  scores.observe(state, { s: [1] }, { s: [2] }); // one element: k = 1, 1 of 1
  scores.observe(state, { s: 3 }, { s: 3 }); // a number has no top-k
  const r = scores.finalise(state);
  assert.equal(r.topKOverlap, 4 / 5);
  assert.equal(r.compared, 4);
  assert.equal(r.maxAbsDiff, 1);
  assert.equal(r.outOfTolerance, 2); // tolerance 0 by default: the first and third pairs
});

test("topIndices ranks larger first, ties to the lower index, the same by insertion and by sort", () => {
  assert.deepEqual(topIndices([3, 1, 3, 2], 2, []), [0, 2]);
  assert.deepEqual(topIndices([1, 2, 3], 5, []), [2, 1, 0]);
  assert.deepEqual(topIndices([], 3, []), []);
  const random = seeded(4);
  for (let trial = 0; trial < 50; trial++) {
    const values = Array.from({ length: 80 }, () => Math.floor(random() * 20) / 4);
    const brute = values.map((_, i) => i).sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
    assert.deepEqual(topIndices(values, 5, []), brute.slice(0, 5));
    assert.deepEqual(topIndices(values, 40, []), brute.slice(0, 40));
  }
});

test("values that cannot be compared are counted, not guessed at", () => {
  const scores = createComparison({ kind: "scores", path: "$.predictions[*].scores" });
  const state = scores.createState();
  assert.deepEqual(scores.observe(state, preds([1, 2]), preds([1, 2, 3])), ["scores-shape"]);
  assert.deepEqual(scores.observe(state, preds([1, "2"]), preds([1, 2])), ["scores-shape"]);
  assert.deepEqual(scores.observe(state, preds(1), preds([1])), ["scores-shape"]);
  assert.deepEqual(scores.observe(state, preds([1], [JSON.parse("1e999")]), preds([1], [1])), ["scores-shape"]);
  assert.deepEqual(scores.observe(state, preds([1], [2]), preds([1])), ["scores-count"]);
  const r = scores.finalise(state);
  assert.equal(r.incomparable, 4);
  assert.equal(r.lengthMismatches, 1);
  assert.equal(r.compared, 2);
  assert.equal(r.maxAbsDiff, 0);
  assert.equal(r.meanAbsDiff, 0);
});

test("an empty state finalises to nulls, not NaN", () => {
  const scores = createComparison({ kind: "scores", path: "$.s" });
  const r = scores.finalise(scores.createState());
  assert.equal(r.maxAbsDiff, null);
  assert.equal(r.meanAbsDiff, null);
  assert.equal(r.topKOverlap, null);
});

test("merging split states gives exactly the whole across a JSON round trip", () => {
  const scores = createComparison({ kind: "scores", path: "$.predictions[*].scores", topK: 3, tolerance: { absolute: 0.01, relative: 0.05 } });
  const random = seeded(21);
  const all: Array<[unknown, unknown]> = [];
  for (let i = 0; i < 500; i++) {
    const n = 2 + Math.floor(random() * 2);
    const p: number[][] = [];
    const c: number[][] = [];
    for (let j = 0; j < n; j++) {
      const row = Array.from({ length: 10 }, () => random());
      p.push(row);
      c.push(row.map((x) => (random() < 0.3 ? x + (random() - 0.5) * 0.1 : x)));
    }
    if (random() < 0.03) c.pop();
    all.push([preds(...p), preds(...c)]);
  }
  const whole = scores.createState();
  for (const [p, c] of all) scores.observe(whole, p, c);
  const parts = [scores.createState(), scores.createState()];
  all.forEach(([p, c], i) => scores.observe(parts[i % 7 === 0 ? 0 : 1] as ScoresState, p, c));
  const merged = scores.createState();
  for (const part of [...parts].reverse()) scores.merge(merged, JSON.parse(JSON.stringify(part)) as ScoresState);
  const r = scores.finalise(whole);
  assert.deepEqual(scores.finalise(merged), r);
  assert.ok(r.outOfTolerance > 0 && r.outOfTolerance < r.compared && r.lengthMismatches > 0);
  assert.ok(r.topKOverlap !== null && r.topKOverlap > 0.5 && r.topKOverlap < 1);
  assert.ok(whole.absDiffSum.length <= 40);
});
