import assert from "node:assert/strict";
import { it } from "node:test";
import { decodeExpected, decodeMessage, encodeMessage } from "../src/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);

it("round-trips a message through encode and decode", () => {
  const encoded = encodeMessage("parallax.v1.start", { runId: "r1", epoch: 1, startAt: 1700000000000 });
  const decoded = decodeMessage(encoded);
  assert.deepEqual(decoded, { ok: true, message: { type: "parallax.v1.start", runId: "r1", epoch: 1, startAt: 1700000000000 } });
});

it("reports, never throws, on garbage, unknown types and bad payloads", () => {
  assert.deepEqual(decodeMessage(bytes("{not json")), { ok: false, error: "not JSON" });
  assert.deepEqual(decodeMessage(bytes("[1]")), { ok: false, error: "no message type" });
  assert.deepEqual(decodeMessage(bytes('{"type":"parallax.v9.future"}')), { ok: false, error: "unknown message type parallax.v9.future", type: "parallax.v9.future" });
  const bad = decodeMessage(bytes('{"type":"parallax.v1.start","runId":"r","epoch":"one","startAt":1}'));
  assert.equal(bad.ok, false);
  assert.equal(bad.ok === false && bad.type, "parallax.v1.start");
});

it("decodeExpected insists on the expected types", () => {
  const ready = encodeMessage("parallax.v1.ready", { runId: "r", epoch: 1, agentId: "a", planned: 3 });
  const reply = decodeExpected(ready, "parallax.v1.ready", "parallax.v1.refused");
  assert.equal(reply.type === "parallax.v1.ready" && reply.planned, 3);
  assert.throws(() => decodeExpected(ready, "parallax.v1.refused"), /unexpected reply parallax.v1.ready/);
});
