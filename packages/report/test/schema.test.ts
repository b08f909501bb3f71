import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { REPORT_JSON_SCHEMA, renderJson } from "../src/index.js";
import { fixtureResult } from "./fixture.js";

type Schema = {
  $ref?: string;
  type?: string;
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
 * does not declare, so the schema cannot fall behind the result type unnoticed.
 */
function validate(value: unknown, schemaIn: Schema, root: { $defs: Record<string, Schema> }, path = "$", strict = true): string[] {
  const schema = schemaIn.$ref === undefined ? schemaIn : root.$defs[schemaIn.$ref.replace("#/$defs/", "")];
  if (schema === undefined) return [`${path}: unresolved ${schemaIn.$ref}`];
  const problems: string[] = [];
  if ("const" in schema && value !== schema.const) problems.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${schema.enum.join(", ")}`);
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  if (schema.type !== undefined) {
    const ok = schema.type === "integer" ? Number.isInteger(value) : schema.type === type;
    if (!ok) return [...problems, `${path}: expected ${schema.type}, got ${type}`];
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
      else if (schema.additionalProperties === false || strict) problems.push(`${path}: undeclared property ${key}`);
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
      '$.diff.groups[0].kind: "renamed" not in status, changed, type, added, removed, body, header',
      "$: undeclared property surprise",
    ]);
  });

  it("cannot be changed at run time (renderJson takes its key order from it)", () => {
    assert.ok(Object.isFrozen(REPORT_JSON_SCHEMA));
    assert.ok(Object.isFrozen(REPORT_JSON_SCHEMA.properties.run.properties));
  });
});
