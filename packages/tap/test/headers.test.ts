import assert from "node:assert/strict";
import { it } from "node:test";
import { splitRequestHeaders, splitResponseHeaders } from "../src/headers.js";

const context = { preserveHost: false, remoteAddress: "::ffff:10.0.0.9", proto: "http" };

it("drops hop-by-hop headers and the ones Connection names, keeps the rest in order", () => {
  const { forward, captured } = splitRequestHeaders(
    ["Host", "a.example", "Connection", "close, X-Hop", "X-Hop", "1", "Transfer-Encoding", "chunked", "TE", "trailers", "Upgrade", "h2c", "Expect", "100-continue", "Proxy-Authorization", "x", "Accept", "*/*", "accept", "text/html"],
    context,
  );
  assert.deepEqual(forward, ["Accept", "*/*", "accept", "text/html", "x-forwarded-for", "10.0.0.9", "x-forwarded-proto", "http", "x-forwarded-host", "a.example"]);
  assert.deepEqual(captured, [["host", "a.example"], ["accept", "*/*"], ["accept", "text/html"]]);
});

it("appends to x-forwarded-for and keeps an earlier proxy's x-forwarded-proto and -host", () => {
  const { forward } = splitRequestHeaders(
    ["host", "a.example", "X-Forwarded-For", "1.1.1.1", "x-forwarded-for", "2.2.2.2", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "public.example"],
    { ...context, remoteAddress: "192.0.2.1" },
  );
  assert.deepEqual(forward, ["X-Forwarded-Proto", "https", "X-Forwarded-Host", "public.example", "x-forwarded-for", "1.1.1.1, 2.2.2.2, 192.0.2.1"]);
});

it("forwards the client's Host only when asked to", () => {
  assert.deepEqual(splitRequestHeaders(["Host", "a.example"], { ...context, preserveHost: true }).forward.slice(0, 2), ["Host", "a.example"]);
});

it("response headers: exact names, values and repeats; hop-by-hop dropped", () => {
  const raw = ["Set-Cookie", "a=1", "Connection", "keep-alive, X-Internal", "X-Internal", "secret-ish", "Keep-Alive", "timeout=5", "set-cookie", "b=2", "Transfer-Encoding", "chunked", "Content-Type", "text/plain"].map((s) => Buffer.from(s, "latin1"));
  const { forward, captured } = splitResponseHeaders(raw);
  assert.deepEqual(forward, ["Set-Cookie", "a=1", "set-cookie", "b=2", "Content-Type", "text/plain"]);
  assert.deepEqual(captured, [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["content-type", "text/plain"]]);
});
