import assert from "node:assert/strict";
import { test } from "node:test";
import { NOT_JSON, parseJsonBody } from "../src/index.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test("objects and arrays are JSON whatever the content type", () => {
  assert.deepEqual(parseJsonBody(bytes('{"a":1}'), "text/plain"), { a: 1 });
  assert.deepEqual(parseJsonBody(bytes(' \n [1,2]'), undefined), [1, 2]);
  assert.deepEqual(parseJsonBody(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes("[3]")]), undefined), [3]);
});

test("scalars are JSON only with a json content type", () => {
  assert.equal(parseJsonBody(bytes("42"), "application/json; charset=utf-8"), 42);
  assert.equal(parseJsonBody(bytes('"x"'), "application/problem+JSON"), "x");
  assert.equal(parseJsonBody(bytes("42"), "text/plain"), NOT_JSON);
  assert.equal(parseJsonBody(bytes("42"), undefined), NOT_JSON);
});

test("invalid JSON or invalid UTF-8 is not JSON", () => {
  assert.equal(parseJsonBody(bytes("{nope"), "application/json"), NOT_JSON);
  assert.equal(parseJsonBody(new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]), "application/json"), NOT_JSON);
  assert.equal(parseJsonBody(bytes(""), "application/json"), NOT_JSON);
  assert.equal(parseJsonBody(bytes("<html>"), "text/html"), NOT_JSON);
});
