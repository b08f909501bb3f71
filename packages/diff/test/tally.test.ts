import assert from "node:assert/strict";
import { test } from "node:test";
import type { DiffTally } from "@parallax/protocol";
import { Comparator, createTally, mergeTally, summarize, type PairInput } from "../src/index.js";
import { failed, ok, options, pair, seeded } from "./fixtures.js";

/** Mixed pairs, a pure function of i and the seed: failures, secondaries, several endpoints. */
function pairs(n: number): PairInput[] {
  const random = seeded(99);
  const out: PairInput[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    const endpoint = i % 3 === 0 ? "GET /a" : "POST /b";
    const production = ok(200, { id: i, label: "x", scores: [1, 2, 3] });
    const candidate =
      r < 0.05 ? failed() : r < 0.15 ? ok(500, "err") : ok(200, { id: r < 0.5 ? i : -i, label: r < 0.3 ? "y" : "x", scores: [1, r < 0.6 ? 2 : 9, 3] });
    const secondary = i % 4 === 0 ? undefined : r > 0.95 ? failed() : ok(200, { id: r < 0.7 ? i : -i, label: "x", scores: [1, 2, 3] });
    out.push(pair(production, candidate, secondary, endpoint));
  }
  return out;
}

function tallyOf(list: PairInput[], seed: number): DiffTally {
  const comparator = new Comparator(options({ exemplars: 3, maxExemplarBodyBytes: 8, random: seeded(seed) }));
  const t = createTally();
  for (const p of list) comparator.compare(p, t);
  return t;
}

test("createTally is empty", () => {
  assert.deepEqual(createTally(), { compared: 0, identical: 0, notComparable: 0, notComparableReasons: {}, endpoints: {}, signatures: {}, combos: {}, overflowPairs: 0 });
});

test("merging two halves gives the counts and combos of the whole", () => {
  const all = pairs(400);
  const whole = tallyOf(all, 1);
  const merged = createTally();
  mergeTally(merged, tallyOf(all.slice(0, 170), 2), { exemplars: 3, random: seeded(3) });
  mergeTally(merged, tallyOf(all.slice(170), 4), { exemplars: 3, random: seeded(5) });

  const strip = (t: DiffTally): unknown => {
    const signatures: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(t.signatures)) signatures[k] = [s.endpoint, s.path, s.kind, s.candidate, s.secondary, s.both, s.exemplarsSeen];
    return { ...t, signatures };
  };
  assert.deepEqual(strip(merged), strip(whole));
  // The data really has all the parts the merge must add.
  assert.ok(whole.notComparable > 0 && whole.identical > 0 && Object.keys(whole.combos).length >= 4 && Object.keys(whole.endpoints).length === 2);
  for (const s of Object.values(merged.signatures)) {
    assert.ok(s.exemplars.length <= 3);
    assert.equal(s.exemplars.length, Math.min(3, s.exemplarsSeen));
    for (const e of s.exemplars) {
      for (const r of Object.values(e.responses)) if (r.body !== undefined) assert.ok(r.body.length <= 8, r.body);
    }
  }
  assert.deepEqual(summarize(merged, { alpha: 0.05, minEffect: 0 }).groups.map((g) => [g.path, g.count, g.noise]), summarize(whole, { alpha: 0.05, minEffect: 0 }).groups.map((g) => [g.path, g.count, g.noise]));
});

test("merge leaves the source untouched and shares nothing mutable", () => {
  const from = tallyOf(pairs(100), 6);
  const snapshot = structuredClone(from);
  const into = createTally();
  mergeTally(into, from, { exemplars: 2, random: seeded(7) });
  mergeTally(into, from, { exemplars: 2, random: seeded(8) });
  assert.deepEqual(from, snapshot);
  assert.equal(into.compared, 2 * from.compared);
  const k = Object.keys(from.endpoints)[0] as string;
  assert.equal(into.endpoints[k]?.compared, 2 * (from.endpoints[k]?.compared ?? 0));
  for (const [key, s] of Object.entries(into.signatures)) {
    assert.equal(s.exemplarsSeen, 2 * (from.signatures[key]?.exemplarsSeen ?? 0));
    assert.ok(s.exemplars.length <= 2, "merge shrinks reservoirs to the merge size");
  }
});

test("the comparator keeps bounding a merged tally", () => {
  const comparator = new Comparator(options({ maxSignatures: 2 }));
  const into = createTally();
  comparator.compare(pair(ok(200, { a: 1 }), ok(200, { a: 2 })), into);
  const other = createTally();
  comparator.compare(pair(ok(200, { b: 1 }), ok(200, { b: 2 })), other);
  mergeTally(into, other, { exemplars: 3 });
  // Two signatures now: a third one must overflow although the cached size said 1.
  comparator.compare(pair(ok(200, { c: 1 }), ok(200, { c: 2 })), into);
  assert.equal(Object.keys(into.signatures).length, 2);
  assert.equal(into.overflowPairs, 1);
});
