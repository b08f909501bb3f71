import assert from "node:assert/strict";
import { test } from "node:test";
import { formatKey, formatPath } from "../src/index.js";

test("identifier keys use dot notation, others are quoted and escaped", () => {
  assert.equal(formatKey("label"), ".label");
  assert.equal(formatKey("_x$1"), "._x$1");
  assert.equal(formatKey("odd key"), "['odd key']");
  assert.equal(formatKey("1st"), "['1st']");
  assert.equal(formatKey("a.b"), "['a.b']");
  assert.equal(formatKey("it's"), "['it\\'s']");
  assert.equal(formatKey("back\\slash"), "['back\\\\slash']");
  assert.equal(formatKey("line\nbreak"), "['line\\nbreak']");
  assert.equal(formatKey("\u0001"), "['\\u0001']");
  assert.equal(formatKey(""), "['']");
});

test("concrete paths keep indices, signature paths turn every index into [*]", () => {
  const segments = ["predictions", 3, "labels", 0, "odd key"];
  assert.equal(formatPath(segments, false), "$.predictions[3].labels[0]['odd key']");
  assert.equal(formatPath(segments, true), "$.predictions[*].labels[*]['odd key']");
  assert.equal(formatPath([], true), "$");
  assert.equal(formatPath([0, 1], false), "$[0][1]");
});
