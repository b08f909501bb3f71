import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { renderJson } from "../src/index.js";
import { capacityResult, fixtureResult } from "./fixture.js";

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
    assert.deepEqual(keys, ["schemaVersion", "run", "targets", "diff", "verdict", "skipped"]);
    assert.ok(text.indexOf('"body too large"') < text.indexOf('"held back | unsafe method"'));
    assert.ok(text.indexOf('"ECONNREFUSED"') < text.indexOf('"timeout"'));
  });

  it("orders a step run's capacity, the new target fields and the generator health by the schema too", () => {
    const steps = capacityResult();
    const json = renderJson(steps);
    assert.deepEqual(JSON.parse(json), steps);
    assert.equal(renderJson(reversedKeys(steps) as RunResult), json);
    const parsed = JSON.parse(json) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(parsed), ["schemaVersion", "run", "targets", "diff", "verdict", "skipped", "capacity"]);
    assert.deepEqual(Object.keys(parsed.capacity ?? {}), ["slo", "steps", "knee", "ratio", "usl", "stopped"]);
    assert.deepEqual(Object.keys((parsed.targets?.production ?? {}) as object).slice(-5), ["latencyMs", "histogram", "serviceTimeMs", "serviceHistogram", "throughputRps"]);
    assert.ok(json.indexOf('"schedulerLagMs"') < json.indexOf('"eventLoopDelayMs"') && json.indexOf('"eventLoopDelayMs"') < json.indexOf('"bottleneck"'));
  });
});
