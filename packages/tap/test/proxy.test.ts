import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { REDACTED, type CapturedExchange, type CapturedResponse } from "@parallax/protocol";
import { createPublisher, startTap, type Publisher, type Tap, type TapOptions } from "../src/index.js";
import { SECRET_JSON, collectingPublish, endToEndHeaders, eventually, headerValues, patternBytes, send, sha256, startUpstream, type Upstream } from "./support.js";

interface Rig {
  readonly upstream: Upstream;
  readonly tap: Tap;
  readonly publisher: Publisher;
  readonly exchanges: CapturedExchange[];
  close(): Promise<void>;
}

async function rig(options: Partial<TapOptions> = {}): Promise<Rig> {
  const upstream = await startUpstream();
  const { exchanges, publish } = collectingPublish();
  const publisher = createPublisher({ publish });
  const tap = await startTap({ upstream: upstream.url, sinks: [publisher], timeoutMs: 2000, ...options });
  return {
    upstream,
    tap,
    publisher,
    exchanges,
    close: async () => {
      await tap.close({ graceMs: 1000 });
      await publisher.close(1000);
      await upstream.close();
    },
  };
}

/** The one captured exchange of the request with this id. */
async function capturedFor(r: Rig, id: string): Promise<CapturedExchange> {
  await eventually(() => r.exchanges.some((e) => e.request.path.includes(`id=${id}`)));
  const found = r.exchanges.filter((e) => e.request.path.includes(`id=${id}`));
  assert.equal(found.length, 1, `exactly one exchange captured for ${id}`);
  return found[0] as CapturedExchange;
}

function okResponse(exchange: CapturedExchange): CapturedResponse {
  assert.ok(!("error" in exchange.response), `expected a response, got ${JSON.stringify(exchange.response)}`);
  return exchange.response;
}

describe("relaying production's answer", () => {
  let r: Rig;
  before(async () => {
    r = await rig({ maxBodyBytes: 64 * 1024 });
  });
  after(() => r.close());

  // [id, what it shows, path, method]
  const cases: ReadonlyArray<readonly [string, string, string, string?]> = [
    ["empty", "empty body", "/bytes?n=0"],
    ["small", "small binary body", "/bytes?n=300&seed=3"],
    ["big", "body over the capture limit (3 MiB)", "/bytes?n=3145728&seed=5"],
    ["chunked", "chunked body", "/chunked?n=100000&chunks=7"],
    ["cookies", "repeated set-cookie, mixed case, a reason phrase", "/cookies"],
    ["204", "204 without a body", "/status?code=204"],
    ["304", "304 without a body", "/status?code=304"],
    ["500", "500", "/status?code=500"],
    ["404", "404", "/nowhere"],
    ["redirect", "a redirect is relayed, not followed", "/secret"],
    ["head", "HEAD: headers of the body, no body", "/bytes?n=5000", "HEAD"],
  ];
  for (const [slug, name, path, method = "GET"] of cases) {
    it(`${name}: status, headers and body are production's, byte for byte; production gets it once`, async () => {
      const direct = await send(r.upstream.url, `${path}${path.includes("?") ? "&" : "?"}id=direct-${slug}`, { method });
      const id = `tap-${slug}`;
      const tapped = await send(r.tap.url, `${path}${path.includes("?") ? "&" : "?"}id=${id}`, { method });
      assert.equal(tapped.status, direct.status);
      assert.equal(tapped.statusMessage, direct.statusMessage);
      assert.deepEqual(endToEndHeaders(tapped.rawHeaders), endToEndHeaders(direct.rawHeaders));
      assert.equal(tapped.body.byteLength, direct.body.byteLength);
      assert.ok(tapped.body.equals(direct.body), "same body bytes");
      assert.ok(tapped.complete);
      assert.equal(r.upstream.received.get(id), 1, "production received it exactly once");
      const exchange = await capturedFor(r, id);
      const response = okResponse(exchange);
      assert.equal(response.status, direct.status);
      assert.equal(exchange.request.method, method);
    });
  }

  it("captures the start of a body over the limit, flagged truncated, and all of a smaller one", async () => {
    const big = okResponse(await capturedFor(r, "tap-big"));
    assert.equal(big.bodyTruncated, true);
    assert.ok(big.body !== undefined && Buffer.from(big.body).equals(patternBytes(64 * 1024, 5)), "the first 64 KiB");
    const small = okResponse(await capturedFor(r, "tap-small"));
    assert.equal(small.bodyTruncated, false);
    assert.ok(small.body !== undefined && Buffer.from(small.body).equals(patternBytes(300, 3)));
    const chunked = okResponse(await capturedFor(r, "tap-chunked"));
    assert.equal(chunked.bodyTruncated, true);
    assert.ok(chunked.body !== undefined && Buffer.from(chunked.body).equals(patternBytes(64 * 1024, 1)));
    const empty = okResponse(await capturedFor(r, "tap-empty"));
    assert.equal(empty.body, undefined);
    assert.equal(empty.bodyTruncated, false);
    const head = okResponse(await capturedFor(r, "tap-head"));
    assert.equal(head.body, undefined);
    assert.deepEqual(headerValues(head.headers, "content-length"), ["5000"]);
  });

  it("keeps repeated response headers, in order, but redacts set-cookie in the capture only", async () => {
    const tapped = await send(r.tap.url, "/cookies?id=cookie-client");
    assert.deepEqual(
      endToEndHeaders(tapped.rawHeaders).filter((_, i, all) => i % 2 === 0 && /set-cookie/i.test(all[i] as string)).length,
      2,
    );
    assert.ok(tapped.rawHeaders.includes("a=1; Path=/") && tapped.rawHeaders.includes("b=2; HttpOnly"), "the client gets production's cookies");
    assert.equal(tapped.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === "date").length, 1, "production's Date, none added by the tap");
    const response = okResponse(await capturedFor(r, "cookie-client"));
    assert.deepEqual(headerValues(response.headers, "set-cookie"), [REDACTED, REDACTED]);
    assert.deepEqual(headerValues(response.headers, "x-mixed-case"), ["One", "Two"]);
  });
});

