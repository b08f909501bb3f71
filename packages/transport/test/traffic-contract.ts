// The behaviour every `TrafficStreams` implementation must share (bus.ts is the contract), run
// against MemoryBus and NatsBus alike: a work queue with dedupe, a shared durable, per-subscriber
// in-flight caps, redelivery, retention.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { TrafficStreamNotFoundError, type Bus, type TrafficBacklog, type TrafficMessage } from "../src/index.js";
import { bytes, eventually, sleep, text, uniqueRun } from "./bus-contract.js";

export interface TrafficContractOptions {
  /** A fresh bus per call; the contract closes it. */
  readonly create: () => Promise<Bus>;
  /** A second bus on the same traffic as `bus` (another agent); may be `bus` itself in-process. */
  readonly peer: (bus: Bus) => Promise<Bus>;
  /** A short ack wait: tests wait for redeliveries a few times this long. */
  readonly ackWaitMs: number;
  /** A short retention: tests wait for messages to age out. */
  readonly retainMs: number;
  readonly skip?: string | false;
  readonly before?: () => Promise<void>;
  readonly after?: () => Promise<void>;
}

/** An ack wait no test outlasts: nothing is redelivered unless nak'd. */
export const LONG_ACK_WAIT_MS = 120_000;
const HOUR_MS = 60 * 60 * 1000;
const DURABLE = "shadow";

