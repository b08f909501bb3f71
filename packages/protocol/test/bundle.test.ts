import assert from "node:assert/strict";
import { it } from "node:test";
import { decodeBundle, encodeBundle } from "../src/index.js";

it("verifies the digest before decoding", () => {
  const { bytes, digest } = encodeBundle({ scenario: { name: "s" }, recording: '{"method":"GET","url":"/"}\n' });
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.deepEqual(decodeBundle(bytes, digest), { scenario: { name: "s" }, recording: '{"method":"GET","url":"/"}\n' });
  const tampered = bytes.slice();
  tampered[tampered.length - 3] = 0x41;
  assert.throws(() => decodeBundle(tampered, digest), /digest mismatch/);
});
