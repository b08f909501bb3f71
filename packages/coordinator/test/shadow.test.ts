// The shadow coordinator at component level over a real MemoryBus: agents are played by the test (prepare → ready,
// snapshots with stream accounting on the durable stream, counted-queries), and a steerable clock drives the windows.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createTally } from "@parallax/diff";
import { IntervalHistogram } from "@parallax/metrics";
import {
  PROTOCOL_VERSION,
  SUBJECTS,
  decodeBundle,
  decodeExpected,
  decodeMessage,
  encodeMessage,
  signatureKey,
  type Bundle,
  type Clock,
  type MessageOf,
  type Payload,
  type RunResult,
  type ShadowThresholdEvent,
  type TargetInterval,
  InfrastructureError,
  InvalidInputError,
  silentLogger,
} from "@parallax/protocol";
import { resolveScenario, type Scenario } from "@parallax/scenario";
import { MemoryBus, type Subscription } from "@parallax/transport";
import { WINDOW_SETTLE_MS, runShadowCoordinator, type ShadowCoordinatorOptions, type ShadowProgress, type ShadowWindowResults } from "../src/index.js";

const ENDPOINT = "GET /predict";

class TestClock implements Clock {
  mono = 1000;
  wall = Date.parse("2026-03-01T10:00:00.000Z");
  now = (): number => this.mono;
  wallNow = (): number => this.wall;
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}

function shadowScenario(thresholds: unknown[] = []): Promise<Scenario> {
  return resolveScenario({
    overrides: { targets: { production: "http://production.invalid", candidate: "http://127.0.0.1:9" }, traffic: { file: "stream" }, thresholds },
    env: {},
    cwd: "/",
  });
}

interface SnapshotSpec {
  /** Where the interval ends, wall-clock epoch ms (turned into `window.toMs` from the agent's start instant). */
  readonly endsAt: number;
  /** Ids compared or held back. */
  readonly exchanges: readonly string[];
  readonly heldBack?: number;
  /** Compared pairs that differ at `$.label`. */
  readonly different?: number;
  readonly sampledOut?: number;
  readonly malformed?: number;
  readonly redelivered?: number;
  readonly duplicates?: number;
  readonly candidateErrors?: number;
  readonly final?: boolean;
  /** Default: the next seq. */
  readonly seq?: number;
  /** Default: the agent's own; another makes a foreign snapshot. */
  readonly epoch?: number;
  /** The stream's dedupe id; another one than the agent's makes a redelivery that the stream itself would not drop. */
  readonly streamId?: string;
}

function histogram(n: number, micros: number): string {
  const h = new IntervalHistogram();
  for (let i = 0; i < n; i++) h.record(micros + i);
  return h.takeDelta();
}

function targetInterval(n: number, micros: number, errors = 0): TargetInterval {
  return { requests: n, responses: n, errors, transportErrors: 0, errorKinds: {}, statusCodes: n > 0 ? { "200": n - errors, ...(errors > 0 ? { "500": errors } : {}) } : {}, histogram: histogram(n, micros) };
}

/** An agent as the coordinator sees it: hello, heartbeats, prepare → ready, start and stop, snapshots, counted-queries. */
class FakeAgent {
  readonly prepares: Array<MessageOf<"parallax.v1.prepare">> = [];
  readonly stops: string[] = [];
  bundle: Bundle | undefined;
  state: "idle" | "ready" | "running" | "dead" = "idle";
  runId: string | undefined;
  epoch: number | undefined;
  startAt: number | undefined;
  seq = 0;
  readonly #subscriptions: Subscription[] = [];

  constructor(
    readonly bus: MemoryBus,
    readonly id: string,
    readonly options: { readonly refuse?: string } = {},
  ) {}

