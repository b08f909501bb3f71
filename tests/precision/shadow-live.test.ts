// Continuous shadow comparison end to end: a client sends ground-truth traffic through a real
// `parallax tap` to production; `parallax shadow` (a real process) drives `parallax agent`
// processes that consume the traffic stream, send each request to the candidate and a secondary,
// and compare with production's captured answer. Every count is known: label flips, 503s and slow
// answers are a pure function of the request number.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { expectedCounts, natsServerBinary, startGroundTruthTarget, startNatsServer, type NatsServerHandle, type RunningTarget } from "@parallax/testkit";
import { request } from "undici";
import { startAgent, type AgentProcess } from "../support/agents.js";
import { tempDir } from "../support/cli.js";
import { readReport, reportCounting, sendThrough, spawnCli, type Spawned } from "../support/shadow.js";

const skip = natsServerBinary(process.env) === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;

describe("parallax shadow: live traffic through the tap, rolling windows", { skip }, () => {
  const COUNT = 300;
  const truth = expectedCounts(COUNT);
  let nats: NatsServerHandle;
  let production: RunningTarget;
  let candidate: RunningTarget;
  let secondary: RunningTarget;
  let agents: AgentProcess[] = [];
  let tap: Spawned;
  let shadow: Spawned;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let metricsText = "";
  let atMetrics: RunResult | undefined;
  let final: RunResult;
  let exitCode: number | null;

  before(async () => {
    nats = await startNatsServer({ env: process.env });
    [production, candidate, secondary] = await Promise.all([
      startGroundTruthTarget({ role: "production" }),
      startGroundTruthTarget({ role: "candidate", slowDelayMs: 300 }),
      startGroundTruthTarget({ role: "secondary" }),
    ]);
    dir = await tempDir("shadow-live");
    agents = ["s1", "s2"].map((name) => startAgent(nats.url, name));
    await Promise.all(agents.map((a) => a.ready));
    tap = spawnCli(["tap", "--listen", "127.0.0.1:0", "--upstream", production.url, "--nats", nats.url, "--stream", "gt"]);
    const tapUrl = (await tap.waitFor(/parallax tap listening (http:\/\/\S+)/))[1] as string;
    shadow = spawnCli([
      "shadow",
      "--nats", nats.url,
      "--stream", "gt",
      "--candidate", candidate.url,
      "--secondary", secondary.url,
      "--allow-unsafe-production", "POST /predict",
      "--agents", "2",
      "--window", "2s",
      "--ack-wait", "3s",
      "--out", join(dir.path, "out"),
      "--metrics", "127.0.0.1:0",
    ]);
    const metricsUrl = (await shadow.waitFor(/metrics on (http:\/\/\S+)/))[1] as string;
    await shadow.waitFor(/consuming/);
    await sendThrough(tapUrl, 0, COUNT);
    await reportCounting(join(dir.path, "out"), COUNT);
    // /metrics and report.json are both written from one window's cumulative result: read until they agree on the window.
    for (let attempt = 0; attempt < 20 && atMetrics === undefined; attempt++) {
      const before = await readReport(join(dir.path, "out"));
      metricsText = await (await request(metricsUrl)).body.text();
      const after = await readReport(join(dir.path, "out"));
      if (before?.run.endedAt === after?.run.endedAt) atMetrics = after;
    }
    exitCode = await shadow.stop("SIGTERM");
    final = (await readReport(join(dir.path, "out"))) as RunResult;
  });
  after(async () => {
    await Promise.all([tap?.stop(), shadow?.stop("SIGKILL"), ...agents.map((a) => a.stop())]);
    await Promise.all([production?.close(), candidate?.close(), secondary?.close(), dir?.remove()]);
    await nats?.close();
  });

  it("exits 0 on SIGTERM with a final report", () => {
    assert.equal(exitCode, 0, shadow.stderr());
    assert.equal(final.run.mode, "shadow");
  });

  it("accounts for every tapped exchange exactly once", () => {
    const s = final.shadow;
    assert.ok(s);
    assert.equal(s.received, COUNT);
    assert.equal(s.compared, COUNT);
    assert.equal(s.duplicates, 0);
    assert.deepEqual(s.measuredAt, { production: "tap", candidate: "agent", secondary: "agent" });
    assert.equal(production.received.total, COUNT, "production got each request once: from the tap, never from the shadow");
    assert.equal(candidate.received.total, COUNT);
    assert.equal(secondary.received.total, COUNT);
  });

  it("reports exactly the candidate's label flips and 503s; random ids and times are noise", () => {
    assert.equal(final.diff.compared, COUNT);
    assert.equal(final.diff.different, truth.flips + truth.failures);
    assert.equal(final.diff.noise, COUNT - truth.flips - truth.failures);
    assert.deepEqual(final.targets.candidate.statusCodes, { "200": COUNT - truth.failures, "503": truth.failures });
    assert.deepEqual(final.targets.production.statusCodes, { "200": COUNT });
    const group = (path: string) => final.diff.groups.find((g) => g.path === path && g.endpoint === "POST /predict");
    assert.equal(group("$.label")?.count, truth.flips);
    assert.equal(group("status")?.count, truth.failures);
  });

  it("reflects the candidate's slow answers in its latency, measured by the agents", () => {
    assert.ok(final.targets.candidate.latencyMs.p99 >= 300, `candidate p99 ${final.targets.candidate.latencyMs.p99}`);
    assert.ok(final.targets.production.latencyMs.p99 < 300, `production p99 ${final.targets.production.latencyMs.p99}`);
  });

  it("serves /metrics counters equal to the report's totals at the end of a window", () => {
    assert.ok(atMetrics, "a report and a scrape of the same window");
    const report: RunResult = atMetrics;
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const value = (name: string, labels: string) => Number(new RegExp(`^${name}${labels === "" ? "" : escape(`{${labels}}`)} (\\S+)$`, "m").exec(metricsText)?.[1]);
    for (const target of ["production", "candidate", "secondary"] as const) {
      const requests = report.targets[target]?.requests;
      let scraped = 0;
      for (const e of report.endpoints) scraped += value("parallax_requests_total", `target="${target}",endpoint="${e.endpoint}"`);
      assert.equal(scraped, requests, `${target} requests`);
    }
    assert.equal(value("parallax_stream_received_total", ""), report.shadow?.received);
  });

  it("writes a file per window", async () => {
    const windows = await import("node:fs/promises").then((fs) => fs.readdir(join(dir.path, "out", "windows")));
    assert.ok(windows.length >= 2, `windows: ${windows.join(", ")}`);
    const counted = await Promise.all(windows.map(async (name) => (JSON.parse(await readFile(join(dir.path, "out", "windows", name), "utf8")) as RunResult).shadow?.received ?? 0));
    assert.equal(counted.reduce((a, b) => a + b, 0), COUNT, "the windows partition the exchanges");
  });
});

