// The tap wired to a real Bus (MemoryBus: same TrafficStreams contract as NATS): what a shadow
// agent consuming the stream gets.
import assert from "node:assert/strict";
import { it } from "node:test";
import { decodeExchange, REDACTED, type CapturedExchange } from "@parallax/protocol";
import { MemoryBus } from "@parallax/transport";
import { createPublisher, startTap } from "../src/index.js";
import { eventually, send, startUpstream } from "./support.js";

it("exchanges reach the traffic stream once each, decodable and redacted; replayed requests never do", async () => {
  const upstream = await startUpstream();
  const bus = new MemoryBus();
  await bus.traffic.ensure("traffic", { retainMs: 60_000 });
  const publisher = createPublisher({ publish: (data, id) => bus.traffic.publish("traffic", data, { id }) });
  const tap = await startTap({ upstream: upstream.url, sinks: [publisher] });
  const consumed: CapturedExchange[] = [];
  const subscription = bus.traffic.consume("traffic", "shadow", { ackWaitMs: 5000, maxInFlight: 100 }, (message) => {
    const decoded = decodeExchange(message.data);
    assert.ok(decoded.ok);
    consumed.push(decoded.exchange);
    message.ack();
  });
  try {
    for (let i = 0; i < 10; i++) await send(tap.url, `/bytes?n=${i}&id=b${i}`, { headers: { cookie: `sid=live-${i}` } });
    await send(tap.url, "/bytes?n=1&id=replayed", { headers: { "x-parallax-replay": "run-1" } });
    await eventually(() => consumed.length === 10);
    assert.ok(await publisher.close(1000));
    assert.deepEqual((await bus.traffic.backlog("traffic", "shadow")), { pending: 0, inFlight: 0, lastSeq: 10 }, "ten stored, nothing more");
    assert.deepEqual(
      consumed.map((e) => e.request.path).sort(),
      Array.from({ length: 10 }, (_, i) => `/bytes?n=${i}&id=b${i}`).sort(),
    );
    assert.equal(new Set(consumed.map((e) => e.id)).size, 10);
    for (const e of consumed) {
      assert.deepEqual(e.request.headers.find(([n]) => n === "cookie"), ["cookie", REDACTED]);
      assert.ok(!("error" in e.response) && e.response.status === 200);
    }
    for (let i = 0; i < 10; i++) assert.equal(upstream.received.get(`b${i}`), 1);
    assert.equal(upstream.received.get("replayed"), 1);
  } finally {
    subscription.unsubscribe();
    await tap.close();
    await publisher.close(1000);
    await bus.close();
    await upstream.close();
  }
});
