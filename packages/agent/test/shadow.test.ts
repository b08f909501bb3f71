import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { addHistogram, createLatencyHistogram, decodeHistogram, latencySummaryMs, type LatencyHistogram } from "@parallax/metrics";
import {
  REPLAY_MARKER_HEADER,
  SUBJECTS,
  decodeExpected,
  decodeMessage,
  encodeBundle,
  encodeExchange,
  encodeMessage,
  silentLogger,
  type CapturedExchange,
  type Snapshot,
} from "@parallax/protocol";
import { MemoryBus, type Bus, type Subscription, type TrafficMessage } from "@parallax/transport";
import { Agent, type AgentOptions } from "../src/index.js";

const STREAM = "traffic";
const DURABLE = "shadow";
const RUN = "s1";

// ---------------------------------------------------------------------------------------------
// Ground truth: every answer is a pure function of the request, so every count is known exactly.
//   i % 10 == 1  candidate changes the label          (candidate only)
//   i % 10 == 3  candidate answers 503                (candidate only)
//   i % 10 == 5  candidate answers after SLOW_MS      (latency only; on their own endpoint, /slow/items/{id})
//   i % 10 == 7  production's captured answer is 500  (the secondary answers 200 too: noise)
//   i % 10 == 9  POST, not allowed: held back         (never sent)
//   `trace` differs on every side                     (noise: the secondary shows it as often)
// ---------------------------------------------------------------------------------------------
const SLOW_MS = 600;

function indexOf(req: IncomingMessage): number {
  return Number(/\/items\/(\d+)/.exec(req.url ?? "")?.[1] ?? -1);
}

interface Target {
  readonly url: string;
  /** Requests carrying the run's replay marker, by item index (in arrival order). */
  readonly seen: number[];
  readonly server: Server;
}

/** Requests to /held/... are answered only once the test opens this gate. */
const gate = { opened: Promise.resolve(), open: () => undefined as void };
function closeGate(): void {
  gate.opened = new Promise<void>((resolve) => (gate.open = resolve));
}

async function listen(answer: (i: number) => { status: number; body: object; delayMs?: number }): Promise<Target> {
  const seen: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const i = indexOf(req);
      if (req.headers[REPLAY_MARKER_HEADER] === RUN) seen.push(i);
      const { status, body, delayMs } = answer(i);
      const send = () => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.url?.startsWith("/held/")) void gate.opened.then(send);
      else if (delayMs) setTimeout(send, delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const candidateAnswer = (i: number) =>
  i % 10 === 3
    ? { status: 503, body: { error: "unavailable" } }
    : { status: 200, body: { id: i, label: i % 10 === 1 ? "cat" : "dog", trace: "c" }, ...(i % 10 === 5 ? { delayMs: SLOW_MS } : {}) };
const secondaryAnswer = (i: number) => ({ status: 200, body: { id: i, label: "dog", trace: "s" } });

const json = (value: object) => new TextEncoder().encode(JSON.stringify(value));

/** What the tap would have published for item i: the request, production's answer, production's latency. */
function exchange(i: number, idPrefix = "x"): CapturedExchange {
  const post = i % 10 === 9;
  return {
    id: `${idPrefix}-${i}`,
    capturedAtMs: 1_700_000_000_000 + i,
    request: post
      ? { method: "POST", path: `/items/${i}`, headers: [["host", "prod.example"], ["content-type", "application/json"], ["content-length", "7"]], body: json({ x: 1 }), bodyTruncated: false }
      : { method: "GET", path: `${i % 10 === 5 ? "/slow" : ""}/items/${i}`, headers: [["host", "prod.example"], ["accept", "application/json"]], bodyTruncated: false },
    response:
      i % 10 === 7
        ? { status: 500, headers: [["content-type", "application/json"]], body: json({ error: "boom" }), bodyTruncated: false }
        : { status: post ? 201 : 200, headers: [["content-type", "application/json"]], body: json({ id: i, label: "dog", trace: "p" }), bodyTruncated: false },
    latencyMicros: 1000 + i,
  };
}

async function publish(bus: Bus, exchanges: readonly CapturedExchange[]): Promise<void> {
  await bus.traffic.ensure(STREAM, { retainMs: 600_000 });
  for (const x of exchanges) await bus.traffic.publish(STREAM, encodeExchange(x), { id: x.id });
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, k) => from + k);

