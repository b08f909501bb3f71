import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBus, RequestTimeoutError, type StreamMessage } from "../src/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("MemoryBus pub/sub", () => {
  it("delivers to matching subscribers only, asynchronously", async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribe("a.*.c", (m) => got.push(`star:${m.subject}`));
    bus.subscribe("a.>", (m) => got.push(`tail:${m.subject}`));
    bus.subscribe("x", () => got.push("x"));
    bus.publish("a.b.c", bytes("1"));
    assert.deepEqual(got, [], "never delivered re-entrantly");
    await tick();
    assert.deepEqual(got.sort(), ["star:a.b.c", "tail:a.b.c"]);
    await bus.close();
  });

  it("stops delivering after unsubscribe", async () => {
    const bus = new MemoryBus();
    let n = 0;
    const sub = bus.subscribe("s", () => n++);
    bus.publish("s", bytes(""));
    await tick();
    sub.unsubscribe();
    bus.publish("s", bytes(""));
    await tick();
    assert.equal(n, 1);
    await bus.close();
  });
});

describe("MemoryBus request/reply", () => {
  it("returns the reply", async () => {
    const bus = new MemoryBus();
    bus.subscribe("echo", (m) => m.respond?.(bytes(`re:${text(m.data)}`)));
    assert.equal(text(await bus.request("echo", bytes("hi"), { timeoutMs: 1000 })), "re:hi");
    await bus.close();
  });

  it("rejects with RequestTimeoutError when nobody answers", async () => {
    const bus = new MemoryBus();
    await assert.rejects(bus.request("nobody", bytes(""), { timeoutMs: 20 }), RequestTimeoutError);
    await bus.close();
  });
});

describe("MemoryBus durable stream", () => {
  it("dedupes appends by id and delivers in order", async () => {
    const bus = new MemoryBus();
    await bus.stream.append("s.a", bytes("1"), { id: "one" });
    await bus.stream.append("s.a", bytes("1 again"), { id: "one" });
    await bus.stream.append("s.b", bytes("2"), { id: "two" });
    const got: string[] = [];
    const sub = bus.stream.consume("s.*", "c", (m) => {
      got.push(text(m.data));
      m.ack();
    });
    await tick();
    assert.deepEqual(got, ["1", "2"]);
    sub.unsubscribe();
    await bus.close();
  });

  it("redelivers what was not acked, also to a resubscribed durable, and resumes after the last delivered", async () => {
    const bus = new MemoryBus();
    await bus.stream.append("s.a", bytes("1"), { id: "1" });
    await bus.stream.append("s.a", bytes("2"), { id: "2" });
    const first: StreamMessage[] = [];
    const sub = bus.stream.consume("s.>", "durable", (m) => void first.push(m));
    await tick();
    assert.equal(first.length, 2);
    first[0]?.ack(); // "2" stays unacked
    sub.unsubscribe();
    await bus.stream.append("s.a", bytes("3"), { id: "3" });
    const second: string[] = [];
    bus.stream.consume("s.>", "durable", (m) => {
      second.push(text(m.data));
      m.ack();
    });
    await tick();
    assert.deepEqual(second.sort(), ["2", "3"]);
    await bus.close();
  });

  it("purges by subject", async () => {
    const bus = new MemoryBus();
    await bus.stream.append("run.1.x", bytes("a"), { id: "a" });
    await bus.stream.append("run.2.x", bytes("b"), { id: "b" });
    await bus.stream.purge("run.1.>");
    const got: string[] = [];
    bus.stream.consume(">", "all", (m) => void got.push(text(m.data)));
    await tick();
    assert.deepEqual(got, ["b"]);
    await bus.close();
  });
});

describe("MemoryBus blobs", () => {
  it("stores copies, returns undefined for unknown keys, deletes", async () => {
    const bus = new MemoryBus();
    const data = bytes("bundle");
    await bus.blobs.put("k", data);
    data[0] = 0;
    assert.equal(text((await bus.blobs.get("k")) as Uint8Array), "bundle");
    assert.equal(await bus.blobs.get("missing"), undefined);
    await bus.blobs.delete("k");
    assert.equal(await bus.blobs.get("k"), undefined);
    await bus.close();
  });
});

describe("MemoryBus failure isolation", () => {
  it("offers a message again when its handler throws, and nothing after unsubscribe", async () => {
    const bus = new MemoryBus();
    await bus.stream.append("s", bytes("x"), { id: "x" });
    let calls = 0;
    const sub = bus.stream.consume("s", "d", () => {
      calls++;
      throw new Error("handler bug");
    });
    await tick();
    assert.equal(calls, 1);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(calls, 2, "redelivered after the redelivery interval");
    sub.unsubscribe();
    await bus.stream.append("s", bytes("y"), { id: "y" });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(calls, 2);
    await bus.close();
  });
});
