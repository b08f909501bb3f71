import assert from "node:assert/strict";
import { test } from "node:test";
import { COMPARISON_KINDS, createComparison, isValidState, MAX_PARTIALS, SKETCH_MAX_BUCKETS, type ComparisonKind } from "../src/ml/index.js";

type Json = Record<string, unknown>;

/** A state of each kind that saw some data, as it arrives from the wire. */
function states(): Record<ComparisonKind, Json> {
  const label = createComparison({ kind: "label", path: "$.p[*].l", maxLabels: 2 });
  const scores = createComparison({ kind: "scores", path: "$.p[*].s", topK: 2, tolerance: 0.01 });
  const tensor = createComparison({ kind: "tensor", path: "$.outputs" });
  const drift = createComparison({ kind: "drift", path: "$.p[*].s" });
  const ls = label.createState();
  const ss = scores.createState();
  const ts = tensor.createState();
  const ds = drift.createState();
  const body = (l: string[], s: number[][]) => ({ p: l.map((x, i) => ({ l: x, s: s[i] })) });
  const out = (data: number[], shape = [data.length]) => ({ outputs: [{ name: "o", shape, datatype: "FP32", data }] });
  for (let i = 0; i < 10; i++) {
    label.observe(ls, body(["a", "b", "c"], []), body([i < 3 ? "b" : "a", "b", i < 2 ? "d" : "c"], []));
    scores.observe(ss, body(["x"], [[0.1, 0.5, 0.4]]), body(["x"], [[0.1 + i / 100, 0.5, 0.4]]));
    tensor.observe(ts, out([1, 2, 3]), i < 2 ? out([1, 2]) : out([1, 2, 3 + i]));
    drift.observe(ds, body(["x"], [[i, -i, 1e-12]]), body(["x"], [[i * 2, 0.5]]));
  }
  return JSON.parse(JSON.stringify({ label: ls, scores: ss, tensor: ts, drift: ds })) as Record<ComparisonKind, Json>;
}

/** The fields of a label state that saw each label once, agreeing: consistent in every other way. */
function diagonal(labels: readonly string[]): Json {
  const totals = Object.fromEntries(labels.map((l) => [l, 1]));
  return { compared: labels.length, agreed: labels.length, production: totals, candidate: { ...totals }, confusion: Object.fromEntries(labels.map((l) => [l, { [l]: 1 }])) };
}

test("real states of every kind are valid after a JSON round trip; fresh ones too", () => {
  const all = states();
  for (const kind of COMPARISON_KINDS) {
    assert.equal(isValidState(kind, all[kind]), true, kind);
    assert.equal(isValidState(kind, createComparison({ kind, path: "$.x" }).createState()), true, `${kind} fresh`);
  }
  // Labels beyond maxLabels were folded into "(other)": still valid.
  assert.ok(Object.hasOwn(all.label.production as Json, "(other)"));
  // The bounds themselves are not too tight: 1000 labels plus "(other)", labels of 200 units.
  assert.equal(isValidState("label", { ...all.label, ...diagonal([...Array.from({ length: 1000 }, (_, i) => `l${i}`), "(other)"]) }), true);
  assert.equal(isValidState("label", { ...all.label, ...diagonal(["x".repeat(200)]) }), true);
});

test("a state of another kind, or no object at all, is not valid", () => {
  const all = states();
  assert.equal(isValidState("label", all.scores), false);
  assert.equal(isValidState("histogram", all.label), false);
  for (const bad of [null, 3, "label", [], { kind: "label" }]) assert.equal(isValidState("label", bad), false, JSON.stringify(bad));
});

/** Each change must make the state invalid. */
const corruptions: Record<ComparisonKind, Array<[string, (s: Json) => void]>> = {
  label: [
    ["negative count", (s) => (s.unpaired = -1)],
    ["fractional count", (s) => (s.compared = (s.compared as number) + 0.5)],
    ["string count", (s) => (s.lengthMismatches = "0")],
    ["agreed > compared", (s) => (s.agreed = (s.compared as number) + 1)],
    ["row does not sum to its total", (s) => ((s.confusion as Record<string, Json>).a = { a: 1 })],
    ["column does not sum to its total", (s) => ((s.candidate as Json).b = ((s.candidate as Json).b as number) + 1)],
    ["cell in an unknown column", (s) => ((s.confusion as Record<string, Json>).b = { zzz: (s.production as Json).b })],
    ["row of a label production lacks", (s) => ((s.confusion as Record<string, Json>).q = {})],
    ["matrix not an object", (s) => (s.confusion = [])],
    ["too many labels", (s) => Object.assign(s, diagonal(Array.from({ length: 1002 }, (_, i) => `l${i}`)))],
    ["over-long label", (s) => Object.assign(s, diagonal(["x".repeat(201)]))],
  ],
  scores: [
    ["NaN maximum (null on the wire)", (s) => (s.maxAbsDiff = null)],
    ["negative maximum", (s) => (s.maxAbsDiff = -1)],
    ["sum not a list", (s) => (s.absDiffSum = 3)],
    ["sum with a string partial", (s) => (s.absDiffSum = ["1"])],
    ["sum too long", (s) => (s.absDiffSum = Array.from({ length: MAX_PARTIALS + 1 }, () => 1))],
    ["huge partial", (s) => (s.absDiffSum = [1e308])],
    ["more out of tolerance than compared", (s) => (s.outOfTolerance = (s.compared as number) + 1)],
    ["more top-k hits than slots", (s) => (s.topKHits = (s.topKSlots as number) + 1)],
    ["missing count", (s) => delete s.incomparable],
  ],
  tensor: [
    ["mismatched beyond compared", (s) => (s.elementsMismatched = (s.elementsCompared as number) + 1)],
    ["more shape and value mismatches than outputs", (s) => (s.shapeMismatches = s.compared)],
    ["unsafe integer", (s) => (s.compared = 2 ** 60)],
    ["maximum beyond any difference", (s) => (s.maxAbsDiff = 1e300)],
  ],
  drift: [
    ["bucket counts do not add up", (s) => (((s.production as Json).buckets as Json)["1"] = 99)],
    ["non-canonical bucket key", (s) => ((s.candidate as Json).buckets = { "01": (s.candidate as Json).count })],
    ["bucket key out of range", (s) => ((s.candidate as Json).buckets = { [String(SKETCH_MAX_BUCKETS)]: (s.candidate as Json).count })],
    ["missing side", (s) => delete s.candidate],
    ["bad sum", (s) => ((s.production as Json).sum = [Number.MAX_VALUE])],
  ],
};

test("corrupted states are not valid", () => {
  for (const kind of COMPARISON_KINDS) {
    for (const [what, corrupt] of corruptions[kind]) {
      const state = states()[kind];
      corrupt(state);
      assert.equal(isValidState(kind, state), false, `${kind}: ${what}`);
    }
  }
});