  start(): this {
    this.#subscriptions.push(
      this.bus.subscribe(SUBJECTS.agentControl(this.id), (m) => {
        const d = decodeMessage(m.data);
        if (d.ok && d.message.type === "parallax.v1.prepare") void this.#prepare(d.message).then((reply) => m.respond?.(reply));
      }),
      this.bus.subscribe(SUBJECTS.discover, () => this.hello()),
    );
    this.hello();
    return this;
  }

  hello(): void {
    if (this.state === "dead") return;
    this.bus.publish(SUBJECTS.hello, encodeMessage("parallax.v1.hello", { agentId: this.id, name: this.id, version: "1.2.3", protocol: PROTOCOL_VERSION, host: "test", pid: 1 }));
    this.beat();
  }

  beat(): void {
    if (this.state === "dead") return;
    const who = { agentId: this.id, state: this.state, name: this.id };
    this.bus.publish(SUBJECTS.heartbeat(this.id), encodeMessage("parallax.v1.heartbeat", this.runId === undefined || this.epoch === undefined ? who : { ...who, runId: this.runId, epoch: this.epoch }));
  }

  async #prepare(m: MessageOf<"parallax.v1.prepare">): Promise<Uint8Array> {
    this.prepares.push(m);
    if (this.options.refuse !== undefined) return encodeMessage("parallax.v1.refused", { runId: m.runId, epoch: m.epoch, agentId: this.id, reason: this.options.refuse });
    const bytes = await this.bus.blobs.get(m.bundle.key);
    assert.ok(bytes, "the bundle is stored before prepare");
    this.bundle = decodeBundle(bytes, m.bundle.digest);
    this.runId = m.runId;
    this.epoch = m.epoch;
    this.state = "ready";
    this.#subscriptions.push(
      this.bus.subscribe(SUBJECTS.runControl(m.runId), (c) => {
        const d = decodeMessage(c.data);
        if (!d.ok || this.state === "dead") return;
        const message = d.message;
        if (message.type === "parallax.v1.start" && message.epoch === this.epoch) {
          this.state = "running";
          this.startAt = message.startAt;
        } else if (message.type === "parallax.v1.stop" && message.epoch === this.epoch) {
          this.stops.push(message.reason);
        }
      }),
    );
    return encodeMessage("parallax.v1.ready", { runId: m.runId, epoch: m.epoch, agentId: this.id, planned: 0 });
  }

  async snapshot(spec: SnapshotSpec): Promise<void> {
    assert.ok(this.runId !== undefined && this.epoch !== undefined && this.startAt !== undefined, `${this.id} was started`);
    const heldBack = spec.heldBack ?? 0;
    const compared = spec.exchanges.length - heldBack;
    const different = spec.different ?? 0;
    const diff = createTally();
    diff.compared = compared;
    diff.identical = compared - different;
    if (compared > 0) diff.endpoints[ENDPOINT] = { compared, comparedWithSecondary: 0 };
    if (different > 0) {
      const signature = { endpoint: ENDPOINT, path: "$.label", kind: "changed" as const };
      diff.signatures[signatureKey(signature)] = { ...signature, candidate: different, secondary: 0, both: 0, exemplars: [], exemplarsSeen: different };
      diff.combos[signatureKey(signature)] = different;
    }
    const production = targetInterval(compared, 10_000);
    const candidate = targetInterval(compared, 20_000, spec.candidateErrors ?? 0);
    const seq = spec.seq ?? this.seq++;
    const payload: Payload<"parallax.v1.snapshot"> = {
      runId: this.runId,
      agentId: this.id,
      epoch: spec.epoch ?? this.epoch,
      seq,
      final: spec.final ?? false,
      done: 0,
      planned: 0,
      targets: { production, candidate },
      diff,
      skipped: heldBack > 0 ? { "unsafe method POST held back": heldBack } : {},
      scheduler: { late: 0, maxLagMs: 0 },
      window: { fromMs: 0, toMs: spec.endsAt - this.startAt },
      endpoints: compared > 0 ? { [ENDPOINT]: { production: { requests: compared, responses: compared, errors: 0, histogram: production.histogram }, candidate: { requests: compared, responses: compared, errors: candidate.errors, histogram: candidate.histogram } } } : {},
      shadow: {
        exchanges: [...spec.exchanges],
        received: spec.exchanges.length + (spec.sampledOut ?? 0) + (spec.malformed ?? 0) + (spec.duplicates ?? 0),
        sampledOut: spec.sampledOut ?? 0,
        redelivered: spec.redelivered ?? 0,
        duplicates: spec.duplicates ?? 0,
        malformed: spec.malformed ?? 0,
      },
    };
    const streamId = spec.streamId ?? `${this.runId}.${this.id}.${payload.epoch}.${seq}`;
    await this.bus.stream.append(SUBJECTS.snapshots(this.runId, this.id), encodeMessage("parallax.v1.snapshot", payload), { id: streamId });
  }

  /** Asks the coordinator which of these (redelivered) exchanges it counted already. */
  async counted(ids: readonly string[]): Promise<string[]> {
    assert.ok(this.runId !== undefined);
    const reply = await this.bus.request(SUBJECTS.shadowCounted(this.runId), encodeMessage("parallax.v1.counted-query", { runId: this.runId, ids: [...ids] }), { timeoutMs: 2000 });
    return decodeExpected(reply, "parallax.v1.counted").ids;
  }

  /** Gone at once, as with SIGKILL: no final snapshot, no more heartbeats. */
  kill(): void {
    this.state = "dead";
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
  }
}

