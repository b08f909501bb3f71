// MemoryBus traffic streams: the shared contract, then what only the in-process bus can show
// exactly (never re-entrant delivery, the durable-name conflict thrown at once, close).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBus, type TrafficMessage } from "../src/index.js";
import { bytes, eventually, sleep } from "./bus-contract.js";
import { LONG_ACK_WAIT_MS, trafficContract } from "./traffic-contract.js";

// Every "agent" of a test shares the one in-process bus.
trafficContract("MemoryBus", { create: async () => new MemoryBus(), peer: async (bus) => bus, ackWaitMs: 100, retainMs: 100 });

describe("MemoryBus traffic streams", () => {
  it("never delivers inside publish, ack or nak", async () => {
    const bus = new MemoryBus();
    await bus.traffic.ensure("s", { retainMs: 60_000 });
    const got: TrafficMessage[] = [];
    bus.traffic.consume("s", "d", { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 1 }, (m) => void got.push(m));
    await bus.traffic.publish("s", bytes("1"), { id: "1" });
    await bus.traffic.publish("s", bytes("2"), { id: "2" });
    assert.equal(got.length, 0, "not inside publish");
    await eventually("first delivered", () => got.length === 1);
    got[0]?.nak();
    assert.equal(got.length, 1, "not inside nak");
    await eventually("redelivered", () => got.length === 2);
    got[1]?.ack();
    assert.equal(got.length, 2, "not inside ack");
    await eventually("second delivered", () => got.length === 3);
    assert.deepEqual(got.map((m) => [m.seq, m.deliveries]), [[1, 1], [1, 2], [2, 1]]);
    await bus.close();
  });

  it("gives each delivery its own copy of the bytes", async () => {
    const bus = new MemoryBus();
    await bus.traffic.ensure("s", { retainMs: 60_000 });
    const data = bytes("abc");
    await bus.traffic.publish("s", data, { id: "1" });
    data[0] = 0;
    const got: TrafficMessage[] = [];
    bus.traffic.consume("s", "d", { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 1 }, (m) => {
      got.push(m);
      if (m.deliveries === 1) {
        m.data[1] = 0;
        m.nak();
      }
    });
    await eventually("redelivered", () => got.length === 2);
    assert.equal(new TextDecoder().decode(got[1]?.data), "abc");
    await bus.close();
  });

  it("throws at once when a second durable name subscribes to one stream", async () => {
    const bus = new MemoryBus();
    await bus.traffic.ensure("s", { retainMs: 60_000 });
    bus.traffic.consume("s", "one", { ackWaitMs: 1_000, maxInFlight: 1 }, () => undefined);
    assert.throws(() => bus.traffic.consume("s", "two", { ackWaitMs: 1_000, maxInFlight: 1 }, () => undefined), /a work queue allows only one/);
    assert.deepEqual(await bus.traffic.backlog("s", "two"), { pending: 0, inFlight: 0, lastSeq: 0 });
    await bus.close();
  });

  it("a throwing handler leaves the message unacked, to be redelivered after the ack wait", async () => {
    const bus = new MemoryBus();
    await bus.traffic.ensure("s", { retainMs: 60_000 });
    await bus.traffic.publish("s", bytes("x"), { id: "1" });
    const deliveries: number[] = [];
    bus.traffic.consume("s", "d", { ackWaitMs: 50, maxInFlight: 1 }, (m) => {
      deliveries.push(m.deliveries);
      if (m.deliveries === 1) throw new Error("boom");
      m.ack();
    });
    await eventually("redelivered", () => deliveries.length === 2);
    assert.deepEqual(deliveries, [1, 2]);
    assert.deepEqual(await bus.traffic.backlog("s", "d"), { pending: 0, inFlight: 0, lastSeq: 1 });
    await bus.close();
  });

  it("stops delivering on close and refuses to publish after it", async () => {
    const bus = new MemoryBus();
    await bus.traffic.ensure("s", { retainMs: 60_000 });
    const got: TrafficMessage[] = [];
    bus.traffic.consume("s", "d", { ackWaitMs: 20, maxInFlight: 1 }, (m) => void got.push(m));
    await bus.traffic.publish("s", bytes("x"), { id: "1" });
    await eventually("delivered", () => got.length === 1);
    await bus.close();
    await sleep(100); // several ack waits: no redelivery after close
    assert.equal(got.length, 1);
    await assert.rejects(bus.traffic.publish("s", bytes("y"), { id: "2" }), /closed/);
  });
});
