import assert from "node:assert/strict";
import { test } from "node:test";
import { IgnoreMatcher, parseIgnorePattern } from "../src/index.js";

test("parses every supported step", () => {
  assert.deepEqual(parseIgnorePattern("$"), { ok: true, steps: [] });
  assert.deepEqual(parseIgnorePattern("$.predictions[*].id"), {
    ok: true,
    steps: [
      { kind: "key", key: "predictions", descendant: false },
      { kind: "any", descendant: false },
      { kind: "key", key: "id", descendant: false },
    ],
  });
  assert.deepEqual(parseIgnorePattern(`$['odd key']["it's"][12].*`), {
    ok: true,
    steps: [
      { kind: "key", key: "odd key", descendant: false },
      { kind: "key", key: "it's", descendant: false },
      { kind: "index", index: 12, descendant: false },
      { kind: "any", descendant: false },
    ],
  });
  assert.deepEqual(parseIgnorePattern("$..id..[0]..*"), {
    ok: true,
    steps: [
      { kind: "key", key: "id", descendant: true },
      { kind: "index", index: 0, descendant: true },
      { kind: "any", descendant: true },
    ],
  });
  assert.deepEqual(parseIgnorePattern("$['a\\'b\\u0041']"), { ok: true, steps: [{ kind: "key", key: "a'bA", descendant: false }] });
});

test("rejects malformed patterns with the position", () => {
  assert.deepEqual(parseIgnorePattern("predictions"), { ok: false, message: 'ignore pattern "predictions" must start with "$"' });
  assert.deepEqual(parseIgnorePattern("$."), { ok: false, message: `ignore pattern "$." at 2: expected a name after '.'` });
  assert.deepEqual(parseIgnorePattern("$[x]"), { ok: false, message: `ignore pattern "$[x]" at 2: expected *, an index or a quoted name after '['` });
  assert.deepEqual(parseIgnorePattern("$[1"), { ok: false, message: `ignore pattern "$[1" at 3: expected ']'` });
  assert.deepEqual(parseIgnorePattern("$['a"), { ok: false, message: `ignore pattern "$['a" at 4: unterminated quoted name` });
  assert.deepEqual(parseIgnorePattern("$a"), { ok: false, message: `ignore pattern "$a" at 1: unexpected 'a'` });
  assert.deepEqual(parseIgnorePattern("$..."), { ok: false, message: `ignore pattern "$..." at 3: expected a name after '..'` });
});

test("matches exact paths: wildcards, exact indices, keys never match indices", () => {
  const m = new IgnoreMatcher(["$.predictions[*].id", "$.items[2]", "$['odd key'].x"]);
  assert.equal(m.matches(["predictions", 3, "id"]), true);
  assert.equal(m.matches(["predictions", "k", "id"]), true, "[*] matches any child, as in JSONPath");
  assert.equal(m.matches(["predictions", 3, "label"]), false);
  assert.equal(m.matches(["predictions", 3]), false);
  assert.equal(m.matches(["items", 2]), true);
  assert.equal(m.matches(["items", 1]), false);
  assert.equal(m.matches(["items", "2"]), false, "[2] is an index, not the key '2'");
  assert.equal(m.matches(["odd key", "x"]), true);
  assert.equal(m.ignoresRoot, false);
  assert.equal(m.isEmpty, false);
});

test("descendant steps skip any number of levels, including none", () => {
  const m = new IgnoreMatcher(["$..timestamp", "$.meta..[0]"]);
  assert.equal(m.matches(["timestamp"]), true);
  assert.equal(m.matches(["a", 4, "b", "timestamp"]), true);
  assert.equal(m.matches(["a", "timestamps"]), false);
  assert.equal(m.matches(["meta", 0]), true);
  assert.equal(m.matches(["meta", "x", "y", 0]), true);
  assert.equal(m.matches(["other", 0]), false);
});

test("$ ignores the root; an empty list ignores nothing", () => {
  assert.equal(new IgnoreMatcher(["$"]).ignoresRoot, true);
  const none = new IgnoreMatcher([]);
  assert.equal(none.isEmpty, true);
  assert.equal(none.matches([]), false);
  assert.throws(() => new IgnoreMatcher(["nope"]), /must start with/);
});
