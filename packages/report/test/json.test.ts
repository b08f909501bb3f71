import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { renderJson } from "../src/index.js";
import { COMPARISONS, capacityResult, fixtureResult } from "./fixture.js";

/** The same data with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

describe("renderJson", () => {
  const result = fixtureResult();
  const text = renderJson(result);

  it("parses back deep-equal to the result", () => {
    assert.deepEqual(JSON.parse(text), result);
  });

  it("uses 2-space indentation and ends with one newline", () => {
    assert.ok(text.startsWith('{\n  "schemaVersion": 1,\n  "run": {\n    "id": "run-7f3a",\n'));
    assert.ok(text.endsWith("}\n") && !text.endsWith("\n\n"));
  });

  it("is canonical: the key order of the input does not matter", () => {
    assert.equal(renderJson(reversedKeys(result) as RunResult), text);
    // Declared properties in schema order, count maps sorted.
    const keys = Object.keys(JSON.parse(text) as object);
    assert.deepEqual(keys, ["schemaVersion", "run", "targets", "diff", "verdict", "endpoints", "comparisons", "skipped"]);
    assert.ok(text.indexOf('"body too large"') < text.indexOf('"held back | unsafe method"'));
    assert.ok(text.indexOf('"ECONNREFUSED"') < text.indexOf('"timeout"'));
  });

  it("orders a step run's capacity, the new target fields and the generator health by the schema too", () => {
    const steps = capacityResult();
    const json = renderJson(steps);
    assert.deepEqual(JSON.parse(json), steps);
    assert.equal(renderJson(reversedKeys(steps) as RunResult), json);
    const parsed = JSON.parse(json) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(parsed), ["schemaVersion", "run", "targets", "diff", "verdict", "endpoints", "comparisons", "skipped", "capacity"]);
    assert.deepEqual(Object.keys(parsed.capacity ?? {}), ["slo", "steps", "knee", "kneeAtLeast", "ratio", "usl", "stopped"]);
    assert.deepEqual(Object.keys((parsed.targets?.production ?? {}) as object).slice(-5), ["latencyMs", "histogram", "serviceTimeMs", "serviceHistogram", "throughputRps"]);
    assert.ok(json.indexOf('"schedulerLagMs"') < json.indexOf('"eventLoopDelayMs"') && json.indexOf('"eventLoopDelayMs"') < json.indexOf('"bottleneck"'));
  });

  it("orders thresholds, endpoints and comparisons by the schema, a comparison's secondary too", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading parsed JSON
    const parsed = JSON.parse(renderJson(reversedKeys(result) as RunResult)) as any;
    assert.deepEqual(Object.keys(parsed.verdict), ["pass", "reasons", "checks", "warnings", "thresholds"]);
    assert.deepEqual(Object.keys(parsed.verdict.thresholds[2]), ["expression", "endpoint", "observed", "limit", "pass", "dimension"]);
    assert.deepEqual(Object.keys(parsed.verdict.thresholds[5]), ["expression", "endpoint", "observed", "limit", "pass", "dimension", "reason"]);
    assert.deepEqual(Object.keys(parsed.endpoints[1]), ["endpoint", "targets", "diff", "latency"]);
    assert.deepEqual(Object.keys(parsed.endpoints[1].targets), ["production", "candidate", "secondary"]);
    assert.deepEqual(Object.keys(parsed.endpoints[1].latency), ["n", "confidence", "minEffect", "method", "quantiles", "regression"]);
    assert.deepEqual(Object.keys(parsed.endpoints[1].latency.quantiles[0]), [
      "quantile",
      "productionMs",
      "candidateMs",
      "deltaMs",
      "relative",
      "intervalMs",
      "significant",
      "regression",
      "improvement",
    ]);
    const label = ["compared", "agreement", "agreed", "confusion", "production", "candidate", "lengthMismatches", "unpaired"];
    assert.deepEqual(Object.keys(parsed.comparisons[0]), ["endpoint", "path", "kind", ...label, "secondary"]);
    assert.deepEqual(Object.keys(parsed.comparisons[0].secondary), label);
    assert.deepEqual(Object.keys(parsed.comparisons[3]), ["endpoint", "path", "kind", "production", "candidate", "psi", "ks", "psiBins"]);
    assert.deepEqual(Object.keys(parsed.comparisons[3].production), ["count", "ignored", "mean"], "free-form maps sorted");
  });

  it("keeps a comparison's fields the schema does not declare, after the declared ones, sorted", () => {
    const drift = COMPARISONS[3];
    assert.ok(drift);
    const json = renderJson({ ...result, comparisons: [{ ...drift, zeta: 1, alpha: { b: 2, a: 1 } }] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading parsed JSON
    const parsed = JSON.parse(json) as any;
    assert.deepEqual(Object.keys(parsed.comparisons[0]), ["endpoint", "path", "kind", "production", "candidate", "psi", "ks", "psiBins", "alpha", "zeta"]);
    assert.deepEqual(Object.keys(parsed.comparisons[0].alpha), ["b", "a"], "an undeclared value is kept as it is");
  });
});
