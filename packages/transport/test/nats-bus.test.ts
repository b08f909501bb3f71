// NatsBus against a real nats-server (skipped when no binary is found): the shared Bus contract,
// then what only NATS has — storage config, large blobs, connect failures, a server restart.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { SUBJECTS, silentLogger, type Logger } from "@parallax/protocol";
import { freePort, natsServerBinary, startNatsServer, type NatsServerHandle } from "@parallax/testkit";
import { BusUnavailableError, NatsBus, RequestTimeoutError, SNAPSHOT_STREAM, type Bus } from "../src/index.js";
import { busContract, bytes, eventually, sleep, text, uniqueRun } from "./bus-contract.js";
import { recordingLogger, type LogLine } from "./recording-logger.js";

const env = process.env;
const SKIP = natsServerBinary(env) ? false : "nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH";

// One server for the contract tests; every test gets its own connection and unique subjects.
let shared: NatsServerHandle | undefined;
busContract("NatsBus", {
  skip: SKIP,
  redeliveryMs: 3_000,
  before: async () => {
    shared = await startNatsServer({ env });
  },
  after: async () => {
    await shared?.close();
  },
  create: async () => {
    if (!shared) throw new Error("server not started");
    return NatsBus.connect({ servers: shared.url, name: "contract", manageStorage: true, logger: silentLogger });
  },
});

describe("NatsBus against nats-server", { skip: SKIP }, () => {
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  const open = async (name: string, manageStorage: boolean, logger: Logger = silentLogger): Promise<NatsBus> => {
    const bus = await NatsBus.connect({ servers: server.url, name, manageStorage, logger });
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

  it("creates the snapshot stream as specified, and keeps durables on unsubscribe", async () => {
    const bus = await open("coordinator", true);
    const run = uniqueRun();
    await bus.stream.append(SUBJECTS.snapshots(run, "a"), bytes("1"), { id: `${run}-1` });
    const got: string[] = [];
    const sub = bus.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, (m) => {
      got.push(text(m.data));
      m.ack();
    });
    await eventually("delivered", () => got.length === 1);
    sub.unsubscribe();

    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(SNAPSHOT_STREAM);
      assert.deepEqual(info.config.subjects, ["parallax.v1.run.*.snapshots.*"]);
      assert.equal(info.config.storage, "file");
      assert.equal(info.config.duplicate_window, 2 * 60 * 1e9);
      assert.equal(info.config.max_age, 24 * 3600 * 1e9);
      const consumer = await jsm.consumers.info(SNAPSHOT_STREAM, `d${run}`);
      assert.equal(consumer.config.filter_subject, SUBJECTS.runSnapshots(run));
      assert.equal(consumer.config.ack_policy, "explicit");
      assert.equal(consumer.num_ack_pending, 0);
    } finally {
      await nc.close();
    }
  });

  it("an agent without manageStorage appends and fetches bundles the coordinator set up", async () => {
    const coordinator = await open("coordinator", true);
    const agent = await open("agent", false);
    const run = uniqueRun();
    await coordinator.blobs.put(`bundle-${run}`, bytes("bundle"));
    assert.equal(text((await agent.blobs.get(`bundle-${run}`)) as Uint8Array), "bundle");
    await agent.stream.append(SUBJECTS.snapshots(run, "a1"), bytes("snap"), { id: `${run}-1` });
    const got: string[] = [];
    const sub = coordinator.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, (m) => {
      got.push(`${m.subject}=${text(m.data)}`);
      m.ack();
    });
    await eventually("delivered", () => got.length === 1);
    assert.deepEqual(got, [`${SUBJECTS.snapshots(run, "a1")}=snap`]);
    sub.unsubscribe();
  });

  it("stores and returns a 6 MB blob byte for byte (far above max_payload)", async () => {
    const bus = await open("blobs", true);
    const big = new Uint8Array(6 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >>> 11)) & 0xff;
    const key = `big-${uniqueRun()}`;
    await bus.blobs.put(key, big);
    const back = await bus.blobs.get(key);
    assert.ok(back, "found");
    assert.equal(back.length, big.length);
    assert.ok(Buffer.from(back).equals(Buffer.from(big)), "same bytes");
    await bus.blobs.delete(key);
    assert.equal(await bus.blobs.get(key), undefined);
  });

  it("says 'no responders' when nobody is subscribed to a request subject", async () => {
    const bus = await open("requester", false);
    const subject = `${uniqueRun()}.nobody`;
    await assert.rejects(bus.request(subject, bytes(""), { timeoutMs: 5_000 }), (error: unknown) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.match(error.message, /no responders/);
      assert.ok(error.message.includes(subject));
      return true;
    });
  });

  it("fails to connect with BusUnavailableError naming the server and the reason", async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    await assert.rejects(NatsBus.connect({ servers: url, name: "nobody", logger: silentLogger }), (error: unknown) => {
      assert.ok(error instanceof BusUnavailableError);
      assert.equal(error.message, `could not connect to ${url}: connection refused`);
      return true;
    });
    assert.ok(Date.now() - started < 15_000, "fails fast rather than retrying for long");
  });

  it("reports an unreadable credentials file as BusUnavailableError", async () => {
    await assert.rejects(
      NatsBus.connect({ servers: server.url, name: "x", creds: "/nonexistent/parallax.creds", logger: silentLogger }),
      (error: unknown) => error instanceof BusUnavailableError && error.message.startsWith("could not read the NATS credentials file /nonexistent/parallax.creds"),
    );
  });
});