const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The coordinator's side, played by hand: prepare, start, stop, the snapshot stream, counted-queries.
// ---------------------------------------------------------------------------------------------
class Coordinator {
  readonly snapshots: Snapshot[] = [];
  /** Exchange ids of the snapshots stored and read so far: what counted-queries are answered from. */
  readonly counted = new Set<string>();
  readonly queries: string[][] = [];
  answering = true;
  readonly #subscriptions: Subscription[];

  constructor(readonly bus: MemoryBus) {
    this.#subscriptions = [
      bus.stream.consume(SUBJECTS.runSnapshots(RUN), "coordinator", (m) => {
        const d = decodeMessage(m.data);
        if (d.ok && d.message.type === "parallax.v1.snapshot") {
          this.snapshots.push(d.message);
          for (const id of d.message.shadow?.exchanges ?? []) this.counted.add(id);
        }
        m.ack();
      }),
      bus.subscribe(SUBJECTS.shadowCounted(RUN), (m) => {
        const d = decodeMessage(m.data);
        if (!d.ok || d.message.type !== "parallax.v1.counted-query") return;
        this.queries.push(d.message.ids);
        if (this.answering) m.respond?.(encodeMessage("parallax.v1.counted", { runId: RUN, ids: d.message.ids.filter((id) => this.counted.has(id)) }));
      }),
    ];
  }

  async prepare(agentId: string, scenario: object, job: { sample?: number; ackWaitMs?: number; maxInFlight?: number; stream?: string } = {}) {
    const { bytes, digest } = encodeBundle({ scenario, recording: "" });
    await this.bus.blobs.put(`bundle-${RUN}`, bytes);
    const shadow = { stream: job.stream ?? STREAM, durable: DURABLE, sample: job.sample ?? 1, ackWaitMs: job.ackWaitMs ?? 5000, maxInFlight: job.maxInFlight ?? 64 };
    const reply = await this.bus.request(
      SUBJECTS.agentControl(agentId),
      encodeMessage("parallax.v1.prepare", { runId: RUN, epoch: 1, agentId, bundle: { key: `bundle-${RUN}`, digest, size: bytes.length }, segment: { from: [0, 1], to: [1, 1] }, leaseMs: 60_000, shadow }),
      { timeoutMs: 5000 },
    );
    return decodeExpected(reply, "parallax.v1.ready", "parallax.v1.refused");
  }

  start(): void {
    this.bus.publish(SUBJECTS.runControl(RUN), encodeMessage("parallax.v1.start", { runId: RUN, epoch: 1, startAt: Date.now() + 60_000 }));
  }

  sendStop(): void {
    this.bus.publish(SUBJECTS.runControl(RUN), encodeMessage("parallax.v1.stop", { runId: RUN, epoch: 1, reason: "test" }));
  }

  /** Stop, and wait for the agent's final snapshot. */
  async stop(agentId: string): Promise<Snapshot> {
    this.sendStop();
    await until(() => this.snapshots.some((s) => s.agentId === agentId && s.final), `final snapshot of ${agentId}`);
    return this.snapshots.find((s) => s.agentId === agentId && s.final) as Snapshot;
  }

  /** Every exchange id of every stored snapshot, repeats kept. */
  exchanges(agentId?: string): string[] {
    return this.snapshots.filter((s) => agentId === undefined || s.agentId === agentId).flatMap((s) => s.shadow?.exchanges ?? []);
  }

  accounting(agentId?: string) {
    const total = { received: 0, sampledOut: 0, redelivered: 0, duplicates: 0, malformed: 0, exchanges: 0 };
    for (const s of this.snapshots) {
      if (agentId !== undefined && s.agentId !== agentId) continue;
      const x = s.shadow;
      assert.ok(x, "every shadow snapshot carries its stream accounting");
      assert.equal(x.received, x.exchanges.length + x.sampledOut + x.malformed + x.duplicates, `snapshot ${s.agentId}/${s.seq}: each message received is accounted once`);
      total.received += x.received;
      total.sampledOut += x.sampledOut;
      total.redelivered += x.redelivered;
      total.duplicates += x.duplicates;
      total.malformed += x.malformed;
      total.exchanges += x.exchanges.length;
    }
    return total;
  }

  statusCodes(target: "production" | "candidate" | "secondary"): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const s of this.snapshots) for (const [code, n] of Object.entries(s.targets[target]?.statusCodes ?? {})) sum[code] = (sum[code] ?? 0) + n;
    return sum;
  }

  /** Merged over all snapshots, for the whole run or one endpoint template. */
  latency(target: "production" | "candidate" | "secondary", endpoint?: string): LatencyHistogram {
    const merged = createLatencyHistogram();
    for (const s of this.snapshots) {
      const h = endpoint === undefined ? s.targets[target]?.histogram : s.endpoints?.[endpoint]?.[target]?.histogram;
      if (h) addHistogram(merged, decodeHistogram(h));
    }
    return merged;
  }

  signatures(): Record<string, { candidate: number; secondary: number; both: number }> {
    const sum: Record<string, { candidate: number; secondary: number; both: number }> = {};
    for (const s of this.snapshots) {
      for (const sig of Object.values(s.diff.signatures)) {
        const key = `${sig.endpoint} · ${sig.path} · ${sig.kind}`;
        const into = (sum[key] ??= { candidate: 0, secondary: 0, both: 0 });
        into.candidate += sig.candidate;
        into.secondary += sig.secondary;
        into.both += sig.both;
      }
    }
    return sum;
  }

  close(): void {
    for (const s of this.#subscriptions) s.unsubscribe();
  }
}

