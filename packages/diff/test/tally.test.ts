import assert from "node:assert/strict";
import { test } from "node:test";
import { MESSAGE_SCHEMAS, type DiffTally } from "@parallax/protocol";
import { Comparator, createTally, mergeTally, summarize, summarizeComparisons, type PairInput, type ScopedComparisonRule } from "../src/index.js";
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
  assert.deepEqual(createTally(), { compared: 0, identical: 0, notComparable: 0, notComparableReasons: {}, endpoints: {}, signatures: {}, combos: {}, overflowPairs: 0, comparisons: {} });
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

const RULES: readonly ScopedComparisonRule[] = [
  { kind: "label", path: "$.predictions[*].label", maxLabels: 3 },
  { kind: "scores", path: "$.predictions[*].scores", topK: 2, tolerance: 0.05 },
  { kind: "tensor", path: "$.outputs", tolerance: { absolute: 0.01 } },
  { kind: "drift", path: "$.predictions[*].scores", endpoint: "POST /b" },
];

/** Model responses, a pure function of i and the seed: label flips among 6 labels, score noise, tensor shape changes, a secondary. */
function mlPairs(n: number): PairInput[] {
  const random = seeded(42);
  const labels = ["ant", "bee", "cat", "dog", "eel", "fox"];
  const out: PairInput[] = [];
  const body = (label: string, scores: number[], shape: number[]): object => ({
    predictions: [{ label, scores }],
    outputs: [{ name: "logits", shape, datatype: "FP32", data: scores }],
  });
  for (let i = 0; i < n; i++) {
    const endpoint = i % 3 === 0 ? "POST /a" : "POST /b";
    const label = labels[Math.floor(random() * labels.length)] as string;
    const scores = [random(), random(), random()];
    const flip = random() < 0.2 ? (labels[Math.floor(random() * labels.length)] as string) : label;
    const moved = scores.map((x) => x + (random() - 0.5) * 0.2);
    const production = ok(200, body(label, scores, [1, 3]));
    const candidate = random() < 0.05 ? ok(503, "busy") : ok(200, body(flip, moved, random() < 0.1 ? [3, 1] : [1, 3]));
    const secondary = i % 5 === 0 ? undefined : ok(200, body(random() < 0.05 ? "ant" : label, scores.map((x) => x + (random() - 0.5) * 0.01), [1, 3]));
    out.push(pair(production, candidate, secondary, endpoint));
  }
  return out;
}

function mlTally(list: PairInput[], seed: number): DiffTally {
  const comparator = new Comparator(options({ rules: RULES, exemplars: 2, random: seeded(seed) }));
  const t = createTally();
  for (const p of list) comparator.compare(p, t);
  return t;
}

const wire = (t: DiffTally): DiffTally => JSON.parse(JSON.stringify(t)) as DiffTally;

test("ML comparisons: merging split tallies (through JSON) equals one tally that saw everything", () => {
  const all = mlPairs(600);
  const whole = mlTally(all, 1);
  const merged = createTally();
  for (const [from, to, seed] of [[0, 250, 2], [250, 251, 3], [251, 600, 4]] as const) {
    mergeTally(merged, wire(mlTally(all.slice(from, to), seed)), { exemplars: 2, random: seeded(seed), rules: RULES });
  }
  const reports = summarizeComparisons(whole, RULES);
  assert.deepEqual(summarizeComparisons(merged, RULES), reports);
  assert.equal(merged.rejectedStates, undefined);
  // Every rule saw data at the endpoints it applies to, with a secondary baseline.
  assert.deepEqual(
    reports.map((r) => [r.endpoint, r.kind, r.secondary !== undefined]),
    [
      ["POST /a", "label", true],
      ["POST /a", "scores", true],
      ["POST /a", "tensor", true],
      ["POST /b", "label", true],
      ["POST /b", "scores", true],
      ["POST /b", "tensor", true],
      ["POST /b", "drift", true],
    ],
  );
  const counts = (t: DiffTally): Record<string, number[]> => Object.fromEntries(Object.entries(t.signatures).map(([k, s]) => [k, [s.candidate, s.secondary, s.both, s.exemplarsSeen]]));
  assert.deepEqual(counts(merged), counts(whole));
  assert.deepEqual(merged.combos, whole.combos);
  assert.ok(Object.keys(whole.signatures).some((k) => k.endsWith("\u001ftensor-shape")) && Object.keys(whole.signatures).some((k) => k.endsWith("\u001flabel")));
  // The label bound (maxLabels 3) folded the same labels whatever the split.
  const label = reports.find((r) => r.kind === "label");
  assert.ok(label?.kind === "label" && Object.hasOwn(label.production, "(other)"));
});

