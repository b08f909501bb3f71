import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DIFF_KINDS } from "@parallax/protocol";
import { REPORT_JSON_SCHEMA, renderJson } from "../src/index.js";
import { capacityResult, closedResult, fixtureResult, shadowResult } from "./fixture.js";

type Schema = {
  $ref?: string;
  type?: string | readonly string[];
  const?: unknown;
  enum?: readonly unknown[];
  required?: readonly string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  minimum?: number;
  maximum?: number;
};

/**
 * The subset of JSON Schema 2020-12 that report.schema.json uses. `strict` also reports properties the schema
 * does not declare, so the schema cannot fall behind the result type unnoticed; only an object that says
 * `additionalProperties: true` (a comparison, whose fields depend on its kind) may have others.
 */
function validate(value: unknown, schemaIn: Schema, root: { $defs: Record<string, Schema> }, path = "$", strict = true): string[] {
  const schema = schemaIn.$ref === undefined ? schemaIn : root.$defs[schemaIn.$ref.replace("#/$defs/", "")];
  if (schema === undefined) return [`${path}: unresolved ${schemaIn.$ref}`];
  const problems: string[] = [];
  if ("const" in schema && value !== schema.const) problems.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${schema.enum.join(", ")}`);
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  if (schema.type !== undefined) {
    const types: readonly string[] = typeof schema.type === "string" ? [schema.type] : schema.type;
    const ok = types.some((t) => (t === "integer" ? Number.isInteger(value) : t === type));
    if (!ok) return [...problems, `${path}: expected ${types.join(" or ")}, got ${type}`];
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((item, i) => problems.push(...validate(item, schema.items!, root, `${path}[${i}]`, strict)));
  if (type === "object" && (schema.properties !== undefined || schema.required !== undefined || schema.additionalProperties !== undefined)) {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) problems.push(`${path}: missing ${key}`);
    for (const [key, child] of Object.entries(object)) {
      const declared = schema.properties?.[key];
      if (declared !== undefined) problems.push(...validate(child, declared, root, `${path}.${key}`, strict));
      else if (typeof schema.additionalProperties === "object") problems.push(...validate(child, schema.additionalProperties, root, `${path}.${key}`, strict));
      else if (schema.additionalProperties === false || (strict && schema.additionalProperties !== true)) problems.push(`${path}: undeclared property ${key}`);
    }
  }
  return problems;
}

const root = REPORT_JSON_SCHEMA as unknown as Schema & { $defs: Record<string, Schema> };

describe("REPORT_JSON_SCHEMA", () => {
  it("is the committed report.schema.json", () => {
    const committed: unknown = JSON.parse(readFileSync(new URL("../report.schema.json", import.meta.url), "utf8"));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(REPORT_JSON_SCHEMA)));
  });

  it("accepts the fixture result as rendered, declaring every property it has", () => {
    assert.deepEqual(validate(JSON.parse(renderJson(fixtureResult())), root, root), []);
  });

  it("accepts a step run with its capacity analysis, and a closed run without one", () => {
    const steps = JSON.parse(renderJson(capacityResult())) as { capacity?: unknown };
    assert.ok(steps.capacity !== undefined);
    assert.deepEqual(validate(steps, root, root), []);
    const closed = JSON.parse(renderJson(closedResult())) as { capacity?: unknown };
    assert.equal(closed.capacity, undefined);
    assert.deepEqual(validate(closed, root, root), []);
  });

  it("accepts nulls where the result has no knee, ratio or fit, and empty histograms", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const result = JSON.parse(renderJson(capacityResult())) as any;
    result.capacity.knee.production = null;
    result.capacity.ratio = null;
    result.capacity.usl.production = null;
    result.capacity.usl.candidate.peakRps = null;
    result.targets.candidate.serviceHistogram = "";
    delete result.run.agents[0].generator.cpu;
    assert.deepEqual(validate(result, root, root), []);
  });

  it("requires the new run, target, verdict and capacity fields", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const broken = JSON.parse(renderJson(capacityResult())) as any;
    delete broken.run.loadModel;
    delete broken.targets.production.serviceTimeMs;
    delete broken.targets.production.serviceHistogram;
    delete broken.targets.production.throughputRps;
    delete broken.verdict.warnings;
    broken.run.agents[0].generator.bottleneck = "no";
    broken.capacity.stopped = "bored";
    delete broken.capacity.knee.candidate;
    broken.capacity.steps[3].sloMet.candidate = 0;
    broken.capacity.usl.production.points = 2.5;
    broken.capacity.ratio = "0.5";
    assert.deepEqual(validate(broken, root, root), [
      "$.run: missing loadModel",
      "$.run.agents[0].generator.bottleneck: expected boolean, got string",
      "$.targets.production: missing serviceTimeMs",
      "$.targets.production: missing serviceHistogram",
      "$.targets.production: missing throughputRps",
      "$.verdict: missing warnings",
      "$.capacity.steps[3].sloMet.candidate: expected boolean, got number",
      "$.capacity.knee: missing candidate",
      "$.capacity.ratio: expected number or null, got string",
      "$.capacity.usl.production.points: expected integer, got number",
      '$.capacity.stopped: "bored" not in all-steps, slo-broken, interrupted',
    ]);
  });

  it("rejects results that break it (so the validator above can fail)", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const broken = JSON.parse(renderJson(fixtureResult())) as any;
    delete broken.run.planned;
    broken.targets.candidate.requests = "1989";
    broken.diff.groups[0].kind = "renamed";
    broken.run.agents[1].late = -1;
    broken.schemaVersion = 2;
    broken.surprise = true;
    assert.deepEqual(validate(broken, root, root), [
      "$.schemaVersion: must be 1",
      "$.run: missing planned",
      "$.run.agents[1].late: below 0",
      "$.targets.candidate.requests: expected integer, got string",
      `$.diff.groups[0].kind: "renamed" not in ${DIFF_KINDS.join(", ")}`,
      "$: undeclared property surprise",
    ]);
  });

  it("accepts every threshold, endpoint and comparison of the fixture, and nulls where nothing could be evaluated or compared", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const result = JSON.parse(renderJson(fixtureResult())) as any;
    assert.equal(result.verdict.thresholds.length, 6);
    assert.equal(result.endpoints.length, 3);
    assert.deepEqual(
      result.comparisons.map((c: { kind: string }) => c.kind),
      ["label", "scores", "tensor", "drift"],
    );
    result.verdict.thresholds[0].observed = null;
    result.endpoints[0].latency.quantiles[0].relative = null;
    result.comparisons[0].agreement = null;
    result.comparisons[0].secondary.agreement = null;
    result.comparisons[1].maxAbsDiff = null;
    result.comparisons[1].meanAbsDiff = null;
    result.comparisons[1].topKOverlap = null;
    result.comparisons[2].maxAbsDiff = null;
    result.comparisons[3].psi = null;
    result.comparisons[3].ks = null;
    result.comparisons[3].production.mean = null;
    result.comparisons[3].futureFigure = 0.5;
    assert.deepEqual(validate(result, root, root), []);
  });

  it("requires thresholds, endpoints and comparisons, and checks their items", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const missing = JSON.parse(renderJson(fixtureResult())) as any;
    delete missing.verdict.thresholds;
    delete missing.endpoints;
    delete missing.comparisons;
    assert.deepEqual(validate(missing, root, root), ["$: missing endpoints", "$: missing comparisons", "$.verdict: missing thresholds"]);

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const broken = JSON.parse(renderJson(fixtureResult())) as any;
    broken.verdict.thresholds[1].dimension = "percent";
    delete broken.verdict.thresholds[3].pass;
    delete broken.endpoints[0].diff;
    broken.endpoints[1].latency.quantiles[2].quantile = "p95";
    broken.endpoints[1].targets.candidate.errors = -1;
    delete broken.comparisons[0].path;
    broken.comparisons[0].agreement = 1.5;
    broken.comparisons[0].secondary.agreed = 799.5;
    broken.comparisons[1].kind = "histogram";
    broken.comparisons[2].confusion = { a: { b: "1" } };
    assert.deepEqual(validate(broken, root, root), [
      '$.verdict.thresholds[1].dimension: "percent" not in duration, ratio, count, rate, number',
      "$.verdict.thresholds[3]: missing pass",
      "$.endpoints[0]: missing diff",
      "$.endpoints[1].targets.candidate.errors: below 0",
      '$.endpoints[1].latency.quantiles[2].quantile: "p95" not in p50, p90, p99',
      "$.comparisons[0]: missing path",
      "$.comparisons[0].agreement: above 1",
      "$.comparisons[0].secondary.agreed: expected integer, got number",
      '$.comparisons[1].kind: "histogram" not in label, scores, tensor, drift',
      "$.comparisons[2].confusion.a.b: expected integer, got string",
    ]);
  });

  it("accepts a shadow run with its stream accounting, and checks it", () => {
    const shadow = JSON.parse(renderJson(shadowResult())) as { run: { mode: string }; shadow?: unknown };
    assert.equal(shadow.run.mode, "shadow");
    assert.deepEqual(validate(shadow, root, root), []);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of parsed JSON
    const broken = JSON.parse(renderJson(shadowResult())) as any;
    delete broken.shadow.duplicates;
    broken.shadow.measuredAt.production = "agent";
    broken.shadow.sample = 1.5;
    broken.shadow.backlog.inFlight = -1;
    broken.shadow.events[0].state = "flaky";
    delete broken.shadow.events[1].window;
    broken.run.mode = "replay";
    assert.deepEqual(validate(broken, root, root), [
      '$.run.mode: "replay" not in local, nats, shadow',
      "$.shadow: missing duplicates",
      '$.shadow.measuredAt.production: must be "tap"',
      "$.shadow.sample: above 1",
      "$.shadow.backlog.inFlight: below 0",
      '$.shadow.events[0].state: "flaky" not in pass, fail',
      "$.shadow.events[1]: missing window",
    ]);
  });

  it("writes the shadow section in the schema's key order", () => {
    const text = renderJson(shadowResult());
    assert.ok(text.indexOf('\n  "skipped": {') < text.indexOf('\n  "shadow": {'), "after the run's own sections");
    const shadow = (JSON.parse(text) as { shadow: Record<string, unknown> }).shadow;
    assert.deepEqual(Object.keys(shadow), Object.keys(REPORT_JSON_SCHEMA.$defs.shadow.properties));
  });

  it("cannot be changed at run time (renderJson takes its key order from it)", () => {
    assert.ok(Object.isFrozen(REPORT_JSON_SCHEMA));
    assert.ok(Object.isFrozen(REPORT_JSON_SCHEMA.properties.run.properties));
  });
});