/** Polls until `condition` holds; fails naming `what` after `timeoutMs` of real time. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Moves the clock, has the live agents beat at once (before the coordinator's next tick), and lets it tick. */
async function advance(clock: TestClock, agents: readonly FakeAgent[], ms: number): Promise<void> {
  clock.advance(ms);
  for (const agent of agents) agent.beat();
  await sleep(300);
}

// ---------------------------------------------------------------------------------------------

const W = 60_000;
const ids = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

interface Harness {
  readonly bus: MemoryBus;
  readonly clock: TestClock;
  readonly windows: ShadowWindowResults[];
  readonly events: ShadowThresholdEvent[];
  readonly progress: ShadowProgress[];
  readonly stop: AbortController;
  readonly result: Promise<RunResult>;
}

function startJob(bus: MemoryBus, clock: TestClock, scenario: Scenario, overrides: Partial<ShadowCoordinatorOptions> = {}): Harness {
  const windows: ShadowWindowResults[] = [];
  const events: ShadowThresholdEvent[] = [];
  const progress: ShadowProgress[] = [];
  const stop = new AbortController();
  const result = runShadowCoordinator({
    bus,
    logger: silentLogger,
    clock,
    runId: "shadow-1",
    scenario,
    agents: 2,
    agentsTimeoutMs: 5000,
    windowMs: W,
    ackWaitMs: 1000,
    retainMs: 3_600_000,
    version: "1.0.0",
    signal: stop.signal,
    onWindow: (r) => void windows.push(r),
    onEvent: (e) => void events.push(e),
    onProgress: (p) => void progress.push(p),
    ...overrides,
  });
  // Surfaces a failure at once instead of as a timeout of whatever the test waits for.
  result.catch(() => {});
  return { bus, clock, windows, events, progress, stop, result };
}

function sumOf(results: readonly RunResult[], pick: (r: RunResult) => number): number {
  return results.reduce((n, r) => n + pick(r), 0);
}

