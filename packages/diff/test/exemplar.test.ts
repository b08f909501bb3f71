import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeBody } from "../src/index.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test("text bodies stay text, cut at a character boundary", () => {
  assert.deepEqual(encodeBody(bytes("hello"), 10), { body: "hello", truncated: false });
  assert.deepEqual(encodeBody(bytes("hello"), 5), { body: "hello", truncated: false });
  assert.deepEqual(encodeBody(bytes("hello"), 3), { body: "hel", truncated: true });
  // "é" is 2 bytes: a cut after its first byte drops it whole.
  assert.deepEqual(encodeBody(bytes("aé"), 2), { body: "a", truncated: true });
  // "😀" is 4 bytes.
  assert.deepEqual(encodeBody(bytes("ab😀"), 5), { body: "ab", truncated: true });
  assert.deepEqual(encodeBody(bytes("ab😀c"), 6), { body: "ab😀", truncated: true });
  assert.deepEqual(encodeBody(bytes("x"), 0), { body: "", truncated: true });
});

test("binary bodies, and text that looks like base64 form, are sent as base64", () => {
  assert.deepEqual(encodeBody(new Uint8Array([0xff, 0x00, 0x01]), 10), { body: "base64:/wAB", truncated: false });
  assert.deepEqual(encodeBody(new Uint8Array([0xff, 0x00, 0x01]), 2), { body: "base64:/wA=", truncated: true });
  assert.deepEqual(encodeBody(bytes("base64:abc"), 100), { body: "base64:YmFzZTY0OmFiYw==", truncated: false });
});