describe("parallax shadow: an agent killed and restarted mid-stream", { skip }, () => {
  const COUNT = 400;
  let nats: NatsServerHandle;
  let production: RunningTarget;
  let candidate: RunningTarget;
  let agents: AgentProcess[] = [];
  let tap: Spawned;
  let shadow: Spawned;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    nats = await startNatsServer({ env: process.env });
    [production, candidate] = await Promise.all([startGroundTruthTarget({ role: "production" }), startGroundTruthTarget({ role: "candidate", slowDelayMs: 50 })]);
    dir = await tempDir("shadow-kill");
    agents = ["k1", "k2"].map((name) => startAgent(nats.url, name));
    await Promise.all(agents.map((a) => a.ready));
  });
  after(async () => {
    await Promise.all([tap?.stop(), shadow?.stop("SIGKILL"), ...agents.map((a) => a.stop())]);
    await Promise.all([production?.close(), candidate?.close(), dir?.remove()]);
    await nats?.close();
  });

  it("compares every tapped request exactly once, and says so", async () => {
    tap = spawnCli(["tap", "--listen", "127.0.0.1:0", "--upstream", production.url, "--nats", nats.url, "--stream", "kill"]);
    const tapUrl = (await tap.waitFor(/parallax tap listening (http:\/\/\S+)/))[1] as string;
    shadow = spawnCli(["shadow", "--nats", nats.url, "--stream", "kill", "--candidate", candidate.url, "--allow-unsafe-production", "POST /predict", "--agents", "2", "--window", "1s", "--ack-wait", "2s", "--out", join(dir.path, "out")]);
    await shadow.waitFor(/consuming/);
    await sendThrough(tapUrl, 0, COUNT / 2);
    // kill -9 mid-stream: what it held unacked comes back to the other agent, or to its restart.
    const victim = agents[0] as AgentProcess;
    await victim.stop("SIGKILL");
    const restarted = startAgent(nats.url, "k1");
    agents[0] = restarted;
    await restarted.ready;
    await sendThrough(tapUrl, COUNT / 2, COUNT);
    await reportCounting(join(dir.path, "out"), COUNT);
    assert.equal(await shadow.stop("SIGTERM"), 0, shadow.stderr());
    const report = (await readReport(join(dir.path, "out"))) as RunResult;
    const s = report.shadow;
    assert.ok(s);
    assert.equal(s.received, COUNT, "every tapped exchange counted");
    assert.equal(s.compared + s.heldBack + s.sampledOut + s.malformed, COUNT, "and each exactly once");
    assert.equal(report.diff.compared, COUNT);
    assert.equal(report.targets.production.requests, COUNT);
    assert.equal(production.received.total, COUNT);
    // The candidate may have answered an exchange twice (once to the agent that died before its snapshot was stored), never less than once.
    assert.ok(candidate.received.total >= COUNT);
    assert.ok(report.run.events.some((e) => /k1/.test(e.message)), "the lost agent is named in the events");
  });
});