describe("runShadowCoordinator", () => {
  let bus: MemoryBus;
  beforeEach(() => {
    bus = new MemoryBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  it("keeps rolling windows and a cumulative total, answers counted-queries, survives an agent killed and restarted, and stops with a final report", async () => {
    const clock = new TestClock();
    const a1 = new FakeAgent(bus, "a1").start();
    const a2 = new FakeAgent(bus, "a2").start();
    const scenario = await shadowScenario(["diff.rate < 10%"]);
    const job = startJob(bus, clock, scenario);

    await eventually(() => a1.state === "running" && a2.state === "running", "both agents started");
    const prepare = a1.prepares[0];
    assert.ok(prepare?.shadow && a1.bundle);
    assert.deepEqual(prepare.shadow, { stream: "traffic", durable: "parallax-shadow", sample: 1, ackWaitMs: 1000, maxInFlight: 64 });
    assert.deepEqual(prepare.segment, { from: [0, 1], to: [1, 1] }, "a shadow agent's share is the whole stream");
    assert.equal(a1.bundle.recording, "", "the stream is the traffic: the bundle's recording is empty");
    assert.notEqual(a1.epoch, a2.epoch, "each enlistment has its own epoch");
    assert.equal(a1.startAt, a2.startAt, "the first agents start together");
    const origin = a1.startAt ?? 0;

    // Window 0: a1 compares 10; a2 compares 5, holds one back, samples 2 out, drops 1 malformed.
    await a1.snapshot({ endsAt: origin + 1000, exchanges: ids("e", 1, 10) });
    await a2.snapshot({ endsAt: origin + 1000, exchanges: [...ids("e", 11, 15), "h1"], heldBack: 1, sampledOut: 2, malformed: 1 });
    assert.deepEqual(await waitCounted(a2, ["e3", "e11", "e99"], 2), ["e3", "e11"], "counted-query: the subset already merged");
    // Three exchanges wait in the stream, unconsumed: the window reports them as backlog.
    for (const id of ["t1", "t2", "t3"]) await bus.traffic.publish("traffic", new TextEncoder().encode(id), { id });
    // A foreign epoch (another coordinator's, or a fenced one) counts for nothing.
    await a1.snapshot({ endsAt: origin + 2000, exchanges: ["x1"], epoch: 777, seq: 50 });

    await advance(clock, [a1, a2], origin + W + WINDOW_SETTLE_MS - clock.wall);
    await eventually(() => job.windows.length === 1, "window 0 closed");
    const w0 = job.windows[0];
    assert.ok(w0?.window.shadow && w0.cumulative.shadow && !w0.final);
    assert.deepEqual(
      { ...w0.window.shadow, events: w0.window.shadow.events.map((e) => [e.expression, e.state, e.observed]) },
      {
        stream: "traffic",
        durable: "parallax-shadow",
        measuredAt: { production: "tap", candidate: "agent" },
        sample: 1,
        window: { from: new Date(origin).toISOString(), to: new Date(origin + W).toISOString(), lengthMs: W },
        received: 19,
        compared: 15,
        heldBack: 1,
        sampledOut: 2,
        malformed: 1,
        redelivered: 0,
        duplicates: 0,
        backlog: { pending: 3, inFlight: 0 },
        events: [["diff.rate < 10%", "pass", 0]],
      },
    );
    assert.equal(w0.window.run.mode, "shadow");
    assert.equal(w0.window.run.status, "completed");
    assert.equal(w0.window.targets.candidate.requests, 15);
    assert.equal(w0.window.targets.production.requests, 15);
    assert.equal(w0.window.diff.compared, 15);
    assert.equal(w0.window.skipped.count, 1);
    assert.deepEqual(w0.window.run.agents.map((a) => [a.id, a.state, a.requests, a.snapshots]), [["a1", "completed", 10, 1], ["a2", "completed", 6, 1]]);
    assert.deepEqual(w0.cumulative.shadow.received, 19, "after the first window the cumulative is that window");
    assert.equal(w0.cumulative.targets.candidate.requests, 15);
    assert.deepEqual(job.events.map((e) => [e.window, e.state]), [[new Date(origin).toISOString(), "pass"]]);

    // Window 1: a1 compares 10 of which 5 differ; a2's snapshot for window 0 arrives late; a1's is delivered twice.
    await a1.snapshot({ endsAt: origin + W + 1000, exchanges: ids("e", 51, 60), different: 5 });
    await a2.snapshot({ endsAt: origin + 30_000, exchanges: ids("e", 16, 19) });
    await a1.snapshot({ endsAt: origin + W + 1000, exchanges: ids("e", 51, 60), different: 5, seq: 1, streamId: "again" });
    // a2 dies holding e20 and before acking e16..e19 (its snapshot with them is stored, so they count); it comes back under the same name.
    assert.deepEqual(await waitCounted(a1, ["e51", "e16"], 2), ["e51", "e16"]);
    a2.kill();
    const a2b = new FakeAgent(bus, "a2").start();
    await advance(clock, [a1, a2b], 1000);
    await advance(clock, [a1, a2b], GAP_MS);
    await eventually(() => a2b.state === "running", "the restarted agent enlisted");
    assert.ok(a2b.epoch !== undefined && a2b.epoch !== a2.epoch, "under a new epoch");
    // The stream redelivers e16 and e20 to a1: e16 was counted in a merged snapshot, e20 (never acked, never stored) was not.
    assert.deepEqual(await a1.counted(["e16", "e20"]), ["e16"]);
    await a1.snapshot({ endsAt: origin + W + 9000, exchanges: ["e20", ...ids("e", 61, 64)], redelivered: 2, duplicates: 1 });
    assert.deepEqual(await waitCounted(a1, ["e64"], 1), ["e64"]);

    await advance(clock, [a1, a2b], origin + 2 * W + WINDOW_SETTLE_MS - clock.wall);
    await eventually(() => job.windows.length === 2, "window 1 closed");
    const w1 = job.windows[1];
    assert.ok(w1?.window.shadow);
    assert.equal(w1.window.shadow.compared, 19, "10 + 4 late + 5; the second delivery of a1's snapshot counted once");
    assert.equal(w1.window.shadow.received, 19);
    assert.equal(w1.window.shadow.redelivered, 2);
    assert.equal(w1.window.shadow.duplicates, 1);
    assert.equal(w1.window.diff.compared, 19);
    assert.equal(w1.window.diff.different, 5);
    assert.equal(w1.window.run.status, "degraded", "an agent was lost in this window");
    assert.ok(w1.window.verdict.warnings.some((w) => w.startsWith("1 snapshot(s) of an earlier window arrived after it had closed")), w1.window.verdict.warnings.join("\n"));
    assert.deepEqual(w1.window.run.agents.map((a) => [a.id, a.state, a.requests]), [["a1", "completed", 15], ["a2", "lost", 4], ["a2#2", "completed", 0]]);
    assert.ok(w1.window.run.events.some((e) => e.type === "agent-lost" && e.agentId === "a2"));
    assert.ok(w1.window.run.events.some((e) => e.type === "agent-enlisted" && e.message.startsWith("agent a2#2 enlisted")));
    assert.deepEqual(w1.window.shadow.events.map((e) => [e.state, e.observed, e.limit]), [["fail", 0.263158, 0.1]]);
    assert.equal(w1.cumulative.shadow?.compared, 34);

    // Window 2, the last: the restarted agent's seq starts at 0 again and still counts; then the stop.
    await a2b.snapshot({ endsAt: origin + 2 * W + 1000, exchanges: ids("e", 70, 79) });
    assert.deepEqual(await waitCounted(a1, ["e70", "e79"], 2), ["e70", "e79"]);
    job.stop.abort();
    await eventually(() => a1.stops.length > 0 && a2b.stops.length > 0, "stop sent to the running agents");
    await a1.snapshot({ endsAt: clock.wall + 500, exchanges: ["e80", "e81"], final: true });
    await a2b.snapshot({ endsAt: clock.wall + 500, exchanges: [], final: true });
    const final = await job.result;

    assert.equal(job.windows.length, 3);
    const w2 = job.windows[2];
    assert.ok(w2?.final && w2.cumulative === final);
    assert.equal(w2.window.shadow?.compared, 12);
    assert.equal(w2.window.shadow?.window.from, new Date(origin + 2 * W).toISOString());
    assert.deepEqual(w2.window.shadow?.events.map((e) => e.state), ["pass"]);
    assert.deepEqual(w2.window.run.agents.map((a) => a.id), ["a1", "a2#2"]);

    // The cumulative result is exactly the sum of the windows.
    const all = job.windows.map((w) => w.window);
    assert.ok(final.shadow);
    for (const key of ["received", "compared", "heldBack", "sampledOut", "malformed", "redelivered", "duplicates"] as const) {
      assert.equal(final.shadow[key], sumOf(all, (r) => r.shadow?.[key] ?? 0), key);
    }
    assert.equal(final.shadow.compared, 46);
    assert.equal(final.shadow.received, 50);
    assert.equal(final.targets.candidate.requests, sumOf(all, (r) => r.targets.candidate.requests));
    assert.equal(final.targets.candidate.requests, 46);
    assert.equal(final.diff.compared, 46);
    assert.equal(final.diff.different, 5);
    assert.equal(final.run.planned, 47);
    assert.equal(final.run.traffic.requests, 50);
    assert.equal(final.run.mode, "shadow");
    assert.equal(final.run.status, "degraded");
    assert.equal(final.verdict.pass, false);
    assert.ok(final.verdict.reasons.includes("agent a2 lost: the exchanges it held unacknowledged were redelivered to the other agents"));
    assert.deepEqual(final.run.agents.map((a) => [a.id, a.state, a.requests]), [["a1", "completed", 27], ["a2", "lost", 10], ["a2#2", "completed", 10]]);
    assert.deepEqual(final.shadow.events.map((e) => e.state), ["pass", "fail", "pass"]);
    assert.deepEqual(job.events, final.shadow.events);
    assert.equal(final.shadow.window.from, new Date(origin).toISOString());
    // Every exchange id was counted exactly once: the distinct ids the snapshots listed, plus sampled-out and malformed.
    const distinct = new Set([...ids("e", 1, 20), "h1", ...ids("e", 51, 64), ...ids("e", 70, 81)]);
    assert.equal(final.shadow.compared + final.shadow.heldBack, distinct.size);
    assert.equal(await bus.blobs.get(`${a1.prepares[0]?.bundle.key}`), undefined, "the bundle is deleted at the end");
  });

  it("starts with the agents it found when fewer than asked, enlists one that appears mid-run, and tells a refusal once", async () => {
    const clock = new TestClock();
    const a1 = new FakeAgent(bus, "a1").start();
    const job = startJob(bus, clock, await shadowScenario(), { agentsTimeoutMs: 1000 });
    await sleep(100);
    assert.equal(a1.state, "idle", "waits for the second agent first");
    await advance(clock, [a1], 1100);
    await eventually(() => a1.state === "running", "a1 started alone");
    const origin = a1.startAt ?? 0;
    await a1.snapshot({ endsAt: origin + 1000, exchanges: ids("e", 1, 4), candidateErrors: 1, different: 2 });
    await waitCounted(a1, ["e4"], 1);
    await advance(clock, [a1], 1000);
    await eventually(() => job.progress.length > 0, "live progress");
    assert.deepEqual(job.progress.at(-1), { elapsedMs: clock.wall - origin, agents: 1, received: 4, compared: 4, duplicates: 0, diffs: 2, errors: 1 }, "live totals include the open window");
    assert.equal(job.windows.length, 0);

    const r1 = new FakeAgent(bus, "r1", { refuse: "target candidate http://127.0.0.1:9 not allowed" }).start();
    await eventually(() => r1.prepares.length === 1, "r1 asked");
    await advance(clock, [a1, r1], 3000);
    assert.equal(r1.prepares.length, 1, "not asked again before the retry delay");
    await advance(clock, [a1, r1], 8000);
    await eventually(() => r1.prepares.length === 2, "r1 asked again after 10 s");
    r1.kill();
    const a3 = new FakeAgent(bus, "a3").start();
    await advance(clock, [a1, a3], 100);
    await eventually(() => a3.state === "running", "a3 enlisted");
    assert.ok((a3.startAt ?? 0) > origin, "a late agent gets its own start instant");
    await a3.snapshot({ endsAt: (a3.startAt ?? 0) + 500, exchanges: ids("f", 1, 3) });
    await waitCounted(a3, ["f3"], 1);

    job.stop.abort();
    await eventually(() => a1.stops.length === 1 && a3.stops.length === 1, "stops sent");
    await a1.snapshot({ endsAt: clock.wall, exchanges: [], final: true });
    await a3.snapshot({ endsAt: clock.wall, exchanges: [], final: true });
    const result = await job.result;
    assert.equal(job.windows.length, 1, "one (partial) window: the stop came within the first");
    assert.equal(result.run.status, "completed");
    assert.deepEqual(result.run.agents.map((a) => [a.id, a.state, a.requests]), [["a1", "completed", 4], ["a3", "completed", 3]]);
    assert.equal(result.shadow?.received, 7);
    assert.equal(result.targets.candidate.errors, 1);
    const refusals = result.run.events.filter((e) => e.type === "agent-refused");
    assert.equal(refusals.length, 1, "the same refusal is told once");
    assert.match(refusals[0]?.message ?? "", /^agent r1 refused: target candidate http:\/\/127\.0\.0\.1:9 not allowed; asking again in 10 s/);
    assert.ok(result.run.events.some((e) => e.type === "started" && e.message.includes("1 more will be enlisted as they appear")));
    assert.equal(result.shadow?.window.lengthMs, Date.parse(result.shadow?.window.to ?? "") - origin);
  });

  it("drops an agent that goes silent, reports one that left on its own as stopped, and stops at once with none left", async () => {
    const clock = new TestClock();
    const a1 = new FakeAgent(bus, "a1").start();
    const a2 = new FakeAgent(bus, "a2").start();
    const job = startJob(bus, clock, await shadowScenario());
    await eventually(() => a1.state === "running" && a2.state === "running", "both started");
    const origin = a1.startAt ?? 0;
    await a2.snapshot({ endsAt: origin + 1000, exchanges: ["x1"] });
    await waitCounted(a2, ["x1"], 1);
    a2.kill();
    await advance(clock, [a1], 2000);
    await advance(clock, [a1], 2000);
    assert.equal(job.windows.length, 0);
    await advance(clock, [a1], 2000);
    // Its own final snapshot, without a stop: an agent whose operator stopped it.
    await a1.snapshot({ endsAt: clock.wall, exchanges: ["x2", "x3"], final: true });
    await waitCounted(a1, ["x3"], 1);
    await advance(clock, [a1], 100);
    job.stop.abort();
    const result = await job.result;
    assert.deepEqual(a1.stops, [], "an agent that already ended is not told to stop");
    assert.equal(result.run.status, "degraded");
    assert.deepEqual(result.run.agents.map((a) => [a.id, a.state, a.requests]), [["a1", "stopped", 2], ["a2", "lost", 1]]);
    assert.deepEqual(result.run.events.map((e) => e.type), ["started", "agent-lost", "agent-left", "stopping"]);
    assert.match(result.run.events[1]?.message ?? "", /^agent a2 lost \(silent for \d+ ms\); the stream redelivers/);
    assert.equal(result.shadow?.received, 3);
  });

  it("refuses bad options, naming each", async () => {
    const scenario = await shadowScenario();
    await assert.rejects(
      runShadowCoordinator({ bus, logger: silentLogger, runId: "bad id", scenario, agents: 0, sample: 0, windowMs: 1.5, stream: "a.b", ackWaitMs: -1 }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.deepEqual(
          error.issues.map((i) => i.location),
          ["runId", "stream", "sample", "ackWaitMs", "agents", "windowMs"],
        );
        return true;
      },
    );
  });

  it("fails as an infrastructure problem when no agent is there", async () => {
    const clock = new TestClock();
    const job = startJob(bus, clock, await shadowScenario(), { agentsTimeoutMs: 1000 });
    await sleep(100);
    clock.advance(1001);
    await assert.rejects(job.result, (error: unknown) => error instanceof InfrastructureError && /only 0 of 2 agent\(s\) available/.test(error.message));
  });
});

const GAP_MS = 5200;

/** A counted-query, asked until the answer has `n` ids (the snapshot may still be on its way through the stream). */
async function waitCounted(agent: FakeAgent, query: readonly string[], n: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const answer = await agent.counted(query);
    if (answer.length >= n || Date.now() > deadline) return answer;
    await sleep(20);
  }
}
