import assert from "node:assert/strict";
import { it } from "node:test";
import { gzipSync } from "node:zlib";
import { REDACTED, type CapturedExchange, type CapturedResponse } from "@parallax/protocol";
import { createExchangeRedactor } from "../src/index.js";

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const R = encodeURIComponent(REDACTED);

function exchange(request: Partial<CapturedExchange["request"]>, response: Partial<CapturedResponse> | { error: string } = {}): CapturedExchange {
  return {
    id: "t-1",
    capturedAtMs: 1,
    latencyMicros: 10,
    request: { method: "POST", path: "/", headers: [], bodyTruncated: false, ...request },
    response: "error" in response ? response : { status: 200, headers: [], bodyTruncated: false, ...response },
  };
}

function redact(e: CapturedExchange, options = {}): CapturedExchange {
  const out = createExchangeRedactor(options).redact(e);
  assert.ok(out);
  return out;
}

it("redacts a request as a recording would: headers, query, JSON members, form fields; drops connection-level headers", () => {
  const json = redact(exchange({
    path: "/login?user=ada&token=t0k&sig=abc",
    headers: [["host", "a"], ["content-length", "40"], ["authorization", "Bearer x"], ["cookie", "s=1"], ["x-api-key", "k"], ["x-parallax-replay", "r"], ["referer", "https://a/?access_token=zz"], ["content-type", "application/json"]],
    body: text(JSON.stringify({ user: "ada", password: "pw", deep: [{ client_secret: "cs" }] })),
  }));
  assert.equal(json.request.path, `/login?user=ada&token=${R}&sig=${R}`);
  assert.deepEqual(json.request.headers, [["authorization", REDACTED], ["cookie", REDACTED], ["x-api-key", REDACTED], ["referer", `https://a/?access_token=${R}`], ["content-type", "application/json"]]);
  assert.deepEqual(JSON.parse(decode(json.request.body)), { user: "ada", password: REDACTED, deep: [{ client_secret: REDACTED }] });
  const form = redact(exchange({ headers: [["content-type", "application/x-www-form-urlencoded"]], body: text("user=ada&password=pw") }));
  assert.equal(decode(form.request.body), `user=ada&password=${R}`);
});

it("adds the caller's names to the defaults", () => {
  const out = redact(exchange({ path: "/?session=s1", headers: [["x-session", "v"]] }), { headers: ["X-Session"], query: ["session"] });
  assert.equal(out.request.path, `/?session=${R}`);
  assert.deepEqual(out.request.headers, [["x-session", REDACTED]]);
});

it("redacts a response: set-cookie and other secret headers, the query of location, JSON members", () => {
  const out = redact(exchange({}, {
    status: 302,
    headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["location", "/cb?code=1&access_token=zz#id_token=yy"], ["content-type", "application/vnd.api+json"]],
    body: text(JSON.stringify({ refresh_token: "rt", ok: true })),
  }));
  const response = out.response as CapturedResponse;
  assert.deepEqual(response.headers, [["set-cookie", REDACTED], ["set-cookie", REDACTED], ["location", `/cb?code=1&access_token=${R}#id_token=${R}`], ["content-type", "application/vnd.api+json"]]);
  assert.deepEqual(JSON.parse(decode(response.body)), { refresh_token: REDACTED, ok: true });
  assert.equal(response.bodyTruncated, false);
});

it("keeps bodies without secrets byte for byte, and binary bodies as they are", () => {
  const json = text('{ "a" : 1 }');
  const binary = new Uint8Array([0, 255, 1, 2]);
  const out = redact(exchange({ headers: [["content-type", "application/json"]], body: json }, { headers: [["content-type", "application/octet-stream"]], body: binary }));
  assert.deepEqual(out.request.body, json);
  assert.deepEqual((out.response as CapturedResponse).body, binary);
});

it("withholds what it cannot see into: a cut JSON body, an encoded body; keeps a cut form or text body's start", () => {
  const cutJson = redact(exchange({ headers: [["content-type", "application/json"]], body: text('{"password":"pw","x":'), bodyTruncated: true }));
  assert.equal(cutJson.request.body, undefined);
  assert.equal(cutJson.request.bodyTruncated, true);
  const gzip = redact(exchange({}, { headers: [["content-type", "text/plain"], ["content-encoding", "gzip"]], body: gzipSync("token=1") }));
  assert.equal((gzip.response as CapturedResponse).body, undefined);
  assert.equal((gzip.response as CapturedResponse).bodyTruncated, true);
  const cutForm = redact(exchange({ headers: [["content-type", "application/x-www-form-urlencoded"]], body: text("a=1&password=hun"), bodyTruncated: true }));
  assert.equal(decode(cutForm.request.body), `a=1&password=${R}`);
  assert.equal(cutForm.request.bodyTruncated, true);
  const cutText = redact(exchange({}, { headers: [["content-type", "text/plain"]], body: text("hello"), bodyTruncated: true }));
  assert.equal(decode((cutText.response as CapturedResponse).body), "hello");
});

it("leaves an error response as it is", () => {
  assert.deepEqual(redact(exchange({}, { error: "ECONNREFUSED" })).response, { error: "ECONNREFUSED" });
});

it("does not capture a request a recording could not hold", () => {
  assert.equal(createExchangeRedactor().redact(exchange({ path: "*" })), undefined);
});
