import assert from "node:assert/strict";
import { it } from "node:test";
import { subjectMatches } from "../src/index.js";

it("matches NATS wildcards", () => {
  assert.equal(subjectMatches("a.b", "a.b"), true);
  assert.equal(subjectMatches("a.*", "a.b"), true);
  assert.equal(subjectMatches("a.*", "a.b.c"), false);
  assert.equal(subjectMatches("a.>", "a.b.c"), true);
  assert.equal(subjectMatches("a.>", "a"), false);
  assert.equal(subjectMatches("a.b.c", "a.b"), false);
  assert.equal(subjectMatches("*.b", "x.b"), true);
});
