import assert from "node:assert/strict";
import { it } from "node:test";
import { decodeExchange, type CapturedExchange, type Logger } from "@parallax/protocol";
import { createPublisher, fitExchange } from "../src/index.js";

function exchange(id: string, requestBody = 0, responseBody = 0): CapturedExchange {
  return {
    id,
    capturedAtMs: 1,
    latencyMicros: 5,
    request: { method: "POST", path: "/p", headers: [["content-type", "application/octet-stream"]], ...(requestBody ? { body: new Uint8Array(requestBody).fill(1) } : {}), bodyTruncated: false },
    response: { status: 200, headers: [], ...(responseBody ? { body: new Uint8Array(responseBody).fill(2) } : {}), bodyTruncated: false },
  };
}

/** A publish whose acknowledgements the test gives one by one. */
function manualPublish() {
  const pending: Array<{ id: string; resolve: () => void; reject: (e: Error) => void }> = [];
  return {
    pending,
    publish: (_data: Uint8Array, id: string) => new Promise<void>((resolve, reject) => pending.push({ id, resolve, reject })),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

it("publishes in order with at most `concurrency` in flight", async () => {
  const { pending, publish } = manualPublish();
  const publisher = createPublisher({ publish, concurrency: 2 });
  for (let i = 0; i < 5; i++) publisher.accept(exchange(`e${i}`));
  assert.deepEqual(pending.map((p) => p.id), ["e0", "e1"]);
  assert.equal(publisher.stats().queued, 3);
  pending.shift()?.resolve();
  await tick();
  assert.deepEqual(pending.map((p) => p.id), ["e1", "e2"]);
  while (pending.length) {
    pending.shift()?.resolve();
    await tick();
  }
  assert.deepEqual(publisher.stats(), { offered: 5, published: 5, dropped: 0, failed: 0, shrunk: 0, queued: 0, inFlight: 0 });
  assert.equal(await publisher.close(100), true);
});

it("a full queue drops and counts, at once; by count and by bytes", () => {
  const { publish } = manualPublish();
  const byCount = createPublisher({ publish, concurrency: 1, maxQueue: 3 });
  for (let i = 0; i < 10; i++) byCount.accept(exchange(`e${i}`));
  assert.deepEqual(byCount.stats(), { offered: 10, published: 0, dropped: 6, failed: 0, shrunk: 0, queued: 3, inFlight: 1 });
  const size = fitExchange(exchange("e0", 1000), 1 << 20).data.byteLength;
  const byBytes = createPublisher({ publish, concurrency: 1, maxQueueBytes: 2 * size });
  for (let i = 0; i < 10; i++) byBytes.accept(exchange(`e${i}`, 1000));
  assert.equal(byBytes.stats().queued, 2);
  assert.equal(byBytes.stats().dropped, 7);
});

it("counts failed publishes and logs them at most once per interval", async () => {
  const warnings: unknown[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (obj) => warnings.push(obj), child: () => logger };
  let now = 0;
  const publisher = createPublisher({ publish: () => Promise.reject(new Error("no responders")), logger, clock: { now: () => now, wallNow: () => now }, failureLogIntervalMs: 1000 });
  for (let i = 0; i < 5; i++) publisher.accept(exchange(`e${i}`));
  await tick();
  now = 1500;
  publisher.accept(exchange("late"));
  await tick();
  assert.equal(publisher.stats().failed, 6);
  assert.equal(warnings.length, 2);
  assert.deepEqual(warnings[1], { failed: 5, totalFailed: 6, err: "no responders" });
  assert.equal(await publisher.close(100), true);
});

it("a publish that throws synchronously is a failure, not a crash", async () => {
  const publisher = createPublisher({
    publish: () => {
      throw new Error("closed");
    },
  });
  publisher.accept(exchange("e"));
  await tick();
  assert.equal(publisher.stats().failed, 1);
});

it("after close, exchanges are dropped; close waits for what is in flight", async () => {
  const { pending, publish } = manualPublish();
  const publisher = createPublisher({ publish });
  publisher.accept(exchange("e0"));
  const closing = publisher.close(1000);
  publisher.accept(exchange("e1"));
  assert.equal(publisher.stats().dropped, 1);
  pending[0]?.resolve();
  assert.equal(await closing, true);
  assert.equal(publisher.stats().published, 1);
});

it("fits an exchange to the message limit: the request body first, both marked truncated", () => {
  const small = fitExchange(exchange("s", 10, 10), 4096);
  assert.equal(small.shrunk, false);
  const big = fitExchange(exchange("b", 3000, 3000), 5000);
  assert.equal(big.shrunk, true);
  assert.ok(big.data.byteLength <= 5000, `${big.data.byteLength} bytes`);
  const decoded = decodeExchange(big.data);
  assert.ok(decoded.ok);
  const { request, response } = decoded.exchange;
  assert.equal(request.body?.byteLength, 3000, "the request body fits whole");
  assert.equal(request.bodyTruncated, false);
  assert.ok(!("error" in response));
  assert.equal(response.bodyTruncated, true);
  assert.ok((response.body?.byteLength ?? 0) > 0 && (response.body?.byteLength ?? 0) < 3000);
  assert.ok(response.body?.every((b) => b === 2), "its start");
  const tight = fitExchange(exchange("t", 3000, 3000), 1000);
  assert.ok(tight.data.byteLength <= 1000);
  const cut = decodeExchange(tight.data);
  assert.ok(cut.ok && cut.exchange.request.bodyTruncated && !("error" in cut.exchange.response) && cut.exchange.response.body === undefined);
});

it("rejects bad limits, naming each", () => {
  assert.throws(() => createPublisher({ publish: async () => {}, concurrency: 0, maxQueue: -1 }), (error: Error & { issues?: Array<{ location?: string }> }) => {
    assert.deepEqual(error.issues?.map((i) => i.location), ["maxQueue", "concurrency"]);
    return true;
  });
});