/**
 * The bus as one agent process sees it, with faults a real one meets: its snapshot appends held
 * (the stream does not answer), its acks lost, or the whole process killed (nothing it does
 * reaches the server any more; what it held is redelivered after the ack wait).
 */
function faultyBus(inner: MemoryBus) {
  const state = { hold: false, dropAcks: false, killed: false };
  const heldAppends: Array<() => void> = [];
  /** Snapshots whose append is being held, decoded. */
  const pendingSnapshots: Snapshot[] = [];
  const consumers: Subscription[] = [];
  const bus: Bus = {
    publish: (subject, data) => {
      if (!state.killed) inner.publish(subject, data);
    },
    subscribe: (subject, handler) => inner.subscribe(subject, (m) => (state.killed ? undefined : handler(m))),
    request: (subject, data, options) => (state.killed ? Promise.reject(new Error("killed")) : inner.request(subject, data, options)),
    stream: {
      append: async (subject, data, options) => {
        if (state.killed) return;
        if (state.hold) {
          const d = decodeMessage(data);
          if (d.ok && d.message.type === "parallax.v1.snapshot") pendingSnapshots.push(d.message);
          await new Promise<void>((resolve) => heldAppends.push(resolve));
          if (state.killed) return;
        }
        await inner.stream.append(subject, data, options);
      },
      consume: (filter, durable, handler) => inner.stream.consume(filter, durable, handler),
      purge: (filter) => inner.stream.purge(filter),
    },
    blobs: inner.blobs,
    traffic: {
      ensure: (name, options) => inner.traffic.ensure(name, options),
      checkPublish: (name) => inner.traffic.checkPublish(name),
      publish: (name, data, options) => inner.traffic.publish(name, data, options),
      backlog: (name, durable) => inner.traffic.backlog(name, durable),
      consume: (name, durable, options, handler) => {
        const subscription = inner.traffic.consume(name, durable, options, (m) => {
          if (state.killed) return;
          handler({
            data: m.data,
            seq: m.seq,
            deliveries: m.deliveries,
            ack: () => void (state.killed || state.dropAcks || m.ack()),
            nak: () => void (state.killed || m.nak()),
            working: () => void (state.killed || m.working()),
          });
        });
        consumers.push(subscription);
        return subscription;
      },
    },
    isConnected: () => !state.killed,
    close: async () => undefined,
  };
  return {
    bus,
    state,
    pendingSnapshots,
    release: () => {
      state.hold = false;
      for (const resolve of heldAppends.splice(0)) resolve();
    },
    kill: () => {
      state.killed = true;
      for (const c of consumers) c.unsubscribe();
      for (const resolve of heldAppends.splice(0)) resolve();
    },
  };
}

