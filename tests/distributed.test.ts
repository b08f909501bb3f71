// Distributed runs end to end: a real nats-server on a random port, agents as real
// `parallax agent` processes, the coordinator as a real `parallax run --nats` process, and
// real HTTP targets on 127.0.0.1. Faults are real too: kill -9, a server restart.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeHistogram } from "@parallax/metrics";
import type { RunResult } from "@parallax/protocol";
import { expectedCounts, groundTruthRecording, natsServerBinary, startGroundTruthTarget, startNatsServer, type NatsServerHandle, type RunningTarget } from "@parallax/testkit";
import { startAgent, type AgentProcess } from "./support/agents.js";
import { gets, startCounter } from "./support/counter.js";
import { PARALLAX_BIN, REPO, runCli, tempDir } from "./support/cli.js";

const skip = natsServerBinary(process.env) === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;


describe("distributed runs over NATS", { skip }, () => {
  let nats: NatsServerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let agents: AgentProcess[] = [];

  before(async () => {
    nats = await startNatsServer({ env: process.env });
    dir = await tempDir("distributed");
    agents = ["a1", "a2", "a3"].map((name) => startAgent(nats.url, name));
    await Promise.all(agents.map((a) => a.ready));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await nats?.close();
    await dir?.remove();
  });

  it("parallax agents lists the connected agents", async () => {
    const run = await runCli(["agents", "--nats", nats.url, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const listed = JSON.parse(run.stdout) as Array<{ name: string; state: string; version: string }>;
    assert.deepEqual(
      listed.map((a) => [a.name, a.state]),
      [
        ["a1", "idle"],
        ["a2", "idle"],
        ["a3", "idle"],
      ],
    );
    const table = await runCli(["agents", "--nats", nats.url]);
    assert.match(table.stdout, /^NAME\s+VERSION\s+STATE/);
  });

  it("gives the same exact counts as a local run; each request once per target; shares add up", async () => {
    const targets: RunningTarget[] = await Promise.all([
      startGroundTruthTarget({ role: "production" }),
      startGroundTruthTarget({ role: "candidate", slowDelayMs: 50 }),
      startGroundTruthTarget({ role: "secondary" }),
    ]);
    try {
      const COUNT = 300;
      const file = join(dir.path, "gt.jsonl");
      await writeFile(file, groundTruthRecording(COUNT));
      const [production, candidate, secondary] = targets.map((t) => t.url) as [string, string, string];
      const args = ["run", "--traffic", file, "--production", production, "--candidate", candidate, "--secondary", secondary, "--allow-unsafe-production", "POST /predict", "--rate", "300", "--json"];
      const local = await runCli(args);
      const distributed = await runCli([...args, "--nats", nats.url, "--agents", "3"]);
      assert.equal(local.code, 0, local.stderr);
      assert.equal(distributed.code, 0, distributed.stderr);
      const l = JSON.parse(local.stdout) as RunResult;
      const d = JSON.parse(distributed.stdout) as RunResult;
      const counts = (r: RunResult) => ({
        targets: Object.fromEntries(Object.entries(r.targets).map(([k, t]) => [k, { requests: t.requests, responses: t.responses, errors: t.errors, statusCodes: t.statusCodes }])),
        diff: { ...r.diff, groups: r.diff.groups.filter((g) => !g.noise).map((g) => [g.endpoint, g.path, g.kind, g.count]).sort() },
        skipped: r.skipped,
      });
      assert.deepEqual(counts(d), counts(l));
      assert.equal(d.run.mode, "nats");
      assert.equal(d.diff.different, expectedCounts(COUNT).flips + expectedCounts(COUNT).failures);
      for (const t of targets) assert.equal(t.received.total, 2 * COUNT, "once per run per target");
      assert.deepEqual(d.run.agents.map((a) => [a.id, a.state, a.requests]), [
        ["a1", "completed", 100],
        ["a2", "completed", 100],
        ["a3", "completed", 100],
      ]);
      for (const t of Object.values(d.targets)) assert.equal(decodeHistogram(t.histogram).totalCount, t.responses, "merged histogram holds every response");
    } finally {
      await Promise.all(targets.map((t) => t.close()));
    }
  });

  it("--agents-timeout: too few agents is exit 3, naming how many were available", async () => {
    const file = join(dir.path, "few.jsonl");
    await writeFile(file, gets(3));
    const run = await runCli(["run", "--traffic", file, "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9", "--nats", nats.url, "--agents", "5", "--agents-timeout", "2s"]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /parallax: only 3 of 5 agent\(s\) available after 2000 ms/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it("ships a recording of more than 5 MB through the object store", async () => {
    const target = await startCounter();
    try {
      const padding = "x".repeat(9000);
      const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({ method: "GET", url: `/big/${i}`, headers: { "x-pad": padding } }));
      const file = join(dir.path, "big.jsonl");
      await writeFile(file, `${lines.join("\n")}\n`);
      const run = await runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "600", "--nats", nats.url, "--agents", "2", "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.targets.production.requests, 600);
      assert.equal(target.arrivals.length, 1200);
    } finally {
      await target.close();
    }
  });

  it("an agent whose allowlist excludes the targets refuses, and the coordinator says which and why", async () => {
    const strict = startAgent(nats.url, "strict", ["--allow-target", "10.0.0.0/8"]);
    try {
      await strict.ready;
      const target = await startCounter();
      const file = join(dir.path, "small.jsonl");
      await writeFile(file, gets(5));
      const run = await runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--nats", nats.url, "--agents", "4", "--agents-timeout", "10s"]);
      await target.close();
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /agent strict refused: target production http:\/\/127\.0\.0\.1:\d+\/? not allowed: 127\.0\.0\.1 resolves to 127\.0\.0\.1, which this agent's allowlist \(10\.0\.0\.0\/8\) does not include/);
      assert.equal(target.arrivals.length, 0, "no agent sent anything");
    } finally {
      await strict.stop();
    }
  });

  it("kill -9 of an agent mid-run: the run ends degraded, the agent named, every count reconciles", async () => {
    const victim = startAgent(nats.url, "victim");
    const target = await startCounter();
    try {
      await victim.ready;
      const file = join(dir.path, "kill.jsonl");
      await writeFile(file, gets(10));
      const started = runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "100", "--duration", "8s", "--nats", nats.url, "--agents", "4", "--json"], { timeoutMs: 90_000 });
      while (target.arrivals.length < 200) await new Promise((r) => setTimeout(r, 50));
      victim.child.kill("SIGKILL");
      const run = await started;
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.run.status, "degraded");
      const lost = report.run.agents.find((a) => a.id === "victim");
      assert.equal(lost?.state, "lost");
      assert.ok(report.run.events.some((e) => e.type === "agent-lost" && e.message.includes("victim")));
      assert.match(report.verdict.reasons.join("\n"), new RegExp(`agent victim lost: ${(lost?.planned ?? 0) - (lost?.requests ?? 0)} requests of its segment were never sent`));
      for (const a of report.run.agents.filter((x) => x.id !== "victim")) assert.deepEqual([a.state, a.requests], ["completed", a.planned]);
      assert.equal(report.run.agents.reduce((n, a) => n + a.planned, 0), 800);
      // What the report counts is exactly what the agents reported sending, nothing twice...
      const counted = report.run.agents.reduce((n, a) => n + a.requests, 0);
      assert.equal(report.targets.production.requests, counted);
      // ...and all of it reached the target (the victim may have sent a little more after its last snapshot).
      assert.ok(target.arrivals.length >= 2 * counted, `${target.arrivals.length} arrivals for ${counted} counted requests`);
    } finally {
      await victim.stop("SIGKILL");
      await target.close();
    }
  });

  it("an agent stopped with SIGTERM mid-run is reported as stopped early, the run degraded", async () => {
    const quitter = startAgent(nats.url, "quitter");
    const target = await startCounter();
    try {
      await quitter.ready;
      const file = join(dir.path, "term.jsonl");
      await writeFile(file, gets(10));
      const started = runCli(["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "80", "--duration", "6s", "--nats", nats.url, "--agents", "4", "--json"], { timeoutMs: 90_000 });
      while (target.arrivals.length < 150) await new Promise((r) => setTimeout(r, 50));
      await quitter.stop("SIGTERM");
      const run = await started;
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.run.status, "degraded");
      const stopped = report.run.agents.find((a) => a.id === "quitter");
      assert.equal(stopped?.state, "stopped");
      assert.ok((stopped?.requests ?? 0) < (stopped?.planned ?? 0));
      assert.match(report.verdict.reasons.join("\n"), new RegExp(`agent quitter stopped early: ${(stopped?.planned ?? 0) - (stopped?.requests ?? 0)} requests`));
      // Its final snapshot arrived: everything it sent is counted, exactly.
      assert.equal(target.arrivals.length, 2 * report.run.agents.reduce((n, a) => n + a.requests, 0));
    } finally {
      await quitter.stop("SIGKILL");
      await target.close();
    }
  });

  it("a rerun with the same --run-id is a run of its own: nothing taken from the first", async () => {
    const target = await startCounter();
    try {
      const file = join(dir.path, "again.jsonl");
      await writeFile(file, gets(30));
      const args = ["run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "100", "--nats", nats.url, "--agents", "3", "--run-id", "same-id", "--json"];
      for (const attempt of [1, 2]) {
        const run = await runCli(args);
        assert.equal(run.code, 0, `attempt ${attempt}: ${run.stderr}`);
        const report = JSON.parse(run.stdout) as RunResult;
        assert.equal(report.targets.production.requests, 30, `attempt ${attempt}`);
        assert.equal(report.run.status, "completed");
      }
      assert.equal(target.arrivals.length, 2 * 2 * 30);
    } finally {
      await target.close();
    }
  });

  it("the coordinator killed mid-run: no agent sends load past its lease", async () => {
    const target = await startCounter();
    try {
      const file = join(dir.path, "orphan.jsonl");
      await writeFile(file, gets(10));
      const coordinator = spawn(process.execPath, [PARALLAX_BIN, "run", "--traffic", file, "--production", target.url, "--candidate", target.url, "--rate", "60", "--duration", "30s", "--nats", nats.url, "--agents", "3"], { cwd: REPO, stdio: "ignore" });
      while (target.arrivals.length < 100) await new Promise((r) => setTimeout(r, 50));
      coordinator.kill("SIGKILL");
      const killedAt = performance.now();
      await new Promise((r) => setTimeout(r, 8000));
      const last = target.arrivals.at(-1) as number;
      // The lease is 5 s; the agents check it every 100 ms.
      assert.ok(last - killedAt < 5000 + 1000, `load arrived ${Math.round(last - killedAt)} ms after the coordinator died`);
      assert.ok(target.arrivals.length < 60 * 2 * 30, "the run did not go on to its end");
      // The agents are free again for the next run.
      const listed = JSON.parse((await runCli(["agents", "--nats", nats.url, "--json"])).stdout) as Array<{ state: string }>;
      assert.ok(listed.every((a) => a.state === "idle"), JSON.stringify(listed));
    } finally {
      await target.close();
    }
  });
});
