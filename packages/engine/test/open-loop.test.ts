import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Comparator } from "@parallax/diff";
import { decodeHistogram, latencySummaryMs } from "@parallax/metrics";
import type { RecordedRequest } from "@parallax/protocol";
import { createPlan, splitEvenly, type LoadSpec, type OpenPlan, type RecordingTimeline } from "@parallax/scenario";
import { HttpTarget, IntervalSink, prepareRequests, runOpenLoop, systemClock } from "../src/index.js";

function openPlan(spec: LoadSpec, recording: RecordingTimeline): OpenPlan {
  const plan = createPlan(spec, recording);
  if (plan.kind !== "open") throw new Error("expected an open plan");
  return plan;
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Answers `{"path": ...}` after `delayMs`; remembers every request. */
async function startTarget(delayMs: number): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      setTimeout(() => res.setHeader("content-type", "application/json").end(JSON.stringify({ path: req.url })), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`, seen, server };
}

const recorded = (index: number, method: string, path: string, body?: string): RecordedRequest => ({
  index,
  offsetMs: 0,
  method,
  path,
  headers: [
    ["accept", "application/json"],
    ["x-parallax-replay", "recorded-value"],
    ["x-target", "recorded"],
  ],
  ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }),
});

describe("runOpenLoop over HTTP", () => {
  let fast: Awaited<ReturnType<typeof startTarget>>;
  let slow: Awaited<ReturnType<typeof startTarget>>;
  before(async () => {
    [fast, slow] = await Promise.all([startTarget(0), startTarget(80)]);
  });
  after(async () => {
    await Promise.all([fast, slow].map((t) => new Promise((resolve) => t.server.close(resolve))));
  });

  it("sends each request to every target once, holds back unsafe ones, and measures from the intended time", async () => {
    const recording = [recorded(0, "GET", "/a?x=1"), recorded(1, "POST", "/orders", '{"n":1}'), recorded(2, "POST", "/v1/models/m:predict", '{"n":2}'), recorded(3, "GET", "/users/42")];
    const requests = prepareRequests(recording, { runId: "run-1", allowUnsafeProduction: ["POST /v1/models/*"] });
    const plan = openPlan({ model: "constant", rate: 100, durationMs: 200 }, { count: recording.length, offsetMs: () => 0 });
    assert.equal(plan.total, 20);
    const targets = [
      new HttpTarget({ name: "production", url: fast.url, timeoutMs: 5000, keepHeaders: ["content-type"], maxBodyBytes: 1 << 20 }),
      new HttpTarget({ name: "candidate", url: slow.url, timeoutMs: 5000, keepHeaders: ["content-type"], maxBodyBytes: 1 << 20, headers: { "x-target": "cand" } }),
    ];
    const sink = new IntervalSink(new Comparator({ ignore: [], tolerance: { absolute: 0, relative: 0 }, headers: ["content-type"], exemplars: 2, maxExemplarBodyBytes: 1024 }), ["production", "candidate"]);
    const segment = splitEvenly(1)[0];
    assert.ok(segment);
    const result = await runOpenLoop({ plan, segment, requests, targets, sink, clock: systemClock, startAt: systemClock.now() + 20, signal: new AbortController().signal });
    await Promise.all(targets.map((t) => t.close()));

    assert.deepEqual(result, { done: 20, notSent: 0 });
    // 20 items cycle the 4 recorded requests: the /orders POST (5 times) is held back from every target.
    for (const target of [fast, slow]) {
      assert.equal(target.seen.length, 15);
      assert.equal(target.seen.filter((s) => s.url === "/base/orders").length, 0);
      assert.equal(target.seen.filter((s) => s.url === "/base/a?x=1").length, 5);
      assert.ok(target.seen.every((s) => s.headers["x-parallax-replay"] === "run-1"), "the marker carries the run id, not the recorded value");
    }
    // The target's own header replaces the recorded one of the same name; other targets keep the recorded one.
    assert.equal(slow.seen[0]?.headers["x-target"], "cand");
    assert.equal(fast.seen[0]?.headers["x-target"], "recorded");
    assert.equal(slow.seen.find((s) => s.method === "POST")?.body, '{"n":2}');

    const data = sink.take();
    assert.equal(data.done, 20);
    assert.deepEqual(data.skipped, { "unsafe method POST not allowed on production": 5 });
    assert.equal(data.targets.production?.requests, 15);
    assert.deepEqual(data.targets.candidate?.statusCodes, { "200": 15 });
    const slowLatency = latencySummaryMs(decodeHistogram(data.targets.candidate?.histogram as string));
    assert.ok(slowLatency.min >= 80, `candidate min ${slowLatency.min} ms includes its 80 ms delay`);
    // Both targets echo the same path, so every pair is identical.
    assert.equal(data.diff.compared, 15);
    assert.equal(data.diff.identical, 15);
  });

  it("stops sending at once when aborted, and says how many were never sent", async () => {
    const requests = prepareRequests([recorded(0, "GET", "/x")], { runId: "run-2", allowUnsafeProduction: [] });
    const plan = openPlan({ model: "constant", rate: 50, durationMs: 10_000 }, { count: 1, offsetMs: () => 0 });
    const before = fast.seen.length;
    const targets = [new HttpTarget({ name: "production", url: fast.url, timeoutMs: 5000, keepHeaders: [], maxBodyBytes: 1024 }), new HttpTarget({ name: "candidate", url: fast.url, timeoutMs: 5000, keepHeaders: [], maxBodyBytes: 1024 })];
    const sink = new IntervalSink(new Comparator({ ignore: [], tolerance: { absolute: 0, relative: 0 }, headers: [], exemplars: 1, maxExemplarBodyBytes: 64 }), ["production", "candidate"]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const segment = splitEvenly(1)[0];
    assert.ok(segment);
    const result = await runOpenLoop({ plan, segment, requests, targets, sink, clock: systemClock, startAt: systemClock.now(), signal: controller.signal });
    await Promise.all(targets.map((t) => t.close()));
    assert.equal(result.done + result.notSent, 500);
    assert.ok(result.notSent > 400, `${result.notSent} never sent`);
    assert.equal(fast.seen.length - before, result.done * 2);
  });

  it("keeps service time apart from latency, and counts each step of a step run exactly", async () => {
    const requests = prepareRequests([recorded(0, "GET", "/x")], { runId: "run-3", allowUnsafeProduction: [] });
    const plan = openPlan({ model: "steps", startRate: 20, stepRate: 20, maxRate: 60, stepDurationMs: 200, slo: { p99Ms: 100 } }, { count: 1, offsetMs: () => 0 });
    assert.equal(plan.total, 4 + 8 + 12);
    const targets = [
      new HttpTarget({ name: "production", url: fast.url, timeoutMs: 5000, keepHeaders: [], maxBodyBytes: 1024 }),
      new HttpTarget({ name: "candidate", url: slow.url, timeoutMs: 5000, keepHeaders: [], maxBodyBytes: 1024 }),
    ];
    const sink = new IntervalSink(new Comparator({ ignore: [], tolerance: { absolute: 0, relative: 0 }, headers: [], exemplars: 1, maxExemplarBodyBytes: 64 }), ["production", "candidate"]);
    const segment = splitEvenly(1)[0];
    assert.ok(segment);
    // Start in the past: every send leaves late, so latency (from the intended time) exceeds service time.
    const result = await runOpenLoop({ plan, segment, requests, targets, sink, clock: systemClock, startAt: systemClock.now() - 1000, signal: new AbortController().signal });
    await Promise.all(targets.map((t) => t.close()));
    assert.deepEqual(result, { done: 24, notSent: 0 });
    const data = sink.take();
    const latency = latencySummaryMs(decodeHistogram(data.targets.candidate?.histogram as string));
    const service = latencySummaryMs(decodeHistogram(data.targets.candidate?.service as string));
    assert.ok(service.min >= 80, `service ${service.min} ms includes the 80 ms delay`);
    assert.ok(latency.min >= 400, `latency ${latency.min} ms counts from intended instants up to 1 s in the past`);
    assert.equal(decodeHistogram(data.scheduler.lag).totalCount, 24);
    assert.equal(data.scheduler.dispatched, 24);
    assert.equal(data.scheduler.late, 24);
    assert.deepEqual(Object.keys(data.phases), ["0", "1", "2"]);
    assert.deepEqual(
      ["0", "1", "2"].map((k) => data.phases[k]?.candidate?.requests),
      [4, 8, 12],
    );
    for (const k of ["0", "1", "2"]) {
      const step = data.phases[k]?.candidate;
      assert.equal(step?.responses, step?.requests);
      assert.equal(decodeHistogram(step?.histogram as string).totalCount, step?.responses);
    }
    // Every answer arrived after the last step ended (the run started 1 s in the past): no step's throughput counts them.
    assert.deepEqual(["0", "1", "2"].map((k) => data.phases[k]?.candidate?.completed), [0, 0, 0]);
  });
});
