// The dependency directions of design.md §3 are enforced by lint; this proves the rules bite.
import assert from "node:assert/strict";
import { join } from "node:path";
import { it } from "node:test";
import { ESLint } from "eslint";
import { REPO } from "./support/cli.js";

const eslint = new ESLint({ cwd: REPO });

async function problems(pkg: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO, `packages/${pkg}/src/probe.ts`) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

it("forbids imports against the direction of design.md §3", async () => {
  assert.match((await problems("engine", 'import { MemoryBus } from "@parallax/transport";\nexport const x = MemoryBus;\n')).join("\n"), /no-restricted-imports.*@parallax\/engine may import only/);
  assert.match((await problems("coordinator", 'import { renderJson } from "@parallax/report";\nexport const x = renderJson;\n')).join("\n"), /no-restricted-imports/);
  assert.match((await problems("protocol", 'import { createTally } from "@parallax/diff";\nexport const x = createTally;\n')).join("\n"), /no-restricted-imports/);
});

it("lets only transport import NATS and only the CLI touch the process", async () => {
  assert.match((await problems("agent", 'import { connect } from "@nats-io/transport-node";\nexport const x = connect;\n')).join("\n"), /Only @parallax\/transport may import NATS/);
  assert.match((await problems("engine", "export const env = process.env;\n")).join("\n"), /no-restricted-globals/);
  assert.match((await problems("diff", 'console.log("x");\nexport {};\n')).join("\n"), /no-console/);
  assert.deepEqual(await problems("cli", 'import { MemoryBus } from "@parallax/transport";\nexport const x = [MemoryBus, process.argv];\n'), []);
});

it("allows the imports the design allows", async () => {
  assert.deepEqual(await problems("engine", 'import { createTally } from "@parallax/diff";\nimport { REDACTED } from "@parallax/protocol";\nexport const x = [createTally, REDACTED];\n'), []);
});
