// Load models end to end through the real CLI, against targets whose timing is known exactly:
// coordinated omission, the knee of a step run, replay timing, the closed model, ramps.
// Runs alone, after the rest of the suite (see package.json): its figures are timings, which a
// test running beside it on a 2-core machine would distort.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { decodeHistogram } from "@parallax/metrics";
import type { RunResult } from "@parallax/protocol";
import { atOrAfter, closeServer, onceListening } from "@parallax/testkit";
import { runCli, tempDir } from "../support/cli.js";

interface Target {
  readonly url: string;
  readonly server: Server;
  /** When each request arrived (performance.now), by the number in its path `/items/<n>`. */
  readonly arrivals: Map<number, number>;
}

/** `answer(now)` says when (performance.now) to answer a request that arrived at `now`. */
async function startTarget(answer: (arrivedAt: number) => number): Promise<Target> {
  const arrivals = new Map<number, number>();
  const server = createServer((req, res) => {
    const arrivedAt = performance.now();
    const item = Number(req.url?.split("/")[2]);
    if (!arrivals.has(item)) arrivals.set(item, arrivedAt);
    req.resume();
    req.on("end", () => atOrAfter(answer(arrivedAt), () => res.setHeader("content-type", "application/json").end('{"ok":true}')));
  });
  await onceListening(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, arrivals };
}

/**
 * Serves one request at a time, in arrival order, each taking exactly `serviceMs`: its capacity is
 * 1000 / serviceMs requests per second, whatever the timers' jitter (the queue is arithmetic).
 */
function oneAtATime(serviceMs: number): Promise<Target> {
  let freeAt = 0;
  return startTarget((arrivedAt) => (freeAt = Math.max(arrivedAt, freeAt) + serviceMs));
}

/** Answers at once, except that answers due inside [stallFrom, stallFrom + 1 s) of its first request wait for the stall to end. */
function stallsOnceFor1s(stallFromMs: number): Promise<Target> {
  let first: number | undefined;
  return startTarget((arrivedAt) => {
    first ??= arrivedAt;
    const from = first + stallFromMs;
    return arrivedAt >= from && arrivedAt < from + 1000 ? from + 1000 : arrivedAt;
  });
}