describe("NatsBus across a nats-server restart", { skip: SKIP }, () => {
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  before(async () => {
    server = await startNatsServer({ env });
  });
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await server?.close();
  });

  it("loses no message appended or consumed while the server is stopped and restarted", { timeout: 120_000 }, async () => {
    const logs: LogLine[] = [];
    const coordinator = await NatsBus.connect({ servers: server.url, name: "coordinator", manageStorage: true, logger: recordingLogger(logs) });
    buses.push(coordinator);
    const agent = await NatsBus.connect({ servers: server.url, name: "agent", logger: silentLogger });
    buses.push(agent);

    const run = uniqueRun();
    const total = 120;
    const received = new Map<string, number>(); // payload → stream seq
    let deliveries = 0;
    let seqChanged = 0;
    const sub = coordinator.stream.consume(SUBJECTS.runSnapshots(run), "merge", (m) => {
      deliveries++;
      const payload = text(m.data);
      const seq = received.get(payload);
      if (seq !== undefined && seq !== m.seq) seqChanged++;
      received.set(payload, m.seq);
      m.ack();
    });

    let appended = 0;
    const appending = (async () => {
      for (let i = 0; i < total; i++) {
        await agent.stream.append(SUBJECTS.snapshots(run, "a1"), bytes(`m${i}`), { id: `a1-${i}` });
        appended++;
        await sleep(20);
      }
    })();

    await eventually("some consumed before the restart", () => received.size >= 20);
    await server.stop();
    const appendedBeforeStop = appended;
    await sleep(2_000);
    assert.equal(appended, appendedBeforeStop, "no append completes while the server is down");
    await server.restart();
    assert.ok(appendedBeforeStop < total, "the outage happened while appending");
    await appending; // every append resolved: each survived the outage by retrying
    await eventually("every message consumed after the restart", () => received.size === total, 60_000);

    assert.equal(received.size, total, "none lost");
    assert.deepEqual(
      [...received.keys()].sort(),
      Array.from({ length: total }, (_, i) => `m${i}`).sort(),
    );
    assert.equal(new Set(received.values()).size, total, "each stored exactly once (dedupe by id)");
    assert.ok(deliveries >= total);
    assert.equal(seqChanged, 0, "a redelivery carries the same stream seq");
    assert.ok(logs.some((l) => l.level === "warn" && l.msg?.includes("disconnected")), "disconnect logged at warn");
    assert.ok(logs.some((l) => l.level === "info" && l.msg?.includes("reconnected")), "reconnect logged at info");

    // The consumer keeps consuming after the restart, not just catching up.
    await agent.stream.append(SUBJECTS.snapshots(run, "a1"), bytes("late"), { id: "a1-late" });
    await eventually("a message appended later is consumed", () => received.has("late"));
    sub.unsubscribe();
  });

  it("close() returns even when the server is down", { timeout: 60_000 }, async () => {
    const bus = await NatsBus.connect({ servers: server.url, name: "closer", manageStorage: true, logger: silentLogger });
    const run = uniqueRun();
    bus.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, (m) => m.ack());
    await server.stop();
    const started = Date.now();
    await bus.close();
    assert.ok(Date.now() - started < 20_000, "bounded close");
    await server.restart();
  });
});
