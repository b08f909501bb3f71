import assert from "node:assert/strict";
import { test } from "node:test";
import { createComparison, PSI_EPSILON, SKETCH_MAX, SKETCH_MAX_BUCKETS, SKETCH_MIN, SKETCH_RELATIVE_ACCURACY, sketchKey, type DriftState } from "../src/ml/index.js";
import { seeded } from "./fixtures.js";

const rule = { kind: "drift", path: "$.predictions[*].score" } as const;

function preds(...scores: unknown[]): unknown {
  return { predictions: scores.map((score) => ({ score })) };
}

function psiTerm(p: number, c: number): number {
  const pp = Math.max(p, PSI_EPSILON);
  const cc = Math.max(c, PSI_EPSILON);
  return (cc - pp) * Math.log(cc / pp);
}

test("sketch keys are ordered like the values, 1% buckets, bounded", () => {
  const random = seeded(3);
  const values = Array.from({ length: 5000 }, () => (random() < 0.5 ? -1 : 1) * 10 ** (random() * 30 - 12));
  values.push(0, -0, SKETCH_MIN / 2, 1e300, -1e300);
  values.sort((a, b) => a - b);
  for (let i = 1; i < values.length; i++) assert.ok(sketchKey(values[i - 1] as number) <= sketchKey(values[i] as number), `${values[i - 1]} ${values[i]}`);
  assert.equal(sketchKey(0), 0);
  assert.equal(sketchKey(SKETCH_MIN / 2), 0);
  assert.equal(sketchKey(-3), -sketchKey(3));
  assert.equal(sketchKey(1e300), sketchKey(SKETCH_MAX));
  // A bucket spans a factor γ = 1.01/0.99 ≈ 1.0202: values 3% apart never share one, 0.1% apart mostly do.
  let shared = 0;
  for (let x = 0.001; x < 1000; x *= 1.01) {
    assert.notEqual(sketchKey(x), sketchKey(x * 1.03));
    if (sketchKey(x) === sketchKey(x * 1.001)) shared++;
  }
  assert.ok(shared > 0);
  assert.equal(SKETCH_RELATIVE_ACCURACY, 0.01);
  assert.equal(new Set(values.map(sketchKey)).size <= SKETCH_MAX_BUCKETS, true);
  assert.equal(SKETCH_MAX_BUCKETS, 4839);
});

test("identical distributions: PSI 0, KS 0, exact means", () => {
  const drift = createComparison(rule);
  const state = drift.createState();
  for (let i = 0; i < 50; i++) assert.deepEqual(drift.observe(state, preds(i / 10, 0.1), preds(i / 10, 0.1)), []);
  const r = drift.finalise(state);
  assert.equal(r.psi, 0);
  assert.equal(r.ks, 0);
  assert.deepEqual(r.production, { count: 100, mean: (1225 / 10 + 5) / 100, ignored: 0 });
  assert.deepEqual(r.candidate, r.production);
});

test("a known shift gives the exact KS and PSI", () => {
  const drift = createComparison(rule);
  const state = drift.createState();
  // Production: 1..10, ten of each; candidate: 2..11. The CDFs differ by exactly 1/10 everywhere.
  for (let rep = 0; rep < 10; rep++) for (let v = 1; v <= 10; v++) drift.observe(state, preds(v), preds(v + 1));
  const r = drift.finalise(state);
  assert.equal(r.ks, 0.1);
  // Deciles are the ten values; the candidate has nothing at 1 and a tenth above production's range.
  assert.equal(r.psiBins, 11);
  assert.equal(r.psi, psiTerm(0.1, 0) + psiTerm(0.1, 0.1) * 9 + psiTerm(0, 0.1));
  assert.ok(Math.abs((r.psi ?? 0) - 2 * 0.0999 * Math.log(1000)) < 1e-12);
  assert.equal(r.production.mean, 5.5);
  assert.equal(r.candidate.mean, 6.5);
});

test("a point mass that moved away is seen by PSI and KS", () => {
  const drift = createComparison(rule);
  const state = drift.createState();
  for (let i = 0; i < 100; i++) drift.observe(state, preds(1), preds(2));
  const r = drift.finalise(state);
  assert.equal(r.ks, 1);
  assert.equal(r.psiBins, 2);
  assert.equal(r.psi, psiTerm(1, 0) + psiTerm(0, 1));
  assert.ok((r.psi ?? 0) > 18);
});

