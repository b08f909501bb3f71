import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidInputError } from "@parallax/protocol";
import { resolveScenario, resolveShippedScenario, toScenarioDocument } from "../src/index.js";

describe("target credentials travel as templates", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "parallax-shipped-"));
    await writeFile(
      join(dir, "s.yaml"),
      "targets:\n  production: { url: http://127.0.0.1:1, headers: { Authorization: \"Bearer ${PROD_TOKEN}\", x-env: shadow } }\n  candidate: http://127.0.0.1:2\ntraffic: r.jsonl\n",
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("resolves with the coordinator's value, ships the template, and the agent fills it from its own environment", async () => {
    const scenario = await resolveScenario({ file: join(dir, "s.yaml"), env: { PROD_TOKEN: "coordinator-secret" }, cwd: dir });
    assert.equal(scenario.targets.production.headers["authorization"], "Bearer coordinator-secret");
    const shipped = toScenarioDocument(scenario);
    assert.ok(!JSON.stringify(shipped).includes("coordinator-secret"), "the secret is not in what ships");
    const atAgent = await resolveShippedScenario(shipped, { PROD_TOKEN: "agent-secret" });
    assert.deepEqual(atAgent.targets.production.headers, { authorization: "Bearer agent-secret", "x-env": "shadow" });
  });

  it("an agent without the variable refuses with the header and the variable named", async () => {
    const scenario = await resolveScenario({ file: join(dir, "s.yaml"), env: { PROD_TOKEN: "coordinator-secret" }, cwd: dir });
    await assert.rejects(resolveShippedScenario(toScenarioDocument(scenario), {}), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      assert.equal(error.issues[0]?.location, "targets.production.headers.authorization");
      assert.match(error.issues[0]?.message ?? "", /"PROD_TOKEN" not set.*each agent's own environment/);
      return true;
    });
  });

  it("a header set by an override (not from a template) ships as its value", async () => {
    const scenario = await resolveScenario({ file: join(dir, "s.yaml"), env: { PROD_TOKEN: "x" }, cwd: dir, overrides: { targets: { production: { headers: { authorization: "Bearer literal" } } } } });
    const shipped = toScenarioDocument(scenario) as { targets: { production: { headers: Record<string, string> } } };
    assert.equal(shipped.targets.production.headers["authorization"], "Bearer literal");
  });
});
