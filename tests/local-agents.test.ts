// Coordinator and agents over the MemoryBus, in process: the split across agents is exact, and
// the merged result does not depend on how many agents shared the work.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent } from "@parallax/agent";
import { runCoordinator } from "@parallax/coordinator";
import { silentLogger, type RunResult } from "@parallax/protocol";
import { loadRecording } from "@parallax/recording";
import { resolveScenario } from "@parallax/scenario";
import { expectedCounts, groundTruthRecording, startGroundTruthTarget, type RunningTarget } from "@parallax/testkit";
import { MemoryBus } from "@parallax/transport";
import { tempDir } from "./support/cli.js";

const COUNT = 300;

async function runWithAgents(n: number, urls: { production: string; candidate: string; secondary: string }, file: string, runId: string): Promise<RunResult> {
  const scenario = await resolveScenario({
    overrides: { targets: urls, traffic: { file }, load: { rate: 300 }, compare: { allowUnsafeProduction: ["POST /predict"] } },
    env: {},
    cwd: "/",
  });
  const { requests, format } = await loadRecording(file);
  const bus = new MemoryBus();
  const agents = Array.from({ length: n }, (_, k) => new Agent({ bus, logger: silentLogger, id: `a${k}`, name: `a${k}`, version: "0.1.0", host: "h", pid: 1 }));
  agents.forEach((a) => a.start());
  try {
    return await runCoordinator({ bus, logger: silentLogger, mode: "local", runId, scenario, recording: { requests, format, file }, agents: n, agentsTimeoutMs: 5000 });
  } finally {
    await Promise.all(agents.map((a) => a.close()));
    await bus.close();
  }
}

describe("local runs with 1 and 3 agents", () => {
  let targets: RunningTarget[];
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let one: RunResult;
  let three: RunResult;

  before(async () => {
    targets = await Promise.all([startGroundTruthTarget({ role: "production" }), startGroundTruthTarget({ role: "candidate", slowDelayMs: 50 }), startGroundTruthTarget({ role: "secondary" })]);
    dir = await tempDir("local-agents");
    const file = join(dir.path, "rec.jsonl");
    await writeFile(file, groundTruthRecording(COUNT));
    const [production, candidate, secondary] = targets.map((t) => t.url) as [string, string, string];
    one = await runWithAgents(1, { production, candidate, secondary }, file, "one");
    three = await runWithAgents(3, { production, candidate, secondary }, file, "three");
  });
  after(async () => Promise.all([...(targets ?? []).map((t) => t.close()), dir?.remove()]));

  it("splits the work exactly: agents' requests add up to the recording, each target saw each request once per run", () => {
    assert.deepEqual(three.run.agents.map((a) => [a.segment, a.planned, a.requests, a.state]), [
      ["0:1/3", 100, 100, "completed"],
      ["1/3:2/3", 100, 100, "completed"],
      ["2/3:1", 100, 100, "completed"],
    ]);
    for (const t of targets) assert.equal(t.received.total, 2 * COUNT);
  });

  it("gives the same exact counts whatever the number of agents", () => {
    const counts = (r: RunResult) => ({
      targets: Object.fromEntries(Object.entries(r.targets).map(([k, t]) => [k, { requests: t.requests, errors: t.errors, statusCodes: t.statusCodes, histogramCount: t.responses }])),
      // Noise groups are left out: how often a millisecond timestamp differs is up to the clock.
      diff: { ...r.diff, groups: r.diff.groups.filter((g) => !g.noise).map((g) => [g.endpoint, g.path, g.kind, g.count]).sort() },
      skipped: r.skipped,
    });
    const truth = expectedCounts(COUNT);
    assert.deepEqual(counts(three), counts(one));
    assert.equal(three.diff.different, truth.flips + truth.failures);
    assert.equal(three.targets.candidate.errors, truth.failures);
    assert.equal(three.run.status, "completed");
  });
});