test("candidate values below production's range get their own bin", () => {
  const drift = createComparison(rule);
  const state = drift.createState();
  // Production 1..10, candidate 0..9: nothing at 10, a tenth at 0, below every production bucket.
  for (let rep = 0; rep < 10; rep++) for (let v = 1; v <= 10; v++) drift.observe(state, preds(v), preds(v - 1));
  const r = drift.finalise(state);
  assert.equal(r.ks, 0.1);
  assert.equal(r.psiBins, 11);
  assert.equal(r.psi, psiTerm(0, 0.1) + psiTerm(0.1, 0.1) * 9 + psiTerm(0.1, 0));
});

test("arrays are flattened, non-numbers ignored, empty sides give nulls", () => {
  const drift = createComparison({ kind: "drift", path: "$.s" });
  const state = drift.createState();
  drift.observe(state, { s: [[1, 2], 3, "x", null] }, { other: 1 });
  const r = drift.finalise(state);
  assert.deepEqual(r.production, { count: 3, mean: 2, ignored: 2 });
  assert.deepEqual(r.candidate, { count: 0, mean: null, ignored: 0 });
  assert.equal(r.psi, null);
  assert.equal(r.ks, null);
});

/** Roughly normal around `mean`, a pure function of the generator. */
function normal(random: () => number, mean: number): number {
  let s = 0;
  for (let i = 0; i < 6; i++) s += random();
  return mean + (s - 3) * 0.1;
}

function exactKs(a: number[], b: number[]): number {
  const xs = [...new Set([...a, ...b])].sort((x, y) => x - y);
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let d = 0;
  for (const x of xs) {
    while (i < sa.length && (sa[i] as number) <= x) i++;
    while (j < sb.length && (sb[j] as number) <= x) j++;
    d = Math.max(d, Math.abs(i / sa.length - j / sb.length));
  }
  return d;
}

function maxShare(state: DriftState): number {
  let m = 0;
  for (const side of [state.production, state.candidate]) for (const n of Object.values(side.buckets)) m = Math.max(m, n / side.count);
  return m;
}

test("KS from the sketch never overstates and understates by at most one bucket's share", () => {
  const drift = createComparison(rule);
  const random = seeded(17);
  for (const shift of [0, 0.01, 0.05, 0.2]) {
    const state = drift.createState();
    const p: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const x = normal(random, 0.5);
      const y = normal(random, 0.5 + shift);
      p.push(x);
      c.push(y);
      drift.observe(state, preds(x), preds(y));
    }
    const ks = drift.finalise(state).ks ?? Number.NaN;
    const exact = exactKs(p, c);
    assert.ok(ks <= exact + 1e-12, `shift ${shift}: ${ks} > ${exact}`);
    assert.ok(exact - ks <= maxShare(state), `shift ${shift}: ${exact} − ${ks} > ${maxShare(state)}`);
  }
});

test("merging split states gives exactly the whole across a JSON round trip, and stays bounded", () => {
  const drift = createComparison(rule);
  const random = seeded(8);
  const all: Array<[unknown, unknown]> = [];
  for (let i = 0; i < 2000; i++) all.push([preds(normal(random, 0.4), normal(random, 0.4)), preds(normal(random, 0.45), random() < 0.01 ? "n/a" : normal(random, 0.45))]);
  const whole = drift.createState();
  for (const [p, c] of all) drift.observe(whole, p, c);
  const parts = [drift.createState(), drift.createState(), drift.createState()];
  for (const [p, c] of all) drift.observe(parts[Math.floor(random() * 3)] as DriftState, p, c);
  const merged = drift.createState();
  for (const i of [1, 0, 2]) drift.merge(merged, JSON.parse(JSON.stringify(parts[i])) as DriftState);
  const r = drift.finalise(whole);
  assert.deepEqual(drift.finalise(merged), r);
  assert.deepEqual(merged.production.buckets, whole.production.buckets);
  assert.ok((r.psi ?? 0) > 0.05 && (r.ks ?? 0) > 0.1 && r.psiBins >= 10);
  assert.ok(r.candidate.ignored > 0);

  // Values across the whole double range still fit the fixed bucket bound.
  const wide = drift.createState();
  for (let i = 0; i < 20000; i++) drift.observe(wide, preds((random() < 0.5 ? -1 : 1) * 10 ** (random() * 600 - 300)), preds(0));
  assert.ok(Object.keys(wide.production.buckets).length <= SKETCH_MAX_BUCKETS);
  assert.ok(JSON.stringify(wide).length < 100_000);
  assert.equal(JSON.stringify(JSON.parse(JSON.stringify(wide))), JSON.stringify(wide));
});
