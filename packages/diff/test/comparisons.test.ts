import assert from "node:assert/strict";
import { test } from "node:test";
import { DIFF_KINDS, signatureKey, type ComparisonReport as ReportedComparison, type DiffKind, type DiffTally } from "@parallax/protocol";
import { Comparator, createTally, ML_DIFF_KINDS, summarize, summarizeComparisons, type PairInput, type ScopedComparisonRule } from "../src/index.js";
import { ENDPOINT, ok, options, pair } from "./fixtures.js";

const LABEL_PATH = "$.predictions[*].label";
const SCORES_PATH = "$.predictions[*].scores";
const NOISE = { alpha: 0.05, minEffect: 0.001 };

function run(pairs: readonly PairInput[], rules: readonly ScopedComparisonRule[], exemplars = 3): DiffTally {
  const comparator = new Comparator(options({ rules, exemplars }));
  const tally = createTally();
  for (const p of pairs) comparator.compare(p, tally);
  return tally;
}

const key = (path: string, kind: DiffKind, endpoint = ENDPOINT): string => signatureKey({ endpoint, path, kind });

function counts(tally: DiffTally): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const [k, s] of Object.entries(tally.signatures)) out[k] = [s.candidate, s.secondary, s.both];
  return out;
}

function predictions(labels: readonly string[], scores: readonly number[][] = labels.map(() => [0.5, 0.5])): object {
  return { predictions: labels.map((label, i) => ({ label, scores: scores[i] })) };
}

test("the ML kinds are diff kinds", () => {
  for (const kind of ML_DIFF_KINDS) assert.ok(DIFF_KINDS.includes(kind), kind);
});

test("ground truth: known label flips give the exact confusion matrix, agreement and signature counts", () => {
  const rules = [{ kind: "label", path: LABEL_PATH }] as const;
  const pairs: PairInput[] = [];
  // 200 pairs of [cat, dog]: the candidate flips cat→dog in pairs 0–29 and dog→bird in 30–39;
  // the secondary flips cat→dog in pairs 0, 50, 100 and 150.
  for (let i = 0; i < 200; i++) {
    const candidate = [i < 30 ? "dog" : "cat", i >= 30 && i < 40 ? "bird" : "dog"];
    const secondary = [i % 50 === 0 ? "dog" : "cat", "dog"];
    pairs.push(pair(ok(200, predictions(["cat", "dog"])), ok(200, predictions(candidate)), ok(200, predictions(secondary))));
  }
  const tally = run(pairs, rules);
  // Only the rule's signature: the label path is not also a structural `changed`.
  assert.deepEqual(counts(tally), { [key(LABEL_PATH, "label")]: [40, 4, 1] });
  assert.deepEqual(tally.combos, { [key(LABEL_PATH, "label")]: 40 });
  assert.equal(tally.identical, 160);

  const reports = summarizeComparisons(tally, rules);
  assert.deepEqual(reports, [
    {
      endpoint: ENDPOINT,
      path: LABEL_PATH,
      kind: "label",
      compared: 400,
      agreement: 0.9,
      agreed: 360,
      confusion: { cat: { cat: 170, dog: 30 }, dog: { bird: 10, dog: 190 } },
      production: { cat: 200, dog: 200 },
      candidate: { bird: 10, cat: 170, dog: 220 },
      lengthMismatches: 0,
      unpaired: 0,
      secondary: {
        compared: 400,
        agreement: 0.99,
        agreed: 396,
        confusion: { cat: { cat: 196, dog: 4 }, dog: { dog: 200 } },
        production: { cat: 200, dog: 200 },
        candidate: { cat: 196, dog: 204 },
        lengthMismatches: 0,
        unpaired: 0,
      },
    },
  ]);
  // The public contract the report and thresholds read.
  const report = reports[0];
  assert.ok(report?.kind === "label");
  assert.equal(report.agreement, 0.9);
  assert.equal(report.confusion.cat?.dog, 30);
  // Protocol's looser report type takes it as is.
  const reported: readonly ReportedComparison[] = reports;
  assert.equal(reported.length, 1);

  // The label signature goes through the noise test like any other: b = 39, c = 3 → real.
  const summary = summarize(tally, NOISE);
  assert.deepEqual({ different: summary.different, noise: summary.noise, identical: summary.identical }, { different: 40, noise: 0, identical: 160 });
  assert.deepEqual(
    summary.groups.map((g) => [g.path, g.kind, g.count, g.rate, g.noise, g.secondaryCount, g.secondaryRate]),
    [[LABEL_PATH, "label", 40, 0.2, false, 4, 0.02]],
  );
});