/** Polls an async `check` until it returns true; fails after `withinMs`, showing the last value seen. */
export async function eventuallyAsync<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, withinMs = 20_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) assert.fail(`not within ${withinMs} ms: ${what}; last: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

/** Waits until `bus.traffic.backlog` is exactly `expected` (acks travel asynchronously). */
export async function backlogBecomes(bus: Bus, name: string, expected: TrafficBacklog, durable = DURABLE): Promise<void> {
  await eventuallyAsync(`backlog ${JSON.stringify(expected)}`, () => bus.traffic.backlog(name, durable), (b) => sameBacklog(b, expected));
}

function sameBacklog(a: TrafficBacklog, b: TrafficBacklog): boolean {
  return a.pending === b.pending && a.inFlight === b.inFlight && a.lastSeq === b.lastSeq;
}

/** Everything one subscriber was handed, with how many it held unacked at once at most. */
export class Received {
  readonly all: TrafficMessage[] = [];
  readonly held = new Set<TrafficMessage>();
  maxHeld = 0;

  take(message: TrafficMessage): void {
    this.all.push(message);
    this.held.add(message);
    this.maxHeld = Math.max(this.maxHeld, this.held.size);
  }

  ack(message: TrafficMessage): void {
    this.held.delete(message);
    message.ack();
  }

  ackAll(): void {
    for (const message of [...this.held]) this.ack(message);
  }

  texts(): string[] {
    return this.all.map((m) => text(m.data));
  }
}

export function trafficContract(name: string, options: TrafficContractOptions): void {
  describe(`${name} (TrafficStreams contract)`, { skip: options.skip ?? false }, () => {
    const open: Bus[] = [];
    const newBus = async (): Promise<Bus> => {
      const bus = await options.create();
      open.push(bus);
      return bus;
    };
    /** A bus with a fresh stream, retention an hour unless given. */
    const setUp = async (retainMs = HOUR_MS): Promise<{ bus: Bus; stream: string }> => {
      const bus = await newBus();
      const stream = uniqueRun();
      await bus.traffic.ensure(stream, { retainMs });
      return { bus, stream };
    };
    const publishAll = async (bus: Bus, stream: string, payloads: string[]): Promise<void> => {
      for (const p of payloads) await bus.traffic.publish(stream, bytes(p), { id: `id-${p}` });
    };
    const numbered = (count: number): string[] => Array.from({ length: count }, (_, i) => `m${i + 1}`);

    if (options.before) before(options.before);
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });
    if (options.after) after(options.after);

    it("stores a re-published id once, and keeps what was published before any consumer existed", async () => {
      const { bus, stream } = await setUp();
      await bus.traffic.publish(stream, bytes("a"), { id: "one" });
      await bus.traffic.publish(stream, bytes("a again"), { id: "one" });
      await bus.traffic.publish(stream, bytes("b"), { id: "two" });
      assert.deepEqual(await bus.traffic.backlog(stream, DURABLE), { pending: 2, inFlight: 0, lastSeq: 2 });

      const got = new Received();
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 10 }, (m) => got.take(m));
      await eventually("both delivered", () => got.all.length === 2);
      assert.deepEqual(got.texts(), ["a", "b"]);
      assert.deepEqual(got.all.map((m) => [m.seq, m.deliveries]), [[1, 1], [2, 1]]);
    });

    it("is a work queue: acked messages are removed, the backlog is exact at each step, and a re-published acked id stays out", async () => {
      const { bus, stream } = await setUp();
      await publishAll(bus, stream, ["x", "y", "z"]);
      assert.deepEqual(await bus.traffic.backlog(stream, DURABLE), { pending: 3, inFlight: 0, lastSeq: 3 });

      const got = new Received();
      const sub = bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 10 }, (m) => got.take(m));
      await eventually("all three delivered", () => got.all.length === 3);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 3, lastSeq: 3 });
      got.ack(got.all[0] as TrafficMessage);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 2, lastSeq: 3 });
      got.ackAll();
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 3 });

      await bus.traffic.publish(stream, bytes("x"), { id: "id-x" }); // acked and removed, but within the dedupe window
      await bus.traffic.publish(stream, bytes("w"), { id: "id-w" });
      await eventually("the new one delivered", () => got.all.length === 4);
      assert.deepEqual(got.texts(), ["x", "y", "z", "w"]);
      assert.equal(got.all[3]?.seq, 4);
      got.ackAll();
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 4 });
      sub.unsubscribe();
    });

    it("hands a subscriber no more than maxInFlight unacked, and more as it acks", async () => {
      const { bus, stream } = await setUp();
      await publishAll(bus, stream, numbered(10));
      const got = new Received();
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 4 }, (m) => got.take(m));
      await eventually("four delivered", () => got.all.length === 4);
      await backlogBecomes(bus, stream, { pending: 6, inFlight: 4, lastSeq: 10 });
      await sleep(300); // room for a wrong fifth delivery to show up
      assert.equal(got.all.length, 4, "no fifth before an ack");

      got.ack(got.all[0] as TrafficMessage);
      await eventually("one more after one ack", () => got.all.length === 5);
      await backlogBecomes(bus, stream, { pending: 5, inFlight: 4, lastSeq: 10 });
      assert.equal(got.all.length, 5);
      assert.equal(got.maxHeld, 4);
      assert.deepEqual(got.texts(), numbered(5));
    });

    it("shares one durable between two subscribers: no message to both, each within its own maxInFlight", async () => {
      const { bus, stream } = await setUp();
      const other = await options.peer(bus);
      open.push(other);
      await publishAll(bus, stream, numbered(10));
      const a = new Received();
      const b = new Received();
      let draining = false;
      const take = (r: Received) => (m: TrafficMessage) => {
        r.take(m);
        if (draining) r.ack(m);
      };
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 2 }, take(a));
      other.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 3 }, take(b));
      await eventually("both full", () => a.all.length === 2 && b.all.length === 3);
      await backlogBecomes(bus, stream, { pending: 5, inFlight: 5, lastSeq: 10 });

      draining = true;
      a.ackAll();
      b.ackAll();
      await eventually("all ten delivered", () => a.all.length + b.all.length === 10);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 10 });
      const seqs = [...a.all, ...b.all].map((m) => m.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => i + 1), "each message once, to one of them");
      assert.ok([...a.all, ...b.all].every((m) => m.deliveries === 1));
      assert.equal(a.maxHeld, 2);
      assert.equal(b.maxHeld, 3);
    });

    it("spreads a stream over busy subscribers, none above its maxInFlight", async () => {
      const { bus, stream } = await setUp();
      const other = await options.peer(bus);
      open.push(other);
      const total = 40;
      await publishAll(bus, stream, numbered(total));
      const a = new Received();
      const b = new Received();
      // Each message takes a little while, as a shadow comparison does.
      const slow = (r: Received) => (m: TrafficMessage) => {
        r.take(m);
        setTimeout(() => r.ack(m), 20);
      };
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 3 }, slow(a));
      other.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 5 }, slow(b));
      await eventually("all delivered", () => a.all.length + b.all.length === total);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: total });
      assert.equal(new Set([...a.all, ...b.all].map((m) => m.seq)).size, total, "no message twice");
      assert.ok(a.all.length > 0 && b.all.length > 0, `both took part (${a.all.length} + ${b.all.length})`);
      assert.ok(a.maxHeld <= 3, `a held ${a.maxHeld}`);
      assert.ok(b.maxHeld <= 5, `b held ${b.maxHeld}`);
    });

    it("redelivers a message not acked within ackWaitMs, as delivery 2, to the other subscriber once the first is gone", async () => {
      const { bus, stream } = await setUp();
      const other = await options.peer(bus);
      open.push(other);
      await publishAll(bus, stream, ["lost"]);
      const first = new Received();
      const sub = bus.traffic.consume(stream, DURABLE, { ackWaitMs: options.ackWaitMs, maxInFlight: 5 }, (m) => first.take(m));
      await eventually("delivered once", () => first.all.length === 1);
      sub.unsubscribe();

      const second = new Received();
      other.traffic.consume(stream, DURABLE, { ackWaitMs: options.ackWaitMs, maxInFlight: 5 }, (m) => second.take(m));
      await eventually("redelivered", () => second.all.length === 1);
      const [a, b] = [first.all[0], second.all[0]];
      assert.deepEqual([a?.seq, a?.deliveries, b?.seq, b?.deliveries], [1, 1, 1, 2]);
      assert.equal(text(b?.data ?? new Uint8Array()), "lost");
      await backlogBecomes(other, stream, { pending: 0, inFlight: 1, lastSeq: 1 });
      second.ackAll();
      await backlogBecomes(other, stream, { pending: 0, inFlight: 0, lastSeq: 1 });
      assert.equal(first.all.length, 1, "nothing after unsubscribe");
    });

    it("accepts a late ack from an earlier delivery: the message is removed", async () => {
      const { bus, stream } = await setUp();
      await publishAll(bus, stream, ["slow"]);
      const got = new Received();
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: options.ackWaitMs, maxInFlight: 5 }, (m) => got.take(m));
      await eventually("redelivered to the same subscriber", () => got.all.length === 2);
      assert.deepEqual(got.all.map((m) => m.deliveries), [1, 2]);
      got.all[0]?.ack(); // the stale delivery's ack
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 1 });
      got.all[1]?.ack(); // harmless
      await sleep(options.ackWaitMs * 2);
      assert.equal(got.all.length, 2, "not delivered again");
    });

    it("redelivers at once on nak", async () => {
      const { bus, stream } = await setUp();
      await publishAll(bus, stream, ["again"]);
      const got = new Received();
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 1 }, (m) => {
        got.take(m);
        if (m.deliveries === 1) {
          got.held.delete(m);
          m.nak();
        }
      });
      await eventually("redelivered long before the ack wait", () => got.all.length === 2, 10_000);
      assert.deepEqual(got.all.map((m) => [m.seq, m.deliveries]), [[1, 1], [1, 2]]);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 1, lastSeq: 1 });
      got.ackAll();
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 1 });
    });

    it("postpones redelivery while working() is called, and only then", async () => {
      const { bus, stream } = await setUp();
      await publishAll(bus, stream, ["kept", "dropped"]);
      const got = new Received();
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: options.ackWaitMs, maxInFlight: 5 }, (m) => got.take(m));
      await eventually("both delivered", () => got.all.length === 2);
      const kept = got.all.find((m) => text(m.data) === "kept") as TrafficMessage;
      // Keep "kept" alive for three ack waits; "dropped" gets no such care.
      const until = Date.now() + 3 * options.ackWaitMs;
      while (Date.now() < until) {
        kept.working();
        await sleep(options.ackWaitMs / 5);
      }
      const redelivered = got.all.filter((m) => m.deliveries > 1).map((m) => text(m.data));
      assert.ok(redelivered.includes("dropped"), "the neglected one was redelivered");
      assert.ok(!redelivered.includes("kept"), "the one kept alive was not");
      got.ackAll();
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 2 });
    });

    it("drops messages older than the retention, delivered or not, and ensure() updates the retention", async () => {
      const { bus, stream } = await setUp(options.retainMs);
      await publishAll(bus, stream, ["stale"]);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 1 });

      await publishAll(bus, stream, ["held"]);
      const got = new Received();
      bus.traffic.consume(stream, DURABLE, { ackWaitMs: LONG_ACK_WAIT_MS, maxInFlight: 5 }, (m) => got.take(m));
      await eventually("delivered", () => got.all.length === 1);
      assert.deepEqual(got.texts(), ["held"], "the aged-out message is never delivered");
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 0, lastSeq: 2 }); // aged out while in flight
      got.ackAll(); // a late ack of a dropped message is harmless

      await bus.traffic.ensure(stream, { retainMs: HOUR_MS });
      // A process not told a retention (a tap restarted without --retain) leaves the hour as it is.
      await bus.traffic.ensure(stream, { retainMs: options.retainMs, keepExisting: true });
      await publishAll(bus, stream, ["kept"]);
      await sleep(options.retainMs * 2);
      await backlogBecomes(bus, stream, { pending: 0, inFlight: 1, lastSeq: 3 });
      assert.deepEqual(got.texts(), ["held", "kept"]);
    });

    it("checks that it may publish without storing anything", async () => {
      const { bus, stream } = await setUp(HOUR_MS);
      await bus.traffic.checkPublish(stream);
      await bus.traffic.checkPublish(stream);
      await publishAll(bus, stream, ["only"]);
      await backlogBecomes(bus, stream, { pending: 1, inFlight: 0, lastSeq: 1 });
    });

    it("refuses invalid names, and publishing to or measuring a stream nobody ensured", async () => {
      const bus = await newBus();
      const missing = uniqueRun();
      await assert.rejects(bus.traffic.publish(missing, bytes("x"), { id: "1" }), (error: unknown) => {
        assert.ok(error instanceof TrafficStreamNotFoundError);
        assert.ok(error.message.includes(missing));
        return true;
      });
      await assert.rejects(bus.traffic.backlog(missing, DURABLE), TrafficStreamNotFoundError);
      await assert.rejects(bus.traffic.checkPublish(missing), TrafficStreamNotFoundError);
      await assert.rejects(bus.traffic.ensure("a.b", { retainMs: HOUR_MS }), /traffic stream name "a.b" is invalid/);
      await assert.rejects(bus.traffic.publish("a*", bytes("x"), { id: "1" }), RangeError);
      assert.throws(() => bus.traffic.consume(missing, "no.dots", { ackWaitMs: 1_000, maxInFlight: 1 }, () => undefined), /durable consumer name "no.dots" is invalid/);
      assert.throws(() => bus.traffic.consume(missing, DURABLE, { ackWaitMs: 1_000, maxInFlight: 0 }, () => undefined), /maxInFlight must be an integer >= 1/);
      await assert.rejects(bus.traffic.ensure(missing, { retainMs: 0 }), /retainMs must be a positive/);
    });
  });
}
