import assert from "node:assert/strict";
import { it } from "node:test";
import type { DiffSummary, TargetResult } from "@parallax/protocol";
import { createLatencyHistogram } from "@parallax/metrics";
import { evaluateThresholds, evaluateVerdict, type MetricsScope } from "../src/index.js";

const target = (requests: number, errors: number, p99: number): TargetResult => ({
  url: "http://127.0.0.1:1",
  requests,
  responses: requests,
  errors,
  transportErrors: 0,
  errorKinds: {},
  statusCodes: {},
  latencyMs: { p50: 1, p90: 1, p99, p999: p99, max: p99, mean: 1, min: 1 },
  histogram: "",
  serviceTimeMs: { p50: 1, p90: 1, p99, p999: p99, max: p99, mean: 1, min: 1 },
  serviceHistogram: "",
  throughputRps: 0,
});
const diff = (compared: number, different: number): DiffSummary => ({
  compared,
  identical: compared - different,
  different,
  noise: 0,
  notComparable: 0,
  notComparableReasons: {},
  noiseMethod: "mcnemar",
  groups: [],
});

/** A run scope whose latencies are single values (so every quantile is that value). */
function scope(p99: { production: number; candidate: number }, counts: { requests: number; errors: number }, d: { compared: number; different: number }): MetricsScope {
  const latency = (ms: number) => {
    const h = createLatencyHistogram();
    if (ms > 0) h.record(ms * 1000);
    return h;
  };
  return {
    target: (name) => (name === "secondary" ? undefined : { requests: counts.requests, responses: counts.requests, errors: name === "candidate" ? counts.errors : 0, latency: latency(p99[name]) }),
    diff: d,
    comparisons: [{ kind: "label", endpoint: "POST /predict", compared: 200, agreement: 0.99 }],
  };
}

const both = { production: target(100, 0, 10), candidate: target(100, 6, 12) };

it("passes with no thresholds", () => {
  const verdict = evaluateVerdict([], () => undefined, both, diff(10, 10));
  assert.deepEqual(verdict, { pass: true, reasons: [], checks: [], thresholds: [] });
});

it("evaluates each expression on its scope, with observed and limit in the expression's units; limits are inclusive with <=", () => {
  const run = scope({ production: 10, candidate: 12 }, { requests: 100, errors: 6 }, { compared: 100, different: 10 });
  const verdict = evaluateVerdict(
    [
      { expression: "diff.rate <= 10%" },
      { expression: "candidate.errors.rate < 5%" },
      { expression: "candidate.p99 <= 1.2 * production.p99" },
      { expression: "label.agreement > 98%" },
      { expression: "p99 < 100ms", endpoint: "/nowhere" },
    ],
    (endpoint) => (endpoint === undefined ? run : undefined),
    both,
    diff(100, 10),
  );
  assert.deepEqual(
    verdict.thresholds.map((t) => [t.expression, t.observed, t.limit, t.pass, t.dimension]),
    [
      ["diff.rate <= 10%", 0.1, 0.1, true, "ratio"],
      ["candidate.errors.rate < 5%", 0.06, 0.05, false, "ratio"],
      ["candidate.p99 <= 1.2 * production.p99", 12.007, 12.0084, true, "duration"],
      ["label.agreement > 98%", 0.99, 0.98, true, "ratio"],
      ["p99 < 100ms", null, null, false, "duration"],
    ],
  );
  assert.equal(verdict.thresholds[4]?.reason, "no request matched endpoint /nowhere");
  assert.equal(verdict.pass, false);
  assert.deepEqual(verdict.reasons, [
    "threshold candidate.errors.rate < 5% failed: observed 6%, limit 5%",
    "threshold [/nowhere] p99 < 100ms failed: not evaluated (no request matched endpoint /nowhere)",
  ]);
  // The older view lists the evaluated ones.
  assert.equal(verdict.checks.length, 4);
});

it("fails a threshold whose metric was never measured", () => {
  const empty = scope({ production: 0, candidate: 0 }, { requests: 0, errors: 0 }, { compared: 0, different: 0 });
  const [result] = evaluateThresholds([{ expression: "diff.rate < 1%" }], () => empty);
  assert.equal(result?.pass, false);
  assert.deepEqual(result?.observed, null);
});

it("fails a run that sent requests but could compare none, naming the side that failed", () => {
  const down: TargetResult = { ...target(20, 20, 0), responses: 0, transportErrors: 20, errorKinds: { ECONNREFUSED: 20 } };
  const verdict = evaluateVerdict([], () => undefined, { production: target(20, 0, 5), candidate: down }, diff(0, 0));
  assert.equal(verdict.pass, false);
  assert.deepEqual(verdict.reasons, ["no pair could be compared: candidate failed 20 of 20 (ECONNREFUSED: 20)"]);
});

it("counts shape, dtype and presence changes in tensor.mismatchRate, elements in tensor.elementMismatchRate", () => {
  const tensor = { kind: "tensor", endpoint: "POST /infer", compared: 100, shapeMismatches: 50, dtypeMismatches: 0, valueMismatches: 0, missingOutputs: 0, extraOutputs: 0, elementsCompared: 150, elementsMismatched: 0 };
  const scope: MetricsScope = { target: () => undefined, diff: { compared: 100, different: 50 }, comparisons: [tensor] };
  const [outputs, elements] = evaluateThresholds([{ expression: "tensor.mismatchRate < 1%" }, { expression: "tensor.elementMismatchRate < 1%" }], () => scope);
  assert.deepEqual([outputs?.observed, outputs?.pass], [0.5, false]);
  assert.deepEqual([elements?.observed, elements?.pass], [0, true]);
});
