import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { scenarioJsonSchema } from "../src/index.js";

describe("scenarioJsonSchema", () => {
  it("equals the committed scenario.schema.json (regenerate with scripts/write-schema.ts)", async () => {
    const committed: unknown = JSON.parse(await readFile(new URL("../scenario.schema.json", import.meta.url), "utf8"));
    assert.deepEqual(committed, scenarioJsonSchema());
  });

  it("describes every field, so editors can explain it", () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== "object") return;
      const schema = node as { properties?: Record<string, { description?: string }>; anyOf?: unknown[]; items?: unknown };
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        if (typeof property.description !== "string" || property.description === "") undocumented.push(`${at}.${key}`);
        walk(property, `${at}.${key}`);
      }
      schema.anyOf?.forEach((branch) => walk(branch, at));
      walk(schema.items, `${at}[]`);
    };
    walk(scenarioJsonSchema(), "$");
    assert.deepEqual(undocumented, []);
  });

  it("requires targets and traffic, and rejects unknown keys", () => {
    const schema = scenarioJsonSchema() as { required?: string[]; additionalProperties?: boolean; $schema?: string };
    assert.deepEqual(schema.required, ["targets", "traffic"]);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
  });
});
