import assert from "node:assert/strict";
import { it } from "node:test";
import { BoundedCapture } from "../src/index.js";

const bytes = (...values: number[]) => new Uint8Array(values);

it("keeps every byte up to the limit, across chunks", () => {
  const capture = new BoundedCapture(5);
  capture.add(bytes(1, 2));
  capture.add(bytes(3, 4, 5));
  assert.deepEqual(capture.bytes(), bytes(1, 2, 3, 4, 5));
  assert.equal(capture.truncated, false, "exactly the limit is not truncated");
  assert.equal(capture.size, 5);
});

it("keeps the start past the limit and counts the rest", () => {
  const capture = new BoundedCapture(3);
  capture.add(bytes(1, 2));
  capture.add(bytes(3, 4, 5));
  capture.add(bytes(6, 7));
  assert.deepEqual(capture.bytes(), bytes(1, 2, 3));
  assert.equal(capture.truncated, true);
  assert.equal(capture.size, 7);
});

it("returns a copy that owns its bytes, not a view of the chunk", () => {
  const chunk = new Uint8Array(1024).fill(9);
  const capture = new BoundedCapture(4);
  capture.add(chunk.subarray(10, 20));
  const kept = capture.bytes();
  assert.deepEqual(kept, bytes(9, 9, 9, 9));
  assert.equal(kept?.buffer.byteLength, 4, "only the captured bytes stay alive");
  chunk.fill(0);
  assert.deepEqual(kept, bytes(9, 9, 9, 9), "later writes to the chunk's memory do not reach the capture");
});

it("no body, an empty body and a zero limit", () => {
  assert.equal(new BoundedCapture(10).bytes(), undefined);
  const empty = new BoundedCapture(10);
  empty.add(new Uint8Array(0));
  assert.equal(empty.bytes(), undefined);
  assert.equal(empty.truncated, false);
  const zero = new BoundedCapture(0);
  zero.add(bytes(1));
  assert.equal(zero.bytes(), undefined);
  assert.equal(zero.truncated, true);
  assert.throws(() => new BoundedCapture(-1), RangeError);
});
