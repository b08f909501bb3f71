// The scenario as an agent receives it: plain data from `toScenarioDocument`, whose target
// header templates (`Bearer ${PROD_TOKEN}`) the agent fills from its own environment.
import { InvalidInputError, type Issue } from "@parallax/protocol";
import { interpolate } from "./interpolate.js";
import { isPlainObject } from "./merge.js";
import { resolveScenario } from "./resolve.js";
import type { Scenario } from "./types.js";

export async function resolveShippedScenario(document: unknown, env: Readonly<Record<string, string | undefined>>): Promise<Scenario> {
  if (!isPlainObject(document)) throw new InvalidInputError([{ message: "the shipped scenario is not a mapping" }]);
  const issues: Issue[] = [];
  const targets = isPlainObject(document["targets"]) ? document["targets"] : {};
  const filled: Record<string, unknown> = {};
  for (const [role, spec] of Object.entries(targets)) {
    if (!isPlainObject(spec) || !isPlainObject(spec["headers"])) {
      filled[role] = spec;
      continue;
    }
    const headers: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(spec["headers"])) {
      if (typeof value !== "string" || !value.includes("${")) {
        headers[name] = value;
        continue;
      }
      const result = interpolate(value, env);
      if ("problem" in result) issues.push({ location: `targets.${role}.headers.${name}`, message: `${result.problem}; target credentials come from each agent's own environment` });
      else headers[name] = result.value;
    }
    filled[role] = { ...spec, headers };
  }
  if (issues.length) throw new InvalidInputError(issues);
  return resolveScenario({ overrides: { ...document, targets: filled }, env: {}, cwd: "/" });
}