test("the diff schema takes a tally with comparison states and refuses a malformed one", () => {
  const schema = MESSAGE_SCHEMAS["parallax.v1.snapshot"].shape.diff;
  const tally = wire(mlTally(mlPairs(30), 1));
  assert.equal(schema.safeParse(tally).success, true);
  assert.equal(schema.safeParse({ ...tally, rejectedStates: 2 }).success, true);
  const { comparisons: _comparisons, ...without } = tally;
  assert.equal(schema.safeParse(without).success, false);
  assert.equal(schema.safeParse({ ...tally, comparisons: { x: { rule: 0, endpoint: "POST /a", candidate: 3 } } }).success, false);
  assert.equal(schema.safeParse({ ...tally, comparisons: { x: { rule: -1, endpoint: "POST /a", candidate: {} } } }).success, false);
});

test("states that fail validation are skipped and counted, never merged; the rest still merges", () => {
  const from = wire(mlTally(mlPairs(60), 1));
  const keys = Object.keys(from.comparisons).sort();
  const labelKey = "0\u001fPOST /a";
  const tensorKey = "2\u001fPOST /b";
  const driftKey = "3\u001fPOST /b";
  assert.ok(keys.includes(labelKey) && keys.includes(tensorKey) && keys.includes(driftKey));
  const clean = structuredClone(from);
  const entries = from.comparisons as unknown as Record<string, { rule: number; endpoint: string; candidate: Record<string, unknown>; secondary?: Record<string, unknown> }>;
  // A confusion matrix that no longer adds up to its totals (candidate state only).
  const label = entries[labelKey];
  assert.ok(label);
  label.candidate.agreed = (label.candidate.compared as number) + 1;
  // A tensor secondary with a negative count; its candidate state is fine.
  const tensor = entries[tensorKey];
  assert.ok(tensor?.secondary);
  tensor.secondary.compared = -1;
  // A rule the receiver does not know, and a key that does not match its entry.
  entries["9\u001fPOST /a"] = { rule: 9, endpoint: "POST /a", candidate: { kind: "label" } };
  entries["bogus"] = { ...(entries[driftKey] as (typeof entries)[string]) };

  const into = createTally();
  mergeTally(into, from, { exemplars: 2, rules: RULES });
  // 1 label candidate + 1 tensor secondary + 1 unknown rule + 2 (candidate and secondary) under the bogus key.
  assert.equal(into.rejectedStates, 5);
  const reference = createTally();
  mergeTally(reference, clean, { exemplars: 2, rules: RULES });
  const merged = summarizeComparisons(into, RULES);
  const expected = summarizeComparisons(reference, RULES);
  const at = (list: typeof merged, endpoint: string, kind: string) => list.find((r) => r.endpoint === endpoint && r.kind === kind) as Record<string, unknown> | undefined;
  // The bad label candidate state was skipped: only its secondary merged.
  assert.equal(at(merged, "POST /a", "label")?.compared, 0);
  assert.deepEqual(at(merged, "POST /a", "label")?.secondary, at(expected, "POST /a", "label")?.secondary);
  // The tensor candidate merged, its secondary did not.
  const { secondary: _s, ...tensorCandidate } = at(expected, "POST /b", "tensor") ?? {};
  assert.deepEqual(at(merged, "POST /b", "tensor"), tensorCandidate);
  // Everything else is as if nothing had happened.
  assert.deepEqual(at(merged, "POST /b", "drift"), at(expected, "POST /b", "drift"));
  assert.deepEqual(at(merged, "POST /a", "scores"), at(expected, "POST /a", "scores"));

  // Counted rejections add up through further merges.
  const outer = createTally();
  mergeTally(outer, into, { exemplars: 2, rules: RULES });
  assert.equal(outer.rejectedStates, 5);
});

test("without the rules every comparison state is rejected, counted, and the counts still merge", () => {
  const from = mlTally(mlPairs(30), 1);
  const states = Object.values(from.comparisons).reduce((n, e) => n + 1 + (e.secondary === undefined ? 0 : 1), 0);
  const into = createTally();
  mergeTally(into, from, { exemplars: 2 });
  assert.deepEqual(into.comparisons, {});
  assert.equal(into.rejectedStates, states);
  assert.equal(into.compared, from.compared);
});

test("a state with a \"__proto__\" label survives the wire and the merge as data", () => {
  const rules = [{ kind: "label", path: "$.label" }] as const;
  const comparator = new Comparator(options({ rules }));
  const from = createTally();
  comparator.compare(pair(ok(200, { label: "__proto__" }), ok(200, { label: "constructor" })), from);
  const into = createTally();
  mergeTally(into, wire(from), { exemplars: 2, rules });
  mergeTally(into, wire(from), { exemplars: 2, rules });
  assert.equal(into.rejectedStates, undefined);
  const [report] = summarizeComparisons(into, rules);
  assert.ok(report?.kind === "label");
  assert.equal(report.confusion.__proto__?.constructor, 2);
  assert.equal(Object.getPrototypeOf(report.confusion), Object.prototype);
});