/** A consumer of the shared durable standing in for another agent: it keeps what it gets, unacked. */
function observer(bus: Bus, ackWaitMs: number) {
  const got: TrafficMessage[] = [];
  const subscription = bus.traffic.consume(STREAM, DURABLE, { ackWaitMs, maxInFlight: 1000 }, (m) => void got.push(m));
  return { got, subscription };
}

describe("shadow agent", { timeout: 60_000 }, () => {
  let production: Target;
  let candidate: Target;
  let secondary: Target;
  const scenario = (compare: object = {}) => ({
    name: "shadow",
    targets: { production: { url: production.url }, candidate: { url: candidate.url }, secondary: { url: secondary.url } },
    traffic: { file: "/rec.jsonl" },
    compare,
  });

  before(async () => {
    production = await listen(() => ({ status: 200, body: {} }));
    candidate = await listen(candidateAnswer);
    secondary = await listen(secondaryAnswer);
  });
  after(async () => {
    for (const t of [production, candidate, secondary]) await new Promise((resolve) => t.server.close(resolve));
  });

  const resources: Array<() => Promise<void>> = [];
  const setUp = () => {
    candidate.seen.length = 0;
    secondary.seen.length = 0;
    production.seen.length = 0;
    const inner = new MemoryBus();
    const coordinator = new Coordinator(inner);
    resources.push(async () => {
      coordinator.close();
      await inner.close();
    });
    return { inner, coordinator };
  };
  const newAgent = (bus: Bus, id: string, checkTarget?: AgentOptions["checkTarget"]) => {
    const agent = new Agent({ bus, logger: silentLogger, id, name: id, version: "0.1.0", host: "h", pid: 1, ...(checkTarget ? { checkTarget } : {}) });
    agent.start();
    resources.push(() => agent.close());
    return agent;
  };
  const cleanUp = async () => {
    for (const dispose of resources.splice(0).reverse()) await dispose();
  };

  it("compares each exchange with production's captured answer: label changes, 5xx, slow answers, noise, held back", async () => {
    const { inner: bus, coordinator } = setUp();
    const agent = newAgent(bus, "a1");
    const heartbeats: string[] = [];
    bus.subscribe(SUBJECTS.heartbeat("a1"), (m) => {
      const d = decodeMessage(m.data);
      if (d.ok && d.message.type === "parallax.v1.heartbeat" && d.message.runId === RUN) heartbeats.push(d.message.state);
    });
    const ready = await coordinator.prepare("a1", scenario());
    assert.deepEqual(ready, { type: "parallax.v1.ready", runId: RUN, epoch: 1, agentId: "a1", planned: 0 });
    await publish(bus, range(40).map((i) => exchange(i)));
    coordinator.start();
    await until(() => coordinator.exchanges().length === 40, "40 exchanges counted");
    const final = await coordinator.stop("a1");

    // The stream: each exchange taken once, counted once, acked.
    assert.deepEqual(coordinator.accounting(), { received: 40, sampledOut: 0, redelivered: 0, duplicates: 0, malformed: 0, exchanges: 40 });
    assert.deepEqual(coordinator.exchanges().sort(), range(40).map((i) => `x-${i}`).sort());
    assert.equal(final.done, 40);
    assert.equal(final.planned, 0);
    assert.deepEqual(await bus.traffic.backlog(STREAM, DURABLE), { pending: 0, inFlight: 0, lastSeq: 40 });

    // Who was sent what: never production; the candidate and secondary each once per safe request.
    const safe = range(40).filter((i) => i % 10 !== 9);
    assert.equal(production.seen.length, 0, "production is never contacted: its answers are the captured ones");
    assert.deepEqual([...candidate.seen].sort((a, b) => a - b), safe);
    assert.deepEqual([...secondary.seen].sort((a, b) => a - b), safe);
    assert.deepEqual(Object.assign({}, ...coordinator.snapshots.map((s) => s.skipped)), { "unsafe method POST not allowed on production": 4 });

    // Statuses: production's as captured, the candidate's and secondary's as they answered.
    assert.deepEqual(coordinator.statusCodes("production"), { "200": 32, "500": 4 });
    assert.deepEqual(coordinator.statusCodes("candidate"), { "200": 32, "503": 4 });
    assert.deepEqual(coordinator.statusCodes("secondary"), { "200": 36 });

    // Differences: the label changes and 5xx are the candidate's own; `trace` and production's
    // captured 500s show against the secondary just as often (noise, for the coordinator to cancel).
    // Bodies of different statuses are not compared: the candidate's `trace` differs on the 24
    // pairs where both said 200, the secondary's on 28 (it also answered 200 where the candidate said 503).
    assert.deepEqual(coordinator.signatures(), {
      "GET /items/{id} · $.trace · changed": { candidate: 24, secondary: 28, both: 24 },
      "GET /slow/items/{id} · $.trace · changed": { candidate: 4, secondary: 4, both: 4 },
      "GET /items/{id} · $.label · changed": { candidate: 4, secondary: 0, both: 0 },
      "GET /items/{id} · status · status": { candidate: 8, secondary: 4, both: 4 },
    });
    const compared = coordinator.snapshots.reduce((n, s) => n + s.diff.compared, 0);
    assert.equal(compared, 36);

    // Latency: production's as the tap measured it (exactly), the candidate's from the agent's send.
    const prod = latencySummaryMs(coordinator.latency("production"));
    assert.equal(coordinator.latency("production").totalCount, 36);
    assert.deepEqual([prod.min, prod.max], [1, 1.038]);
    assert.equal(coordinator.latency("candidate").totalCount, 36);
    const slowProduction = latencySummaryMs(coordinator.latency("production", "GET /slow/items/{id}"));
    assert.deepEqual([slowProduction.min, slowProduction.max], [1.005, 1.035], "production was not slow on them");
    const slow = coordinator.latency("candidate", "GET /slow/items/{id}");
    assert.equal(slow.totalCount, 4);
    // Each waited SLOW_MS at the candidate; from the capture instant it would be hours (clamped to 1 h).
    assert.ok(latencySummaryMs(slow).min >= SLOW_MS && latencySummaryMs(slow).max < 60_000, `slow answers: ${JSON.stringify(latencySummaryMs(slow))}`);

    assert.ok(heartbeats.includes("running"), `heartbeats while shadowing: ${heartbeats.join(",")}`);
    await until(() => agent.state === "idle", "agent idle after stop");
    await cleanUp();
  });

  it("samples by exchange id (the same on every agent), and acks malformed messages after counting them", async () => {
    const { inner: bus, coordinator } = setUp();
    newAgent(bus, "a1");
    assert.equal((await coordinator.prepare("a1", scenario(), { sample: 0.25 })).type, "parallax.v1.ready");
    const exchanges = range(200).map((i) => exchange(i % 10 === 9 ? i - 1 : i, `s${i}`));
    await publish(bus, exchanges);
    await bus.traffic.publish(STREAM, new TextEncoder().encode("not json"), { id: "garbage" });
    await bus.traffic.publish(STREAM, json({ type: "parallax.v1.something-else", id: "y" }), { id: "foreign" });
    // The contract: the first 48 bits of sha256(id), as a fraction of 2^48, below the sample.
    const inSample = exchanges.filter((x) => createHash("sha256").update(x.id).digest().readUIntBE(0, 6) / 2 ** 48 < 0.25);
    assert.ok(inSample.length > 30 && inSample.length < 70, `a quarter or so of 200, got ${inSample.length}`);
    coordinator.start();
    await until(() => coordinator.accounting().received === 202, "202 messages accounted");
    await coordinator.stop("a1");
    assert.deepEqual(coordinator.accounting(), { received: 202, sampledOut: 200 - inSample.length, redelivered: 0, duplicates: 0, malformed: 2, exchanges: inSample.length });
    assert.deepEqual(coordinator.exchanges().sort(), inSample.map((x) => x.id).sort());
    assert.equal(candidate.seen.length, inSample.length);
    assert.deepEqual(await bus.traffic.backlog(STREAM, DURABLE), { pending: 0, inFlight: 0, lastSeq: 202 });
    await cleanUp();
  });

  it("acks an exchange only once the snapshot carrying it is stored", async () => {
    const { inner, coordinator } = setUp();
    const agentBus = faultyBus(inner);
    agentBus.state.hold = true;
    newAgent(agentBus.bus, "a1");
    assert.equal((await coordinator.prepare("a1", scenario(), { ackWaitMs: 1000 })).type, "parallax.v1.ready");
    const ids = range(10).map((i) => `x-${i * 10}`);
    await publish(inner, range(10).map((i) => exchange(i * 10)));
    coordinator.start();
    await until(() => candidate.seen.length === 10 && agentBus.pendingSnapshots.length > 0, "compared, a snapshot waiting to be stored");
    // Held past two ack waits, kept alive with working(): still in flight, never redelivered.
    await sleep(2200);
    assert.deepEqual(await inner.traffic.backlog(STREAM, DURABLE), { pending: 0, inFlight: 10, lastSeq: 10 });
    assert.equal(coordinator.snapshots.length, 0);
    agentBus.release();
    await until(async () => (await inner.traffic.backlog(STREAM, DURABLE)).inFlight === 0, "acked once stored");
    assert.deepEqual(coordinator.exchanges().sort(), ids.sort());
    await coordinator.stop("a1");
    assert.deepEqual(coordinator.accounting(), { received: 10, sampledOut: 0, redelivered: 0, duplicates: 0, malformed: 0, exchanges: 10 });
    assert.equal(candidate.seen.length, 10, "sent once: nothing was redelivered while held");
    await cleanUp();
  });

  it("a second agent takes over what a killed agent held unstored, and no exchange is counted twice", async () => {
    const { inner, coordinator } = setUp();
    const first = faultyBus(inner);
    const a1 = newAgent(first.bus, "a1");
    assert.equal((await coordinator.prepare("a1", scenario(), { ackWaitMs: 800 })).type, "parallax.v1.ready");
    coordinator.start();
    // Batch 1: compared, stored, acked.
    await publish(inner, range(10).map((i) => exchange(i, "b1")));
    await until(() => coordinator.exchanges().length === 10, "batch 1 stored");
    await until(async () => (await inner.traffic.backlog(STREAM, DURABLE)).inFlight === 0, "batch 1 acked");
    // Batch 2: compared, but the stream never stores a1's snapshot; then a1 is killed.
    first.state.hold = true;
    await publish(inner, range(10).map((i) => exchange(i, "b2")));
    await until(async () => candidate.seen.length === 18 && (await inner.traffic.backlog(STREAM, DURABLE)).inFlight === 10, "batch 2 sent, held by a1");
    first.kill();
    await a1.close();
    assert.deepEqual(await inner.traffic.backlog(STREAM, DURABLE), { pending: 0, inFlight: 10, lastSeq: 20 });

    newAgent(inner, "a2");
    assert.equal((await coordinator.prepare("a2", scenario(), { ackWaitMs: 800 })).type, "parallax.v1.ready");
    coordinator.start();
    await until(() => coordinator.exchanges("a2").length === 10, "batch 2 counted by a2");
    await coordinator.stop("a2");

    const all = coordinator.exchanges();
    assert.equal(all.length, 20);
    assert.equal(new Set(all).size, 20, "no exchange counted twice");
    assert.deepEqual(coordinator.exchanges("a2").sort(), range(10).map((i) => `b2-${i}`).sort());
    assert.deepEqual(coordinator.accounting("a2"), { received: 10, sampledOut: 0, redelivered: 10, duplicates: 0, malformed: 0, exchanges: 10 });
    assert.deepEqual(coordinator.queries.flat().sort(), range(10).map((i) => `b2-${i}`).sort(), "a2 asked about each redelivery once");
    assert.deepEqual(await inner.traffic.backlog(STREAM, DURABLE), { pending: 0, inFlight: 0, lastSeq: 20 });
    // The candidate saw batch 2 twice (at-least-once towards it; 9 of each 10 are safe to send);
    // the counts hold each exchange once.
    assert.equal(candidate.seen.length, 27);
    await cleanUp();
  });

  it("counts a redelivery of an exchange a stored snapshot already counted as a duplicate, without comparing it again", async () => {
    const { inner, coordinator } = setUp();
    const first = faultyBus(inner);
    first.state.dropAcks = true;
    const a1 = newAgent(first.bus, "a1");
    assert.equal((await coordinator.prepare("a1", scenario(), { ackWaitMs: 3000 })).type, "parallax.v1.ready");
    coordinator.start();
    await publish(inner, range(10).map((i) => exchange(i)));
    // a1 stores its snapshot and dies before its acks reach the server.
    await until(() => coordinator.exchanges().length === 10, "stored by a1");
    first.kill();
    await a1.close();

    newAgent(inner, "a2");
    assert.equal((await coordinator.prepare("a2", scenario(), { ackWaitMs: 3000 })).type, "parallax.v1.ready");
    coordinator.start();
    await until(() => coordinator.accounting("a2").received === 10, "redeliveries accounted by a2");
    await coordinator.stop("a2");
    assert.deepEqual(coordinator.accounting("a2"), { received: 10, sampledOut: 0, redelivered: 10, duplicates: 10, malformed: 0, exchanges: 0 });
    assert.equal(coordinator.exchanges().length, 10);
    assert.equal(candidate.seen.length, 9, "compared once, by a1 (one of the ten is held back)");
    assert.deepEqual(await inner.traffic.backlog(STREAM, DURABLE), { pending: 0, inFlight: 0, lastSeq: 10 });
    await cleanUp();
  });

  it("holds redeliveries while the coordinator does not answer, and a stop naks them for another agent", async () => {
    const { inner: bus, coordinator } = setUp();
    coordinator.answering = false;
    newAgent(bus, "a1");
    const ackWaitMs = 600;
    assert.equal((await coordinator.prepare("a1", scenario(), { ackWaitMs })).type, "parallax.v1.ready");
    await publish(bus, range(5).map((i) => exchange(i * 10)));
    // Another consumer took the five first and gave them back: the agent gets them redelivered.
    const earlier = observer(bus, 60_000);
    await until(() => earlier.got.length === 5, "first deliveries");
    earlier.subscription.unsubscribe();
    for (const m of earlier.got) m.nak();
    coordinator.start();
    await until(() => coordinator.queries.flat().length >= 5, "the agent asks about them");
    // A second subscriber waits: nothing may reach it while the agent holds them (kept alive past the ack wait).
    const other = observer(bus, 60_000);
    await sleep(ackWaitMs * 4);
    assert.equal(other.got.length, 0, "held, not redelivered");
    assert.equal(candidate.seen.length, 0, "not compared: they may have been counted already");
    const final = await coordinator.stop("a1");
    assert.deepEqual(final.shadow, { exchanges: [], received: 0, sampledOut: 0, redelivered: 0, duplicates: 0, malformed: 0 });
    // Nak'd at the stop: delivered to the other subscriber at once, well before its 60 s ack wait.
    await until(() => other.got.length === 5, "nak'd to the other subscriber", 5000);
    assert.deepEqual(other.got.map((m) => m.deliveries), [3, 3, 3, 3, 3]);
    assert.deepEqual(coordinator.accounting(), { received: 0, sampledOut: 0, redelivered: 0, duplicates: 0, malformed: 0, exchanges: 0 });
    other.subscription.unsubscribe();
    await cleanUp();
  });

  it("at a stop, lets comparisons under way finish and acks them with the final snapshot", async () => {
    const { inner: bus, coordinator } = setUp();
    const agent = newAgent(bus, "a1");
    assert.equal((await coordinator.prepare("a1", scenario(), { ackWaitMs: 5000 })).type, "parallax.v1.ready");
    // The candidate and secondary answer these only when the test says: they are under way at the stop.
    closeGate();
    await publish(bus, [0, 1, 2].map((i) => ({ ...exchange(i), request: { ...exchange(i).request, path: `/held/items/${i}` } })));
    coordinator.start();
    await until(() => candidate.seen.length === 3 && secondary.seen.length === 3, "sent");
    coordinator.sendStop();
    await sleep(300);
    // Stopped consuming: what arrives now waits for another agent.
    await publish(bus, [exchange(3)]);
    await sleep(300);
    assert.equal(agent.state, "running", "still waiting for the comparisons under way");
    assert.deepEqual(await bus.traffic.backlog(STREAM, DURABLE), { pending: 1, inFlight: 3, lastSeq: 4 });
    assert.equal(coordinator.exchanges().length, 0);
    gate.open();
    const final = await coordinator.stop("a1");
    assert.deepEqual(coordinator.exchanges().sort(), ["x-0", "x-1", "x-2"]);
    assert.deepEqual(final.shadow?.exchanges.sort(), ["x-0", "x-1", "x-2"], "counted in the final snapshot, once answered");
    assert.deepEqual(await bus.traffic.backlog(STREAM, DURABLE), { pending: 1, inFlight: 0, lastSeq: 4 });
    await cleanUp();
  });

  it("checks only the candidate and secondary against its allowlist (production is never contacted), and refuses bad stream names", async () => {
    const { inner: bus, coordinator } = setUp();
    const checked: string[] = [];
    newAgent(bus, "a1", async (url) => {
      checked.push(url.origin);
      return { allowed: true, addresses: ["127.0.0.1"] };
    });
    assert.equal((await coordinator.prepare("a1", scenario())).type, "parallax.v1.ready");
    assert.deepEqual(checked.sort(), [candidate.url, secondary.url].sort());
    coordinator.sendStop();
    await cleanUp();

    const again = setUp();
    newAgent(again.inner, "a1");
    const refused = await again.coordinator.prepare("a1", scenario(), { stream: "bad.name" });
    assert.equal(refused.type, "parallax.v1.refused");
    assert.match(refused.type === "parallax.v1.refused" ? refused.reason : "", /invalid traffic stream name "bad\.name"/);
    await cleanUp();
  });
});
