// NatsBus traffic streams against a real nats-server (skipped when no binary is found): the
// shared contract, then what only JetStream has — stream and consumer configuration, an agent
// that dies, a durable that outlives its subscribers, a server restart.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { silentLogger, type Logger } from "@parallax/protocol";
import { natsServerBinary, startNatsServer, type NatsServerHandle } from "@parallax/testkit";
import { NatsBus, TRAFFIC_MAX_ACK_PENDING, trafficStreamName, type Bus } from "../src/index.js";
import { bytes, eventually, sleep, text, uniqueRun } from "./bus-contract.js";
import { recordingLogger, type LogLine } from "./recording-logger.js";
import { backlogBecomes, LONG_ACK_WAIT_MS, Received, trafficContract } from "./traffic-contract.js";

const env = process.env;
const SKIP = natsServerBinary(env) ? false : "nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH";
const ACK_WAIT_MS = 1_000;
const HOUR_MS = 60 * 60 * 1000;
const NS_PER_MS = 1e6;

// One server for the contract; every test uses its own stream.
let shared: NatsServerHandle | undefined;
const connectShared = async (name: string): Promise<Bus> => {
  if (!shared) throw new Error("server not started");
  return NatsBus.connect({ servers: shared.url, name, logger: silentLogger });
};
trafficContract("NatsBus", {
  skip: SKIP,
  ackWaitMs: ACK_WAIT_MS,
  retainMs: 1_000,
  before: async () => {
    shared = await startNatsServer({ env });
  },
  after: async () => {
    await shared?.close();
  },
  create: () => connectShared("traffic-contract"),
  peer: () => connectShared("traffic-contract-peer"),
});