test("an ML signature's exemplar lists the values at the rule's path", () => {
  const tally = run([pair(ok(200, predictions(["cat", "dog"])), ok(200, predictions(["dog", "dog"])))], [{ kind: "label", path: LABEL_PATH }]);
  assert.deepEqual(tally.signatures[key(LABEL_PATH, "label")]?.exemplars[0]?.differences, [
    { path: LABEL_PATH, kind: "label", production: ["cat", "dog"], candidate: ["dog", "dog"] },
  ]);
});

test("ground truth: a known score perturbation gives the exact max and mean abs diff", () => {
  const rules = [{ kind: "scores", path: SCORES_PATH, tolerance: 0.01 }] as const;
  const pairs: PairInput[] = [];
  // Binary fractions, so every difference is exact: 10 pairs move one score by 0.125 (out of
  // tolerance), 90 by 2^-7 = 0.0078125 (within it).
  for (let i = 0; i < 100; i++) {
    const candidate = i < 10 ? [0.25, 0.5, 0.375] : [0.25, 0.5078125, 0.25];
    pairs.push(pair(ok(200, predictions(["x"], [[0.25, 0.5, 0.25]])), ok(200, predictions(["x"], [candidate]))));
  }
  const tally = run(pairs, rules);
  // Within tolerance is identical; nothing below the rule's path is compared structurally.
  assert.deepEqual(counts(tally), { [key(SCORES_PATH, "scores")]: [10, 0, 0] });
  assert.equal(tally.identical, 90);
  assert.deepEqual(summarizeComparisons(tally, rules), [
    {
      endpoint: ENDPOINT,
      path: SCORES_PATH,
      kind: "scores",
      compared: 100,
      maxAbsDiff: 0.125,
      meanAbsDiff: (10 * 0.125 + 90 * 0.0078125) / 300,
      topK: 1,
      topKOverlap: 1,
      outOfTolerance: 10,
      lengthMismatches: 0,
      incomparable: 0,
    },
  ]);
});

function v2(data: readonly number[], shape: readonly number[] = [1, data.length], datatype = "FP32"): object {
  return { model_name: "m", outputs: [{ name: "probs", shape, datatype, data }] };
}

test("a tensor shape change is its own signature kind and shows in the tensor report", () => {
  const rules = [{ kind: "tensor", path: "$.outputs", tolerance: { absolute: 0.001 } }] as const;
  const production = v2([0.25, 0.25, 0.5]);
  const pairs: PairInput[] = [];
  for (let i = 0; i < 5; i++) pairs.push(pair(ok(200, production), ok(200, v2([0.25, 0.25, 0.5009765625]))));
  for (let i = 0; i < 3; i++) pairs.push(pair(ok(200, production), ok(200, v2([0.25, 0.25, 0.25, 0.25]))));
  for (let i = 0; i < 2; i++) pairs.push(pair(ok(200, production), ok(200, v2([0.25, 0.25, 0.75]))));
  const tally = run(pairs, rules);
  assert.deepEqual(counts(tally), { [key("$.outputs", "tensor-shape")]: [3, 0, 0], [key("$.outputs", "tensor-value")]: [2, 0, 0] });
  assert.equal(tally.identical, 5, "within tolerance is not a changed diff");
  assert.deepEqual(summarizeComparisons(tally, rules), [
    {
      endpoint: ENDPOINT,
      path: "$.outputs",
      kind: "tensor",
      compared: 10,
      shapeMismatches: 3,
      dtypeMismatches: 0,
      missingOutputs: 0,
      extraOutputs: 0,
      malformedOutputs: 0,
      valueMismatches: 2,
      elementsCompared: 21,
      elementsMismatched: 2,
      maxAbsDiff: 0.25,
    },
  ]);
});

