// Distributed runs under faults and with credentials: a nats-server restarted or down past the
// lease, NATS authentication, target credentials from each agent's environment. Real
// nats-server, agents as real processes, real HTTP targets on 127.0.0.1.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { natsServerBinary, startNatsServer } from "@parallax/testkit";
import { startAgent, type AgentProcess } from "./support/agents.js";
import { gets, startCounter } from "./support/counter.js";
import { runCli, tempDir } from "./support/cli.js";

const skip = natsServerBinary(process.env) === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;

describe("a nats-server restart mid-run", { skip }, () => {
  it("loses nothing and counts nothing twice", async () => {
    const nats = await startNatsServer({ env: process.env });
    const dir = await tempDir("restart");
    const target = await startCounter();
    const agents = ["r1", "r2"].map((name) => startAgent(nats.url, name));
    try {
      await Promise.all(agents.map((a) => a.ready));
      const file = join(dir.path, "restart.jsonl");
      await writeFile(file, gets(10));
      const started = runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "100", "--duration", "8s", "--nats", nats.url, "--agents", "2", "--json"], { timeoutMs: 90_000 });
      while (target.arrivals.length < 300) await new Promise((r) => setTimeout(r, 50));
      await nats.stop();
      await new Promise((r) => setTimeout(r, 2000));
      await nats.restart();
      const run = await started;
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.run.status, "completed");
      assert.equal(report.run.planned, 800);
      assert.equal(report.targets.production.requests, 800);
      assert.equal(report.targets.candidate.responses, 800);
      assert.equal(target.arrivals.length, 1600, "every request reached the target once per side");
      assert.ok(!report.run.events.some((e) => e.type === "snapshot-gap"), JSON.stringify(report.run.events));
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await target.close();
      await nats.close();
      await dir.remove();
    }
  });
});

describe("NATS authentication", { skip }, () => {
  it("connects with --nats-token, and without it fails with exit 3 and a clear message", async () => {
    const dir = await tempDir("auth");
    const config = join(dir.path, "token.conf");
    await writeFile(config, 'authorization { token: "s3cret-token" }\n');
    const nats = await startNatsServer({ env: process.env, configFile: config });
    try {
      const denied = await runCli(["agents", "--nats", nats.url]);
      assert.equal(denied.code, 3, denied.stderr);
      assert.match(denied.stderr, /parallax: could not connect to nats:\/\/127\.0\.0\.1:\d+: .*(authorization|auth)/i);
      assert.doesNotMatch(denied.stderr, /\n\s+at /);
      const allowed = await runCli(["agents", "--nats", nats.url, "--nats-token", "s3cret-token", "--json"]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.deepEqual(JSON.parse(allowed.stdout), []);
      const fromEnv = await runCli(["agents", "--nats", nats.url, "--json"], { env: { PARALLAX_NATS_TOKEN: "s3cret-token" } });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
    } finally {
      await nats.close();
      await dir.remove();
    }
  });

  it("an unreachable NATS server is an infrastructure failure (exit 3), reported at once", async () => {
    const run = await runCli(["run", "--traffic", "scenarios/demo/recording.jsonl", "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9", "--nats", "nats://127.0.0.1:9"]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /could not connect to nats:\/\/127\.0\.0\.1:9/);
  });
});

describe("a nats-server outage longer than the lease", { skip }, () => {
  it("agents stop on their own; after it, everything they sent is counted exactly once and the rest reported never sent", async () => {
    const nats = await startNatsServer({ env: process.env });
    const dir = await tempDir("outage");
    const target = await startCounter();
    const agents = ["o1", "o2"].map((name) => startAgent(nats.url, name));
    try {
      await Promise.all(agents.map((a) => a.ready));
      const file = join(dir.path, "outage.jsonl");
      await writeFile(file, gets(10));
      const started = runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "100", "--duration", "12s", "--nats", nats.url, "--agents", "2", "--json"], { timeoutMs: 120_000 });
      while (target.arrivals.length < 300) await new Promise((r) => setTimeout(r, 50));
      await nats.stop();
      await new Promise((r) => setTimeout(r, 7000));
      await nats.restart();
      const run = await started;
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.run.status, "degraded");
      assert.deepEqual(report.run.agents.map((a) => a.state), ["stopped", "stopped"], "both gave up when the lease ran out, and said so");
      const counted = report.run.agents.reduce((n, a) => n + a.requests, 0);
      assert.ok(counted < 2400);
      assert.equal(report.targets.production.requests, counted);
      assert.equal(target.arrivals.length, 2 * counted, "every request sent is counted, none twice");
      assert.ok(report.run.events.some((e) => e.type === "bus-disconnected"));
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await target.close();
      await nats.close();
      await dir.remove();
    }
  });
});

describe("target credentials", { skip }, () => {
  it("come from each agent's environment, never from the coordinator's; an agent without them refuses, naming the variable", async () => {
    const nats = await startNatsServer({ env: process.env });
    const dir = await tempDir("creds");
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers["authorization"]));
      req.resume();
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keyed = startAgent(nats.url, "keyed", [], { PROD_TOKEN: "agent-secret" });
    let bare: AgentProcess | undefined;
    try {
      await keyed.ready;
      await writeFile(join(dir.path, "creds.jsonl"), gets(4));
      await writeFile(join(dir.path, "creds.yaml"), `targets:\n  production: { url: "${url}", headers: { authorization: "Bearer \${PROD_TOKEN}" } }\n  candidate: ${url}\ntraffic: creds.jsonl\n`);
      const run = await runCli(["run", join(dir.path, "creds.yaml"), "--nats", nats.url, "--agents", "1", "--json"], { env: { PROD_TOKEN: "coordinator-secret" } });
      assert.equal(run.code, 0, run.stderr);
      // Production got the agent's credential on every request; the candidate (no header configured) none.
      assert.deepEqual(seen.sort(), [...Array(4).fill("Bearer agent-secret"), ...Array(4).fill("undefined")].sort());

      bare = startAgent(nats.url, "bare");
      await bare.ready;
      const refused = await runCli(["run", join(dir.path, "creds.yaml"), "--nats", nats.url, "--agents", "2"], { env: { PROD_TOKEN: "coordinator-secret" } });
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /agent bare refused: could not prepare: .*targets\.production\.headers\.authorization: environment variable "PROD_TOKEN" not set/);
      assert.ok(!seen.includes("Bearer coordinator-secret"));
    } finally {
      await Promise.all([keyed.stop(), bare?.stop()]);
      await new Promise((resolve) => server.close(resolve));
      await nats.close();
      await dir.remove();
    }
  });
});