describe("NatsBus traffic streams against nats-server", { skip: SKIP }, () => {
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  const open = async (name: string, logger: Logger = silentLogger): Promise<NatsBus> => {
    const bus = await NatsBus.connect({ servers: server.url, name, logger });
    buses.push(bus);
    return bus;
  };

  before(async () => {
    server = await startNatsServer({ env });
  });
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await server?.close();
  });

  it("creates a work-queue stream and one shared durable as specified; ensure() updates max_age", async () => {
    const bus = await open("tap");
    const name = uniqueRun();
    await bus.traffic.ensure(name, { retainMs: 24 * HOUR_MS });
    const got = new Received();
    const sub = bus.traffic.consume(name, "shadow", { ackWaitMs: 7_000, maxInFlight: 8 }, (m) => got.take(m));
    await bus.traffic.publish(name, bytes("x"), { id: "x" });
    await eventually("delivered", () => got.all.length === 1);

    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = trafficStreamName(name);
      assert.equal(stream, `PARALLAX_TRAFFIC_${name}`);
      const info = await jsm.streams.info(stream);
      assert.deepEqual(info.config.subjects, [`parallax.v1.traffic.${name}`]);
      assert.equal(info.config.retention, "workqueue");
      assert.equal(info.config.storage, "file");
      assert.equal(info.config.discard, "old");
      assert.equal(info.config.max_age, 24 * HOUR_MS * NS_PER_MS);
      assert.equal(info.config.duplicate_window, 2 * 60 * 1000 * NS_PER_MS);
      const consumer = await jsm.consumers.info(stream, "shadow");
      assert.equal(consumer.config.durable_name, "shadow");
      assert.equal(consumer.config.ack_policy, "explicit");
      assert.equal(consumer.config.ack_wait, 7_000 * NS_PER_MS);
      assert.equal(consumer.config.max_ack_pending, TRAFFIC_MAX_ACK_PENDING);
      assert.equal(consumer.config.deliver_policy, "all");
      assert.equal(consumer.num_ack_pending, 1);

      await bus.traffic.ensure(name, { retainMs: 30_000 });
      const updated = await jsm.streams.info(stream);
      assert.equal(updated.config.max_age, 30_000 * NS_PER_MS);
      assert.equal(updated.config.duplicate_window, 30_000 * NS_PER_MS, "the dedupe window never exceeds max_age");
      assert.equal(updated.state.messages, 1, "the update keeps what is stored");
    } finally {
      await nc.close();
    }
    sub.unsubscribe();
  });

  it("a subscriber whose bus dies without acking leaves its messages to another bus, redelivered", async () => {
    const tap = await open("tap");
    const name = uniqueRun();
    await tap.traffic.ensure(name, { retainMs: HOUR_MS });
    for (let i = 1; i <= 8; i++) await tap.traffic.publish(name, bytes(`m${i}`), { id: `m${i}` });

    const doomed = await open("shadow-1");
    const first = new Received();
    doomed.traffic.consume(name, "shadow", { ackWaitMs: ACK_WAIT_MS, maxInFlight: 5 }, (m) => first.take(m));
    await eventually("the first agent holds five", () => first.all.length === 5);
    await backlogBecomes(tap, name, { pending: 3, inFlight: 5, lastSeq: 8 });
    await doomed.close(); // dies with five unacked

    const survivor = await open("shadow-2");
    const second = new Received();
    survivor.traffic.consume(name, "shadow", { ackWaitMs: ACK_WAIT_MS, maxInFlight: 5 }, (m) => {
      second.take(m);
      second.ack(m);
    });
    await eventually("the survivor got all eight", () => new Set(second.all.map((m) => m.seq)).size === 8);
    await backlogBecomes(tap, name, { pending: 0, inFlight: 0, lastSeq: 8 });
    const heldByTheDead = new Set(first.all.map((m) => m.seq));
    for (const m of second.all) {
      assert.equal(m.deliveries, heldByTheDead.has(m.seq) ? 2 : 1, `seq ${m.seq}`);
      assert.equal(text(m.data), `m${m.seq}`);
    }
    assert.equal(second.all.length, 8, "each once");
  });

  it("the durable outlives its subscribers: a new one resumes after what was acked", async () => {
    const tap = await open("tap");
    const name = uniqueRun();
    await tap.traffic.ensure(name, { retainMs: HOUR_MS });
    for (let i = 1; i <= 5; i++) await tap.traffic.publish(name, bytes(`m${i}`), { id: `m${i}` });

    const agent = await open("shadow-1");
    const acked: number[] = [];
    const sub = agent.traffic.consume(name, "shadow", { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 1 }, (m) => {
      m.ack();
      acked.push(m.seq);
      if (acked.length === 3) sub.unsubscribe();
    });
    await eventually("three acked", () => acked.length === 3);
    await agent.close();
    await backlogBecomes(tap, name, { pending: 2, inFlight: 0, lastSeq: 5 });

    const restarted = await open("shadow-1-again");
    const got = new Received();
    restarted.traffic.consume(name, "shadow", { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 10 }, (m) => got.take(m));
    await eventually("the rest delivered", () => got.all.length === 2);
    assert.deepEqual(acked, [1, 2, 3]);
    assert.deepEqual(got.all.map((m) => [m.seq, m.deliveries]), [[4, 1], [5, 1]]);
  });

  it("a subscriber started before the stream exists waits for it", async () => {
    const lines: LogLine[] = [];
    const agent = await open("shadow", recordingLogger(lines));
    const name = uniqueRun();
    const got = new Received();
    agent.traffic.consume(name, "shadow", { ackWaitMs: ACK_WAIT_MS, maxInFlight: 2 }, (m) => got.take(m));
    await eventually("said it is waiting", () => lines.some((l) => l.level === "warn" && l.msg?.includes("does not exist yet") === true));

    const tap = await open("tap");
    await tap.traffic.ensure(name, { retainMs: HOUR_MS });
    await tap.traffic.publish(name, bytes("first"), { id: "1" });
    await eventually("delivered once the stream exists", () => got.all.length === 1);
    assert.equal(lines.filter((l) => l.level === "warn").length, 1, "the wait is logged once, not once per retry");
    assert.ok(lines.some((l) => l.level === "info" && l.msg === "traffic consumer resumed"));
  });

  it("refuses a second durable name on one stream, and says why at error level", async () => {
    const tap = await open("tap");
    const name = uniqueRun();
    await tap.traffic.ensure(name, { retainMs: HOUR_MS });
    const good = await open("shadow-1");
    const got = new Received();
    good.traffic.consume(name, "shadow", { ackWaitMs: ACK_WAIT_MS, maxInFlight: 2 }, (m) => got.take(m));
    await tap.traffic.publish(name, bytes("1"), { id: "1" });
    await eventually("the first durable works", () => got.all.length === 1);

    const lines: LogLine[] = [];
    const stray = await open("shadow-2", recordingLogger(lines));
    const strayGot = new Received();
    stray.traffic.consume(name, "other", { ackWaitMs: ACK_WAIT_MS, maxInFlight: 2 }, (m) => strayGot.take(m));
    await eventually("the conflict is logged", () => lines.some((l) => l.level === "error" && l.msg?.includes("a work queue allows only one") === true));
    await tap.traffic.publish(name, bytes("2"), { id: "2" });
    await eventually("the first durable still works", () => got.all.length === 2);
    assert.equal(strayGot.all.length, 0);
  });
});