async function recording(dir: string, lines: ReadonlyArray<Record<string, unknown>>): Promise<string> {
  const file = join(dir, `rec-${lines.length}-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return file;
}

const gets = (n: number) => Array.from({ length: n }, (_, i) => ({ method: "GET", url: `/items/${i}` }));

async function run(args: readonly string[], timeoutMs = 90_000): Promise<RunResult> {
  const result = await runCli(["run", ...args, "--json"], { timeoutMs });
  assert.ok(result.code === 0 || result.code === 1, `exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as RunResult;
}

describe("load models", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const servers: Server[] = [];
  const track = async (target: Promise<Target>) => {
    const t = await target;
    servers.push(t.server);
    return t;
  };
  before(async () => {
    dir = await tempDir("load-models");
  });
  after(async () => {
    await Promise.all(servers.map((s) => closeServer(s)));
    await dir.remove();
  });

  it("measures from the intended send time: a 1 s stall shows in p99, not in p50, and not on the other target", async () => {
    const stalling = await track(stallsOnceFor1s(2500));
    const steady = await track(startTarget((at) => at));
    const out = join(dir.path, "stall");
    const traffic = await recording(dir.path, gets(1200));
    const report = await run(["--traffic", traffic, "--production", steady.url, "--candidate", stalling.url, "--rate", "200", "--out", out]);
    assert.equal(report.targets.candidate.responses, 1200);
    // 200 requests arrive during the stall and wait from 1 s down to 0: the top 1 % waited at least 0.9 s.
    assert.ok(report.targets.candidate.latencyMs.p99 >= 800, `candidate p99 ${report.targets.candidate.latencyMs.p99} ms`);
    assert.ok(report.targets.candidate.latencyMs.p50 < 100, `candidate p50 ${report.targets.candidate.latencyMs.p50} ms`);
    assert.ok(report.targets.production.latencyMs.p99 < 300, `production p99 ${report.targets.production.latencyMs.p99} ms is not the stall's`);
    // Service time (from the actual send) and response time agree when the generator kept the schedule.
    assert.ok(report.targets.candidate.serviceTimeMs.p99 >= 800);

    // The interval log holds every response once, second by second.
    const hlog = await readFile(join(out, "candidate.hlog"), "utf8");
    const lines = hlog.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith('"'));
    const counted = lines.reduce((n, line) => n + decodeHistogram(line.split(",")[3] as string).totalCount, 0);
    assert.equal(counted, 1200);
    assert.ok(lines.length >= 5 && lines.length <= 8, `${lines.length} one-second intervals for a 6 s run`);
    // In the stalled second the interval max is about the stall; the first second's is not.
    const maxes = lines.map((l) => Number(l.split(",")[2]));
    assert.ok(Math.max(...maxes) >= 800 && (maxes[0] as number) < 800, `interval maxes ${maxes.join(", ")}`);
  });

  it("reports a target that always answers in 50 ms at 5 requests/s at about 50 ms", async () => {
    const slow = await track(startTarget((at) => at + 50));
    const traffic = await recording(dir.path, gets(10));
    const report = await run(["--traffic", traffic, "--production", slow.url, "--candidate", slow.url, "--rate", "5"]);
    const { p50 } = report.targets.production.latencyMs;
    assert.ok(p50 >= 49 && p50 < 70, `p50 ${p50} ms`);
    const generator = report.run.agents[0]?.generator;
    assert.equal(generator?.bottleneck, false, `judged the bottleneck: ${generator?.reasons.join("; ")}`);
  });

  it("finds each target's knee in a step run and reports their ratio", async () => {
    // Capacities 250/s and 200/s; steps of 25/s from 150/s, judged at p99 <= 100 ms. Past its capacity a
    // target's queue grows by the excess every second: 25/s over 2 s is 50 requests, 200 ms and more.
    const production = await track(oneAtATime(4));
    const candidate = await track(oneAtATime(5));
    const traffic = await recording(dir.path, gets(50));
    const report = await run([
      "--traffic", traffic, "--production", production.url, "--candidate", candidate.url, "--agents", "2",
      "--load", "steps", "--start-rate", "150", "--step-rate", "25", "--max-rate", "300", "--step-duration", "2s", "--slo-p99", "100ms",
    ]);
    const capacity = report.capacity;
    assert.ok(capacity, "a step run reports capacity");
    assert.equal(report.run.loadModel, "steps");
    assert.deepEqual(capacity.slo, { p99Ms: 100 });
    const { production: kneeP, candidate: kneeC } = capacity.knee;
    assert.ok(kneeP !== null && Math.abs(kneeP - 250) <= 0.15 * 250, `production knee ${kneeP}/s, truth 250/s`);
    assert.ok(kneeC !== null && Math.abs(kneeC - 200) <= 0.15 * 200, `candidate knee ${kneeC}/s, truth 200/s`);
    assert.equal(capacity.ratio, Math.round((kneeC / kneeP) * 1e6) / 1e6);
    assert.deepEqual(capacity.kneeAtLeast, { production: false, candidate: false }, "both broke the SLO: their knees are not bounds");
    // Every target broke its SLO before 300/s: the run stopped early, as designed (not degraded).
    assert.equal(capacity.stopped, "slo-broken");
    assert.equal(report.run.status, "completed");
    assert.ok(!capacity.steps.some((s) => s.offeredRps === 300 && s.complete), "the 300/s step was cut short or never run");
    const complete = capacity.steps.filter((s) => s.complete);
    assert.deepEqual(complete.slice(0, 4).map((s) => s.offeredRps), [150, 175, 200, 225]);
    // Below capacity a target achieves what is offered; the candidate cannot exceed its 200/s.
    const first = complete[0];
    assert.ok(first && Math.abs((first.achievedRps.production ?? 0) - 150) < 15, `achieved ${first?.achievedRps.production}/s of 150/s`);
    for (const s of complete) assert.ok((s.achievedRps.candidate ?? 0) <= 200 * 1.05, `candidate achieved ${s.achievedRps.candidate}/s at ${s.offeredRps}/s`);
    // Each step sent exactly its share: rate × duration requests, split over two agents.
    for (const s of complete) assert.equal(s.counts.production?.requests, s.offeredRps * 2);
    // The scalability fit uses the complete steps with at least one request in flight on average (or none, below three).
    const fitted = complete.filter((s) => (s.concurrency.production ?? 0) >= 1).length;
    if (fitted < 3) assert.equal(capacity.usl.production, null);
    else if (capacity.usl.production) assert.equal(capacity.usl.production.points, fitted);
  });

  it("replays irregular timestamps at speed 2: each request at half its original offset", async () => {
    const clockTarget = await track(startTarget((at) => at));
    // Irregular gaps from 3 ms to 39 ms; 400 requests over about 8.4 s of recorded time.
    let at = Date.parse("2026-01-01T00:00:00Z");
    const offsets: number[] = [];
    const lines = Array.from({ length: 400 }, (_, i) => {
      if (i > 0) at += 3 + ((i * 17) % 37);
      offsets.push(at - Date.parse("2026-01-01T00:00:00Z"));
      return { method: "GET", url: `/items/${i}`, time: new Date(at).toISOString() };
    });
    const traffic = await recording(dir.path, lines);
    const report = await run(["--traffic", traffic, "--production", clockTarget.url, "--candidate", clockTarget.url, "--speed", "2"]);
    assert.equal(report.run.load, "replay at 2x (400 requests)");
    // The scheduler's own record: how far each send left behind its intended instant. A few ms on a
    // quiet machine (bench/ measures it); the p99 of 400 sends is the 4th-worst, so one GC pause of the
    // run's start-up can reach 10 ms. The bound catches a scheduler that drifts, not jitter.
    const lag = report.run.agents[0]?.generator?.schedulerLagMs;
    assert.ok(lag && lag.p99 <= 15, `scheduler lag p99 ${lag?.p99} ms`);
    // The target's record agrees: arrival offsets are the original offsets halved (request 0 is the reference).
    // Both targets are one server: the first arrival of each item counts.
    const first = clockTarget.arrivals.get(0) as number;
    const errors = offsets.map((offset, i) => Math.abs((clockTarget.arrivals.get(i) as number) - first - offset / 2)).sort((a, b) => a - b);
    const p99 = errors[Math.ceil(0.99 * errors.length) - 1] as number;
    assert.ok(p99 < 20, `arrival offset error p99 ${p99.toFixed(2)} ms`);
  });

  it("runs a closed model and reports throughput and latency per target", async () => {
    const fast = await track(startTarget((at) => at + 1));
    const slower = await track(startTarget((at) => at + 10));
    const traffic = await recording(dir.path, [...gets(5), { method: "POST", url: "/items/99", body: "{}" }]);
    const result = await runCli(["run", "--traffic", traffic, "--production", fast.url, "--candidate", slower.url, "--load", "closed", "--connections", "4", "--duration", "2s", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as RunResult;
    assert.equal(report.run.loadModel, "closed");
    for (const name of ["production", "candidate"] as const) {
      const t = report.targets[name];
      assert.ok(t.responses > 0 && t.throughputRps > 0, `${name}: ${t.responses} responses, ${t.throughputRps}/s`);
      assert.equal(t.statusCodes["200"], t.responses);
      assert.equal(t.throughputRps, Math.round((t.responses / 2) * 1000) / 1000);
    }
    // 4 connections each waiting 10 ms per answer cannot exceed 400/s.
    assert.ok(report.targets.candidate.throughputRps <= 400 * 1.05, `candidate ${report.targets.candidate.throughputRps}/s`);
    assert.ok(report.targets.candidate.latencyMs.p50 >= 9, `candidate p50 ${report.targets.candidate.latencyMs.p50} ms`);
    // The unsafe POST is held back once, never sent; nothing is paired, so nothing is compared, and that is no failure.
    assert.deepEqual(report.skipped.reasons, { "unsafe method POST not allowed on production": 1 });
    assert.equal(fast.arrivals.has(99), false);
    assert.equal(report.diff.compared, 0);
    assert.equal(report.verdict.pass, true);
  });

  it("ramps the arrival rate through stages and sends exactly the planned requests", async () => {
    const target = await track(startTarget((at) => at));
    const traffic = await recording(dir.path, gets(7));
    // 0 → 100/s over 1 s (50 requests), then 100/s → 100/s over 1 s (100 requests).
    const report = await run(["--traffic", traffic, "--production", target.url, "--candidate", target.url, "--stages", "100:1s,100:1s", "--agents", "2"]);
    assert.equal(report.run.loadModel, "ramp");
    assert.equal(report.run.planned, 150);
    assert.equal(report.targets.production.requests, 150);
    assert.equal(report.run.agents.reduce((n, a) => n + a.requests, 0), 150);
  });
});
