import assert from "node:assert/strict";
import { it } from "node:test";
import { errors } from "undici";
import { upstreamErrorKind } from "../src/index.js";

it("names failures in the engine's words", () => {
  assert.equal(upstreamErrorKind(new errors.HeadersTimeoutError()), "timeout");
  assert.equal(upstreamErrorKind(new errors.BodyTimeoutError()), "timeout");
  assert.equal(upstreamErrorKind(new errors.ConnectTimeoutError()), "timeout");
  assert.equal(upstreamErrorKind(new errors.SocketError("other side closed")), "socket closed");
  assert.equal(upstreamErrorKind(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), "ECONNREFUSED");
  assert.equal(upstreamErrorKind(new TypeError("x")), "TypeError");
});
