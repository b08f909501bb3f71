import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { it } from "node:test";
import { HttpTarget, prepareRequest } from "../src/index.js";

it("connects only to the pinned addresses, whatever the name would resolve to", async () => {
  const server = createServer((req, res) => res.setHeader("content-type", "text/plain").setHeader("set-cookie", "s=live-secret").end(`host=${req.headers.host}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  // `.invalid` never resolves: the request can only succeed through the pinned address.
  const target = new HttpTarget({ name: "candidate", url: `http://pinned.invalid:${port}`, timeoutMs: 5000, keepHeaders: ["content-type", "set-cookie"], maxBodyBytes: 1024, addresses: ["127.0.0.1"] });
  const unpinned = new HttpTarget({ name: "candidate", url: `http://pinned.invalid:${port}`, timeoutMs: 5000, keepHeaders: [], maxBodyBytes: 1024 });
  try {
    const request = prepareRequest({ index: 0, offsetMs: 0, method: "GET", path: "/", headers: [] }, { runId: "r", allowUnsafeProduction: [] });
    const outcome = await target.send(request);
    assert.equal(outcome.ok && new TextDecoder().decode(outcome.body), `host=pinned.invalid:${port}`, "the Host header keeps the target's name");
    assert.deepEqual(outcome.ok && outcome.headers, { "content-type": "text/plain", "set-cookie": "[REDACTED]" }, "a credential header is kept as present, never its value");
    const failed = await unpinned.send(request);
    assert.equal(failed.ok, false);
    assert.equal(!failed.ok && failed.error, "ENOTFOUND");
  } finally {
    await Promise.all([target.close(), unpinned.close()]);
    await new Promise((resolve) => server.close(resolve));
  }
});

it("enforces a sub-second timeout precisely, whether the headers or the body are late", async () => {
  const server = createServer((req, res) => {
    if (req.url === "/slow-headers") setTimeout(() => res.end("late"), 400);
    else {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("start");
      setTimeout(() => res.end("end"), 400);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const target = new HttpTarget({ name: "candidate", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 100, keepHeaders: [], maxBodyBytes: 1024 });
  try {
    for (const path of ["/slow-headers", "/slow-body"]) {
      const started = performance.now();
      const outcome = await target.send({ index: 0, method: "GET", path, headers: [], body: undefined, endpoint: `GET ${path}`, heldBack: undefined, source: { index: 0, offsetMs: 0, method: "GET", path, headers: [] } });
      assert.deepEqual(outcome, { ok: false, error: "timeout" }, path);
      assert.ok(performance.now() - started < 350, `${path}: gave up after ${Math.round(performance.now() - started)} ms, not at 100 ms`);
    }
  } finally {
    await target.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