describe("forwarding the client's request", () => {
  let r: Rig;
  before(async () => {
    r = await rig({ maxBodyBytes: 1000 });
  });
  after(() => r.close());

  it("sends the body through whole (content-length or chunked), once, and captures its start", async () => {
    const body = patternBytes(5000, 9);
    for (const [id, sent] of [
      ["upload-length", body],
      ["upload-chunked", [body.subarray(0, 1234), body.subarray(1234, 4000), body.subarray(4000)]],
    ] as const) {
      const response = await send(r.tap.url, `/echo?id=${id}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: sent });
      const echoed = JSON.parse(response.body.toString()) as { bodyLength: number; sha256: string; method: string };
      assert.equal(echoed.method, "POST");
      assert.equal(echoed.bodyLength, 5000, id);
      assert.equal(echoed.sha256, sha256(body), id);
      assert.equal(r.upstream.received.get(id), 1);
      const captured = await capturedFor(r, id);
      assert.equal(captured.request.bodyTruncated, true);
      assert.ok(captured.request.body !== undefined && Buffer.from(captured.request.body).equals(body.subarray(0, 1000)), `${id}: the first 1000 bytes`);
    }
  });

  it("drops hop-by-hop headers, sends the upstream's host, and adds x-forwarded-*", async () => {
    const response = await send(r.tap.url, "/echo?id=hop", {
      headers: ["Host", "shop.example", "Connection", "keep-alive, X-Private", "X-Private", "hop only", "Keep-Alive", "timeout=5", "TE", "trailers", "X-Forwarded-For", "203.0.113.7", "X-Custom", "kept", "Proxy-Authorization", "Basic cHJveHk6cGFzcw=="],
    });
    const seen = r.upstream.seen.get("hop");
    assert.ok(seen);
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const dropped of ["x-private", "keep-alive", "te", "proxy-authorization"]) assert.ok(!names.includes(dropped), `${dropped} is not forwarded`);
    const header = (name: string) => seen.rawHeaders[seen.rawHeaders.findIndex((n, i) => i % 2 === 0 && n.toLowerCase() === name) + 1];
    assert.equal(header("host"), new URL(r.upstream.url).host);
    assert.equal(header("x-forwarded-for"), "203.0.113.7, 127.0.0.1");
    assert.equal(header("x-forwarded-proto"), "http");
    assert.equal(header("x-forwarded-host"), "shop.example");
    assert.equal(header("x-custom"), "kept");
    assert.equal(response.status, 200);
    const captured = await capturedFor(r, "hop");
    assert.deepEqual(captured.request.headers, [["x-forwarded-for", "203.0.113.7"], ["x-custom", "kept"]], "the client's end-to-end headers, without what the tap added");
  });

  it("with preserveHost, production gets the client's Host", async () => {
    const other = await rig({ preserveHost: true });
    try {
      await send(other.tap.url, "/echo?id=preserve", { headers: { host: "shop.example" } });
      const seen = other.upstream.seen.get("preserve");
      assert.equal(seen?.rawHeaders[seen.rawHeaders.findIndex((n) => n.toLowerCase() === "host") + 1], "shop.example");
    } finally {
      await other.close();
    }
  });

  it("redacts secrets in the request and the response before publishing; the client still gets production's answer", async () => {
    const response = await send(r.tap.url, "/secret?id=secrets&token=live-query-token&page=2", {
      method: "POST",
      headers: { authorization: "Bearer live-auth", cookie: "sid=live-cookie", "x-api-key": "live-key", "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ password: "live-password", query: "shoes" })),
    });
    assert.equal(response.status, 302);
    assert.ok(response.rawHeaders.includes("session=live-session; HttpOnly"), "the client gets production's cookie");
    assert.deepEqual(JSON.parse(response.body.toString()), SECRET_JSON);
    const exchange = await capturedFor(r, "secrets");
    const { request } = exchange;
    assert.equal(request.path, `/secret?id=secrets&token=${encodeURIComponent(REDACTED)}&page=2`);
    assert.deepEqual(headerValues(request.headers, "authorization"), [REDACTED]);
    assert.deepEqual(headerValues(request.headers, "cookie"), [REDACTED]);
    assert.deepEqual(headerValues(request.headers, "x-api-key"), [REDACTED]);
    assert.deepEqual(JSON.parse(Buffer.from(request.body ?? []).toString()), { password: REDACTED, query: "shoes" });
    const captured = okResponse(exchange);
    assert.deepEqual(headerValues(captured.headers, "set-cookie"), [REDACTED]);
    assert.deepEqual(headerValues(captured.headers, "x-api-key"), [REDACTED]);
    assert.deepEqual(headerValues(captured.headers, "location"), [`/callback?code=abc&token=${encodeURIComponent(REDACTED)}`]);
    assert.deepEqual(JSON.parse(Buffer.from(captured.body ?? []).toString()), { user: "ada", access_token: REDACTED, nested: { password: REDACTED, keep: 1 } });
    const text = JSON.stringify(exchange, (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString() : v));
    for (const secret of ["live-query-token", "live-auth", "live-cookie", "live-key", "live-password", "live-token", "hunter2", "live-session", "live-location-token"]) {
      assert.ok(!text.includes(secret), `${secret} does not reach the stream`);
    }
  });

  it("withholds a JSON body cut at the limit and a gzip'd body (redaction cannot see into them)", async () => {
    const long = Buffer.from(JSON.stringify({ filler: "x".repeat(2000), password: "live-password" }));
    await send(r.tap.url, "/echo?id=long-json", { method: "POST", headers: { "content-type": "application/json" }, body: long });
    const cut = await capturedFor(r, "long-json");
    assert.equal(cut.request.body, undefined);
    assert.equal(cut.request.bodyTruncated, true);
    await send(r.tap.url, "/gzip?id=gzip");
    const gzip = okResponse(await capturedFor(r, "gzip"));
    assert.equal(gzip.body, undefined);
    assert.equal(gzip.bodyTruncated, true);
  });

  it("forwards a request carrying x-parallax-replay but does not capture it", async () => {
    const before = r.tap.stats();
    const response = await send(r.tap.url, "/bytes?n=10&id=replayed", { headers: { "x-parallax-replay": "run-1" } });
    assert.equal(response.status, 200);
    assert.equal(response.body.byteLength, 10);
    assert.equal(r.upstream.received.get("replayed"), 1);
    const seen = r.upstream.seen.get("replayed");
    assert.ok(seen?.rawHeaders.includes("run-1"), "the marker is passed on, so taps further down skip it too");
    // A captured request after it is published: the replayed one, had it been captured, would be there by then.
    await send(r.tap.url, "/bytes?n=1&id=after-replayed");
    await capturedFor(r, "after-replayed");
    assert.equal(r.exchanges.filter((e) => e.request.path.includes("id=replayed")).length, 0);
    const stats = r.tap.stats();
    assert.equal(stats.replaySkipped - before.replaySkipped, 1);
    assert.equal(stats.forwarded - before.forwarded, 2);
    assert.equal(stats.captured - before.captured, 1);
  });

  it("measures latency from arrival to the end of production's answer", async () => {
    await send(r.tap.url, "/delay?ms=150&id=slow");
    const exchange = await capturedFor(r, "slow");
    assert.ok(exchange.latencyMicros >= 150_000, `latency ${exchange.latencyMicros} µs`);
    assert.ok(Math.abs(exchange.capturedAtMs - Date.now()) < 60_000);
  });
});

describe("when production fails", () => {
  it("unreachable: 502 to the client, {error} captured", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { exchanges, publish } = collectingPublish();
    const publisher = createPublisher({ publish });
    const tap = await startTap({ upstream: `http://127.0.0.1:${port}`, sinks: [publisher], timeoutMs: 2000 });
    try {
      const response = await send(tap.url, "/x?id=down", { method: "POST", body: Buffer.from("payload") });
      assert.equal(response.status, 502);
      assert.match(response.body.toString(), /ECONNREFUSED/);
      await eventually(() => exchanges.length === 1);
      assert.deepEqual(exchanges[0]?.response, { error: "ECONNREFUSED" });
      assert.equal(exchanges[0]?.request.path, "/x?id=down");
      assert.equal(tap.stats().upstreamErrors, 1);
    } finally {
      await tap.close();
      await publisher.close(1000);
    }
  });

  it("no answer in time: 504, {error: timeout}, and production saw the request once (no retry)", async () => {
    const r = await rig({ timeoutMs: 200 });
    try {
      const response = await send(r.tap.url, "/stall-headers?id=stall", { method: "GET" });
      assert.equal(response.status, 504);
      assert.equal(r.upstream.received.get("stall"), 1);
      assert.deepEqual((await capturedFor(r, "stall")).response, { error: "timeout" });
      // Long enough for any retry to have arrived.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(r.upstream.received.get("stall"), 1);
    } finally {
      await r.close();
    }
  });

  it("answer broken off mid-body: the client gets a cut response, {error} is captured, no retry", async () => {
    const r = await rig({ timeoutMs: 200 });
    try {
      for (const [id, path] of [["stalled-body", "/stall-body"], ["broken-body", "/break-body"]] as const) {
        const response = await send(r.tap.url, `${path}?id=${id}`);
        assert.equal(response.status, 200);
        assert.equal(response.complete, false, `${id}: the client sees the answer cut off`);
        assert.ok(response.body.byteLength <= 50);
        const exchange = await capturedFor(r, id);
        assert.ok("error" in exchange.response, `${id}: ${JSON.stringify(exchange.response)}`);
        assert.equal(r.upstream.received.get(id), 1);
      }
      assert.deepEqual((await capturedFor(r, "stalled-body")).response, { error: "timeout" });
      assert.equal(r.tap.stats().upstreamErrors, 2);
    } finally {
      await r.close();
    }
  });

  it("5xx is production's answer: relayed and captured as is, sent once", async () => {
    const r = await rig();
    try {
      const response = await send(r.tap.url, "/status?code=503&id=unavailable", { method: "POST", body: Buffer.from("x") });
      assert.equal(response.status, 503);
      assert.equal(r.upstream.received.get("unavailable"), 1);
      assert.equal(okResponse(await capturedFor(r, "unavailable")).status, 503);
    } finally {
      await r.close();
    }
  });
});

describe("when the client goes away", () => {
  it("aborts the request to production and publishes nothing", async () => {
    const r = await rig();
    try {
      const controller = new AbortController();
      const pending = send(r.tap.url, "/delay?ms=400&id=abandoned", { signal: controller.signal }).then(
        () => "answered",
        () => "aborted",
      );
      await eventually(() => r.upstream.received.get("abandoned") === 1 || r.tap.stats().inFlight === 1);
      setTimeout(() => controller.abort(), 50);
      assert.equal(await pending, "aborted");
      await eventually(() => r.tap.stats().aborted === 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(r.exchanges.length, 0);
      assert.equal(r.tap.stats().captured, 0);
      assert.equal(r.upstream.received.get("abandoned") ?? 0, 1);
    } finally {
      await r.close();
    }
  });
});

describe("when the client breaks off its upload", () => {
  it("production's request is cut too, nothing is published, and it is not counted as production's failure", async () => {
    const r = await rig();
    try {
      const { request } = await import("node:http");
      const req = request(`${r.tap.url}/echo?id=upload-cut`, { method: "POST", headers: { "content-length": "100000" }, agent: false });
      req.on("error", () => {});
      req.write(Buffer.alloc(1000));
      await eventually(() => r.tap.stats().inFlight === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      req.destroy();
      await eventually(() => r.tap.stats().aborted === 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(r.tap.stats().upstreamErrors, 0);
      assert.equal(r.tap.stats().inFlight, 0);
      assert.equal(r.exchanges.length, 0);
      assert.equal(r.upstream.received.get("upload-cut"), undefined, "production never got a complete request");
    } finally {
      await r.close();
    }
  });
});

describe("publishing never holds up the client", () => {
  it("a stalled stream fills the queue; later exchanges are dropped and counted, every response arrives", async () => {
    const upstream = await startUpstream();
    let calls = 0;
    // The stream never acknowledges.
    const publisher = createPublisher({ publish: () => (calls++, new Promise<void>(() => {})), concurrency: 1, maxQueue: 1 });
    const tap = await startTap({ upstream: upstream.url, sinks: [publisher] });
    try {
      for (let i = 0; i < 20; i++) {
        const response = await send(tap.url, `/bytes?n=100&id=q${i}`);
        assert.equal(response.status, 200);
        assert.equal(response.body.byteLength, 100);
      }
      await eventually(() => publisher.stats().offered === 20);
      assert.deepEqual(publisher.stats(), { offered: 20, published: 0, dropped: 18, failed: 0, shrunk: 0, queued: 1, inFlight: 1 });
      assert.equal(calls, 1);
    } finally {
      await tap.close();
      assert.equal(await publisher.close(50), false, "close gives up on a stream that never answers");
      await upstream.close();
    }
  });
});

describe("closing", () => {
  it("stops accepting, lets an in-flight exchange finish and hands it on", async () => {
    const r = await rig();
    const pending = send(r.tap.url, "/delay?ms=200&id=in-flight");
    await eventually(() => r.tap.stats().inFlight === 1);
    const closing = r.tap.close({ graceMs: 2000 });
    const response = await pending;
    await closing;
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), "late\n");
    assert.equal(r.tap.stats().captured, 1);
    assert.equal(await r.publisher.close(1000), true);
    assert.equal(r.exchanges.length, 1);
    await assert.rejects(send(r.tap.url, "/bytes?n=1"), "no longer accepting");
    await r.upstream.close();
  });

  it("cuts exchanges still running when the grace period ends", async () => {
    const r = await rig({ timeoutMs: 5000 });
    const pending = send(r.tap.url, "/stall-headers?id=stuck").then(
      () => "answered",
      () => "cut",
    );
    await eventually(() => r.tap.stats().inFlight === 1);
    await r.tap.close({ graceMs: 100 });
    assert.equal(await pending, "cut");
    assert.equal(r.tap.stats().aborted, 1);
    assert.equal(r.tap.stats().inFlight, 0);
    await r.publisher.close(100);
    await r.upstream.close();
  });
});

describe("options", () => {
  it("rejects a bad upstream and limits, naming each", async () => {
    await assert.rejects(startTap({ upstream: "ftp://x", maxBodyBytes: -1, timeoutMs: 0 }), (error: Error & { issues?: Array<{ location?: string }> }) => {
      assert.deepEqual(error.issues?.map((i) => i.location), ["upstream", "maxBodyBytes", "timeoutMs"]);
      return true;
    });
  });
});
