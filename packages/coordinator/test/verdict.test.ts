import assert from "node:assert/strict";
import { it } from "node:test";
import type { DiffSummary, TargetResult } from "@parallax/protocol";
import { evaluateVerdict } from "../src/index.js";

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

it("passes with no thresholds", () => {
  assert.deepEqual(evaluateVerdict({}, { production: target(10, 0, 5), candidate: target(10, 10, 500) }, diff(10, 10)), { pass: true, reasons: [], checks: [] });
});

it("checks each threshold against its observed value; a limit is inclusive", () => {
  const verdict = evaluateVerdict(
    { maxDiffRate: 0.1, maxErrorRate: 0.05, maxLatencyRatio: 1.2 },
    { production: target(100, 0, 10), candidate: target(100, 6, 12) },
    diff(100, 10),
  );
  assert.deepEqual(verdict.checks, [
    { name: "diff rate", observed: 0.1, limit: 0.1, pass: true },
    { name: "candidate error rate", observed: 0.06, limit: 0.05, pass: false },
    { name: "candidate p99 / production p99", observed: 1.2, limit: 1.2, pass: true },
  ]);
  assert.equal(verdict.pass, false);
  assert.deepEqual(verdict.reasons, ["candidate error rate 0.06 exceeds 0.05"]);
});

it("treats rates with nothing to divide by as 0", () => {
  const verdict = evaluateVerdict({ maxDiffRate: 0, maxErrorRate: 0 }, { production: target(0, 0, 0), candidate: target(0, 0, 0) }, diff(0, 0));
  assert.equal(verdict.pass, true);
});

it("fails a run that sent requests but could compare none, naming the side that failed", () => {
  const down: TargetResult = { ...target(20, 20, 0), responses: 0, transportErrors: 20, errorKinds: { ECONNREFUSED: 20 } };
  const verdict = evaluateVerdict({}, { production: target(20, 0, 5), candidate: down }, diff(0, 0));
  assert.equal(verdict.pass, false);
  assert.deepEqual(verdict.reasons, ["no pair could be compared: candidate failed 20 of 20 (ECONNREFUSED: 20)"]);
});
