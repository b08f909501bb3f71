// Load models over NATS: agents as real processes split step and closed runs exactly.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { closeServer, natsServerBinary, onceListening, startNatsServer, type NatsServerHandle } from "@parallax/testkit";
import { startAgent, type AgentProcess } from "./support/agents.js";
import { runCli, tempDir } from "./support/cli.js";

const skip = natsServerBinary(process.env) === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;

/** Answers at once and counts what it received. */
async function startCounter(): Promise<{ url: string; arrivals: number[]; close(): Promise<void> }> {
  const arrivals: number[] = [];
  const server: Server = createServer((req, res) => {
    arrivals.push(Date.now());
    req.resume();
    req.on("end", () => res.setHeader("content-type", "application/json").end("{}"));
  });
  await onceListening(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, close: () => closeServer(server) };
}

const gets = (count: number) => `${Array.from({ length: count }, (_, i) => JSON.stringify({ method: "GET", url: `/items/${i}` })).join("\n")}\n`;

describe("load models over NATS", { skip }, () => {
  let nats: NatsServerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let agents: AgentProcess[] = [];

  before(async () => {
    nats = await startNatsServer({ env: process.env });
    dir = await tempDir("distributed-load");
    agents = ["m1", "m2", "m3"].map((name) => startAgent(nats.url, name));
    await Promise.all(agents.map((a) => a.ready));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await nats?.close();
    await dir?.remove();
  });

  it("runs step and closed load models across agents: exact shares, capacity and generator health merged", async () => {
    const target = await startCounter();
    try {
      const file = join(dir.path, "models.jsonl");
      await writeFile(file, gets(10));
      // Steps of 30/s and 60/s for 1 s each: 30 + 60 requests per target, split over three agents.
      const steps = await runCli([
        "run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--nats", nats.url, "--agents", "3", "--json",
        "--load", "steps", "--start-rate", "30", "--step-rate", "30", "--max-rate", "60", "--step-duration", "1s", "--slo-p99", "1s",
      ]);
      assert.equal(steps.code, 0, steps.stderr);
      const s = JSON.parse(steps.stdout) as RunResult;
      assert.deepEqual(s.capacity?.steps.map((x) => [x.offeredRps, x.complete, x.counts.production?.requests, x.sloMet.candidate]), [
        [30, true, 30, true],
        [60, true, 60, true],
      ]);
      assert.equal(s.capacity?.knee.production, 60);
      assert.deepEqual(s.capacity?.kneeAtLeast, { production: true, candidate: true }, "both met the SLO at every step: 60/s is a lower bound");
      assert.equal(s.capacity?.ratio, null, "two lower bounds have no ratio");
      assert.equal(s.capacity?.stopped, "all-steps");
      assert.deepEqual(s.run.agents.map((a) => a.requests), [30, 30, 30]);
      for (const a of s.run.agents) assert.ok(a.generator && a.generator.schedulerLagMs.max >= 0 && a.generator.cpu, `agent ${a.id} reports its generator`);

      // The closed model splits its connections exactly: 4 over three agents is 2 + 1 + 1.
      const before = target.arrivals.length;
      const closed = await runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--nats", nats.url, "--agents", "3", "--json", "--load", "closed", "--connections", "4", "--duration", "1s"]);
      assert.equal(closed.code, 0, closed.stderr);
      const c = JSON.parse(closed.stdout) as RunResult;
      const answered = c.targets.production.responses + c.targets.candidate.responses;
      assert.ok(answered > 0);
      // Requests still in flight at the end are cut off unanswered: at most one per connection (8 in all).
      const received = target.arrivals.length - before;
      assert.ok(received >= answered && received - answered <= 8, `target received ${received}, report counts ${answered}`);
    } finally {
      await target.close();
    }
  });
});