test("a rule scoped to an endpoint compares only there; elsewhere its path is compared structurally", () => {
  const rules = [{ kind: "label", path: "$.label", endpoint: "/a" }] as const;
  const body = (label: string): object => ({ label, id: 1 });
  const tally = run(
    [
      pair(ok(200, body("cat")), ok(200, body("dog")), undefined, "GET /a"),
      pair(ok(200, body("cat")), ok(200, body("dog")), undefined, "POST /a"),
      pair(ok(200, body("cat")), ok(200, body("dog")), undefined, "GET /b"),
    ],
    rules,
  );
  assert.deepEqual(counts(tally), {
    [key("$.label", "label", "GET /a")]: [1, 0, 0],
    [key("$.label", "label", "POST /a")]: [1, 0, 0],
    [key("$.label", "changed", "GET /b")]: [1, 0, 0],
  });
  assert.deepEqual(
    summarizeComparisons(tally, rules).map((r) => [r.endpoint, r.kind, r.kind === "label" ? r.compared : undefined]),
    [
      ["GET /a", "label", 1],
      ["POST /a", "label", 1],
    ],
  );
});

test("only pairs with equal statuses and whole JSON bodies are observed; other paths still diff structurally", () => {
  const rules = [{ kind: "label", path: "$.label" }] as const;
  const tally = run(
    [
      pair(ok(200, { label: "cat", v: 1 }), ok(500, { label: "dog" })),
      pair(ok(200, { label: "cat", v: 1 }), ok(200, "not json", { "content-type": "text/plain" })),
      pair(ok(200, { label: "cat", v: 1 }, {}, true), ok(200, { label: "dog", v: 1 })),
      pair(ok(200, { label: "cat", v: 1 }), ok(200, { label: "cat", v: 2 })),
    ],
    rules,
  );
  assert.deepEqual(counts(tally), { [key("status", "status")]: [1, 0, 0], [key("body", "body")]: [1, 0, 0], [key("$.v", "changed")]: [1, 0, 0] });
  assert.equal(tally.identical, 1, "the truncated pair: content not compared");
  assert.deepEqual(
    summarizeComparisons(tally, rules).map((r) => (r.kind === "label" ? [r.compared, r.agreement] : [])),
    [[1, 1]],
  );
});

test("reports are sorted by endpoint, then rule order; every kind finalises, drift included", () => {
  const rules: ScopedComparisonRule[] = [
    { kind: "drift", path: "$.score" },
    { kind: "label", path: "$.label" },
  ];
  const tally = run(
    [
      pair(ok(200, { label: "a", score: 1 }), ok(200, { label: "a", score: 2 }), undefined, "GET /z"),
      pair(ok(200, { label: "a", score: 1 }), ok(200, { label: "b", score: 1 }), undefined, "GET /m"),
    ],
    rules,
  );
  assert.deepEqual(
    summarizeComparisons(tally, rules).map((r) => [r.endpoint, r.kind]),
    [
      ["GET /m", "drift"],
      ["GET /m", "label"],
      ["GET /z", "drift"],
      ["GET /z", "label"],
    ],
  );
  const drift = summarizeComparisons(tally, rules)[2];
  assert.ok(drift?.kind === "drift");
  assert.deepEqual([drift.production.mean, drift.candidate.mean, drift.ks], [1, 2, 1]);
  assert.equal(drift.secondary, undefined);
  assert.deepEqual(counts(tally), { [key("$.label", "label", "GET /m")]: [1, 0, 0] }, "drift has no per-pair kinds; its path is not diffed");
});

test("entries of no known rule are left out of the reports", () => {
  const rules = [{ kind: "label", path: "$.label" }] as const;
  const tally = run([pair(ok(200, { label: "a" }), ok(200, { label: "b" }))], rules);
  assert.deepEqual(summarizeComparisons(tally, []), []);
});
