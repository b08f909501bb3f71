// infra/nats-server.per-agent.conf, enforced by a real nats-server: each agent signs in as its
// own user, with its own reply inboxes (--nats-inbox-prefix), and a distributed run works; an
// agent cannot take another's name. The credentials come from infra/scripts/gen-credentials.mjs.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { natsServerBinary } from "@parallax/testkit";
import { startAgent, type AgentProcess } from "./support/agents.js";
import { runCli, tempDir } from "./support/cli.js";
import { startCounter } from "./support/counter.js";
import { startInfraNats, type InfraNats } from "./support/infra-nats.js";

const natsBin = natsServerBinary(process.env);
const skip = natsBin === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;

describe("infra/nats-server.per-agent.conf: one user per agent", { skip }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let nats: InfraNats | undefined;
  const agents: AgentProcess[] = [];

  before(async () => {
    dir = await tempDir("infra-per-agent");
    nats = await startInfraNats(natsBin as string, "nats-server.per-agent.conf", dir.path, ["a1", "a2", "a3"]);
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop("SIGKILL")));
    nats?.stop();
    await dir?.remove();
  });

  it("runs a distributed run with agents signed in as themselves, each on its own inbox prefix, and nothing is refused", async () => {
    const server = nats as InfraNats;
    const target = await startCounter();
    try {
      for (const name of ["a1", "a2"]) agents.push(startAgent(server.url, name, ["--nats-nkey", server.seed(`agent-${name}`), "--nats-inbox-prefix", `_INBOX_${name}`]));
      await Promise.all(agents.map((a) => a.ready));
      const traffic = join(dir.path, "rec.jsonl");
      await writeFile(traffic, Array.from({ length: 40 }, (_, i) => JSON.stringify({ method: "GET", url: `/items/${i}` })).join("\n"));
      const run = await runCli(["run", "--traffic", traffic, "--production", target.url, "--candidate", target.url, "--rate", "100", "--agents", "2", "--nats", server.url, "--nats-nkey", server.seed("coordinator"), "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.deepEqual(report.run.agents.map((a) => [a.id, a.requests]).sort(), [["a1", 20], ["a2", 20]]);
      assert.equal(target.arrivals.length, 80, "each request once to each name of the one server");
      // nats-server logs "Publish Violation" / "Subscription Violation", clients "Permissions Violation".
      assert.doesNotMatch(`${server.log()}${agents.map((a) => a.stderr()).join("")}${run.stderr}`, /Violation/);
    } finally {
      await target.close();
    }
  });

  it("refuses an agent another agent's name (exit 3, naming the subject)", async () => {
    const server = nats as InfraNats;
    const run = await runCli(["agent", "--nats", server.url, "--nats-nkey", server.seed("agent-a3"), "--name", "a1", "--nats-inbox-prefix", "_INBOX_a3"], { timeoutMs: 20_000 });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /NATS refused agent a1: Permissions Violation for (Subscription to "parallax\.v1\.agent\.a1\.control"|Publish to "parallax\.v1\.agents\.heartbeat\.a1")/);
  });

  it("refuses an agent its own user's default inboxes at start (exit 3), naming --nats-inbox-prefix", async () => {
    const server = nats as InfraNats;
    const run = await runCli(["agent", "--nats", server.url, "--nats-nkey", server.seed("agent-a3"), "--name", "a3"], { timeoutMs: 20_000 });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /NATS refused agent a3: Permissions Violation for Subscription to "_INBOX\.[^"]*".*pass --nats-inbox-prefix \(e\.g\. _INBOX_a3\)/);
  });

  it("refuses a bad inbox prefix before connecting (exit 2)", async () => {
    const run = await runCli(["agent", "--nats", (nats as InfraNats).url, "--nats-inbox-prefix", "_INBOX.>"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--nats-inbox-prefix: "_INBOX\.>" is not a subject prefix/);
  });
});
