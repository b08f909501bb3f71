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
import { MemoryBus, type Bus } from "@parallax/transport";
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

/** A bus an agent can be cut off from, as if its process died: nothing it sends arrives any more. */
function severable(bus: Bus): { bus: Bus; sever(): void } {
  let severed = false;
  const wrapped: Bus = {
    publish: (subject, data) => (severed ? undefined : bus.publish(subject, data)),
    subscribe: (subject, handler) => bus.subscribe(subject, handler),
    request: (subject, data, options) => bus.request(subject, data, options),
    stream: {
      append: (subject, data, options) => (severed ? Promise.resolve() : bus.stream.append(subject, data, options)),
      consume: (filter, name, handler) => bus.stream.consume(filter, name, handler),
      purge: (filter) => bus.stream.purge(filter),
    },
    blobs: bus.blobs,
    traffic: bus.traffic,
    isConnected: () => bus.isConnected(),
    close: () => bus.close(),
  };
  return { bus: wrapped, sever: () => void (severed = true) };
}

/**
 * Two agents against one target; agent a1 is cut off from the bus (as if its process died)
 * `severAfterMs` into the run. Returns the coordinator's result.
 */
async function runWithSeveredAgent(options: { rate: number; duration: string; severAfterMs: number; onAgentLoss: "continue" | "abort" }): Promise<RunResult> {
  const target = await startGroundTruthTarget({ role: "production" });
  const dir = await tempDir("severed-agent");
  const bus = new MemoryBus();
  const cut = severable(bus);
  const healthy = new Agent({ bus, logger: silentLogger, id: "a0", name: "a0", version: "0.1.0", host: "h", pid: 1 });
  const doomed = new Agent({ bus: cut.bus, logger: silentLogger, id: "a1", name: "a1", version: "0.1.0", host: "h", pid: 2 });
  const timer = setTimeout(() => cut.sever(), options.severAfterMs);
  try {
    const file = join(dir.path, "rec.jsonl");
    await writeFile(file, `${Array.from({ length: 10 }, (_, i) => JSON.stringify({ method: "GET", url: `/items/${4 + 5 * i}` })).join("\n")}\n`);
    const scenario = await resolveScenario({ overrides: { targets: { production: target.url, candidate: target.url }, traffic: { file }, load: { rate: options.rate, duration: options.duration } }, env: {}, cwd: "/" });
    const { requests, format } = await loadRecording(file);
    healthy.start();
    doomed.start();
    return await runCoordinator({ bus, logger: silentLogger, mode: "local", runId: "severed", scenario, recording: { requests, format, file }, agents: 2, agentsTimeoutMs: 5000, onAgentLoss: options.onAgentLoss });
  } finally {
    clearTimeout(timer);
    await Promise.all([healthy.close(), doomed.close()]);
    await bus.close();
    await Promise.all([target.close(), dir.remove()]);
  }
}

describe("an agent that goes silent mid-run", () => {
  it("is declared lost; the run ends degraded with its data up to its last snapshot, and every count reconciles", async () => {
    const result = await runWithSeveredAgent({ rate: 100, duration: "8s", severAfterMs: 2500, onAgentLoss: "continue" });
    assert.equal(result.run.status, "degraded");
    const [a0, a1] = result.run.agents;
    assert.equal(a0?.state, "completed");
    assert.equal(a0?.requests, 400);
    assert.equal(a1?.state, "lost");
    assert.ok((a1?.requests ?? 0) > 0 && (a1?.requests ?? 0) < 400, `lost agent reported ${a1?.requests}`);
    assert.ok(result.run.events.some((e) => e.type === "agent-lost" && e.agentId === "a1"));
    assert.equal(result.verdict.pass, false);
    assert.match(result.verdict.reasons.join("\n"), new RegExp(`agent a1 lost: ${400 - (a1?.requests ?? 0)} requests of its segment were never sent`));
    // What was merged is consistent: target counts are exactly the agents' reported requests.
    assert.equal(result.targets.production.requests, (a0?.requests ?? 0) + (a1?.requests ?? 0));
    assert.equal(result.targets.candidate.requests, result.targets.production.requests);
  });

  it("with --on-agent-loss abort, stops every agent and the run ends aborted", async () => {
    const result = await runWithSeveredAgent({ rate: 50, duration: "30s", severAfterMs: 1500, onAgentLoss: "abort" });
    assert.equal(result.run.status, "aborted");
    const [a0, a1] = result.run.agents;
    assert.equal(a1?.state, "lost");
    assert.equal(a0?.state, "stopped");
    assert.ok((a0?.requests ?? 0) < 750, "the healthy agent was stopped well before the end of its share");
    assert.ok(result.run.events.some((e) => e.type === "aborted"));
    assert.equal(result.verdict.pass, false);
  });
});
