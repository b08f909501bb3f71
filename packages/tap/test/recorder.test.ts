import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { REDACTED, exchangeRequest, type CapturedExchange } from "@parallax/protocol";
import { parseJsonl } from "@parallax/recording";
import { createPublisher, createRecorder, startTap } from "../src/index.js";
import { collectingPublish, eventually, patternBytes, send, startUpstream } from "./support.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-tap-"));
});
after(() => rm(dir, { recursive: true, force: true }));

function exchange(id: string, capturedAtMs: number, request: Partial<CapturedExchange["request"]> = {}): CapturedExchange {
  return {
    id,
    capturedAtMs,
    latencyMicros: 1,
    request: { method: "GET", path: `/${id}`, headers: [["accept", "*/*"]], bodyTruncated: false, ...request },
    response: { status: 200, headers: [], bodyTruncated: false },
  };
}

it("writes one JSONL line per request, offsets from the first, that parseJsonl reads back", async () => {
  const file = join(dir, "unit.jsonl");
  const recorder = await createRecorder({ file });
  const exchanges = [
    exchange("a", 10_000),
    exchange("b", 10_250, { method: "POST", headers: [["content-type", "application/octet-stream"]], body: new Uint8Array(patternBytes(300)) }),
    exchange("c", 10_100, { method: "PUT", headers: [["content-type", "text/plain"]], body: new TextEncoder().encode("héllo") }),
  ];
  for (const e of exchanges) recorder.accept(e);
  recorder.accept(exchange("cut", 10_300, { body: new Uint8Array(5), bodyTruncated: true }));
  await recorder.close();
  assert.deepEqual(recorder.stats(), { written: 3, skipped: 1, dropped: 0 });
  const parsed = parseJsonl(await readFile(file, "utf8"), file);
  assert.deepEqual(parsed, [exchangeRequest(exchanges[0] as CapturedExchange, 0, 0), exchangeRequest(exchanges[1] as CapturedExchange, 1, 250), exchangeRequest(exchanges[2] as CapturedExchange, 2, 100)]);
});

it("refuses to overwrite an existing file", async () => {
  const file = join(dir, "exists.jsonl");
  await writeFile(file, "keep me\n");
  await assert.rejects(createRecorder({ file }), { code: "EEXIST" });
  assert.equal(await readFile(file, "utf8"), "keep me\n");
});

it("through the tap: the recording holds the same (redacted) requests the stream got", async () => {
  const upstream = await startUpstream();
  const file = join(dir, "tap.jsonl");
  const recorder = await createRecorder({ file });
  const { exchanges, publish } = collectingPublish();
  const publisher = createPublisher({ publish });
  const tap = await startTap({ upstream: upstream.url, sinks: [publisher, recorder] });
  try {
    await send(tap.url, "/echo?id=1&token=live", { headers: { authorization: "Bearer live" } });
    await send(tap.url, "/echo?id=2", { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.from('{"password":"live","n":1}') });
    await send(tap.url, "/echo?id=3", { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: patternBytes(2000) });
    await send(tap.url, "/echo?id=4", { headers: { "x-parallax-replay": "run" } });
    await eventually(() => exchanges.length === 3);
  } finally {
    await tap.close();
    await publisher.close(1000);
    await recorder.close();
    await upstream.close();
  }
  const recorded = parseJsonl(await readFile(file, "utf8"), file);
  assert.equal(recorded.length, 3);
  const byPath = new Map(exchanges.map((e) => [e.request.path, e]));
  for (const request of recorded) {
    const published = byPath.get(request.path);
    assert.ok(published, request.path);
    const { index: _i, offsetMs: _o, ...rest } = exchangeRequest(published, 0, 0);
    const { index: _j, offsetMs, ...got } = request;
    assert.deepEqual(got, rest);
    assert.ok(offsetMs >= 0);
  }
  const text = await readFile(file, "utf8");
  assert.ok(!text.includes("live"), "no secret in the file");
  assert.ok(text.includes(REDACTED));
});