describe("NatsBus traffic streams across a nats-server restart", { skip: SKIP }, () => {
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  before(async () => {
    server = await startNatsServer({ env });
  });
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await server?.close();
  });

  it("loses nothing published or consumed while the server is stopped and restarted", { timeout: 120_000 }, async () => {
    const tap = await NatsBus.connect({ servers: server.url, name: "tap", logger: silentLogger });
    buses.push(tap);
    const agent = await NatsBus.connect({ servers: server.url, name: "shadow", logger: silentLogger });
    buses.push(agent);
    const name = uniqueRun();
    await tap.traffic.ensure(name, { retainMs: HOUR_MS });

    const total = 100;
    const seen = new Map<string, number>(); // payload → stream seq
    let seqChanged = 0;
    let held = 0;
    let maxHeld = 0;
    agent.traffic.consume(name, "shadow", { ackWaitMs: 2_000, maxInFlight: 4 }, (m) => {
      const payload = text(m.data);
      const seq = seen.get(payload);
      if (seq !== undefined && seq !== m.seq) seqChanged++;
      seen.set(payload, m.seq);
      held++;
      maxHeld = Math.max(maxHeld, held);
      setTimeout(() => {
        held--;
        m.ack();
      }, 5);
    });

    let published = 0;
    const publishing = (async () => {
      for (let i = 0; i < total; i++) {
        await tap.traffic.publish(name, bytes(`e${i}`), { id: `e${i}` });
        published++;
        await sleep(20);
      }
    })();
    await eventually("some consumed before the restart", () => seen.size >= 20);
    await server.stop();
    const publishedBeforeStop = published;
    await sleep(1_500);
    assert.equal(published, publishedBeforeStop, "no publish completes while the server is down");
    await server.restart();
    assert.ok(publishedBeforeStop < total, "the outage happened while publishing");
    await publishing;
    await eventually("everything consumed after the restart", () => seen.size === total, 60_000);
    await backlogBecomes(tap, name, { pending: 0, inFlight: 0, lastSeq: total });
    assert.equal(new Set(seen.values()).size, total, "each stored once (dedupe by id across retries)");
    assert.equal(seqChanged, 0, "a redelivery carries the same seq");
    assert.ok(maxHeld <= 4, `held ${maxHeld}`);
  });

  it("close() returns even when the server is down, with a traffic consumer running", { timeout: 60_000 }, async () => {
    const bus = await NatsBus.connect({ servers: server.url, name: "closer", logger: silentLogger });
    const name = uniqueRun();
    await bus.traffic.ensure(name, { retainMs: HOUR_MS });
    bus.traffic.consume(name, "shadow", { ackWaitMs: ACK_WAIT_MS, maxInFlight: 4 }, (m) => m.ack());
    await sleep(200);
    await server.stop();
    const started = Date.now();
    await bus.close();
    assert.ok(Date.now() - started < 20_000, "bounded close");
    await server.restart();
  });
});
