import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchesUnsafeAllowance } from "../src/index.js";

describe("matchesUnsafeAllowance", () => {
  const rules = ["POST /v1/models/*:predict", "PUT /admin/**", "* /v2/health", "DELETE /a/**/b"];

  it("matches * within one segment only", () => {
    assert.equal(matchesUnsafeAllowance(rules, "POST", "/v1/models/resnet:predict"), true);
    assert.equal(matchesUnsafeAllowance(rules, "POST", "/v1/models/a/b:predict"), false);
    assert.equal(matchesUnsafeAllowance(rules, "POST", "/v1/models/resnet:explain"), false);
    assert.equal(matchesUnsafeAllowance(["POST /v1/models/*"], "POST", "/v1/models/resnet"), true);
    assert.equal(matchesUnsafeAllowance(["POST /v1/models/*"], "POST", "/v1/models/resnet/infer"), false);
  });

  it("matches ** across segments, including none", () => {
    assert.equal(matchesUnsafeAllowance(rules, "PUT", "/admin"), true);
    assert.equal(matchesUnsafeAllowance(rules, "PUT", "/admin/users/7/roles"), true);
    assert.equal(matchesUnsafeAllowance(rules, "PUT", "/administrator"), false);
    assert.equal(matchesUnsafeAllowance(rules, "DELETE", "/a/b"), true);
    assert.equal(matchesUnsafeAllowance(rules, "DELETE", "/a/x/y/b"), true);
    assert.equal(matchesUnsafeAllowance(rules, "DELETE", "/a/x/y/c"), false);
  });

  it("compares methods case-insensitively; * is any method", () => {
    assert.equal(matchesUnsafeAllowance(rules, "post", "/v1/models/m:predict"), true);
    assert.equal(matchesUnsafeAllowance(rules, "PATCH", "/v2/health"), true);
    assert.equal(matchesUnsafeAllowance(rules, "PATCH", "/v1/models/m:predict"), false);
    assert.equal(matchesUnsafeAllowance(["post /x"], "POST", "/x"), true);
  });

  it("treats the pattern literally apart from the globs and ignores a query string", () => {
    assert.equal(matchesUnsafeAllowance(["POST /a.b"], "POST", "/axb"), false);
    assert.equal(matchesUnsafeAllowance(["POST /a.b"], "POST", "/a.b"), true);
    assert.equal(matchesUnsafeAllowance(["POST /a"], "POST", "/a?x=1"), true);
  });

  it("allows nothing without rules, and nothing for a malformed rule", () => {
    assert.equal(matchesUnsafeAllowance([], "POST", "/"), false);
    assert.equal(matchesUnsafeAllowance(["/v1/*"], "POST", "/v1/x"), false);
    assert.equal(matchesUnsafeAllowance(["POST v1/*"], "POST", "v1/x"), false);
  });
});

it("never allows a path a proxy could normalise into another route", () => {
  const rules = ["POST /v1/**", "POST /v1/models/*:predict"];
  assert.equal(matchesUnsafeAllowance(rules, "POST", "/v1/models/m:predict"), true);
  for (const path of ["/v1/../admin/drop", "/v1/./x", "/v1/models/..%2F..%2Fadmin:predict", "/v1/%2e%2e/admin", "/v1/a\\..\\b", "/v1/.."]) {
    assert.equal(matchesUnsafeAllowance(rules, "POST", path), false, path);
  }
  assert.equal(matchesUnsafeAllowance(rules, "POST", "/v1/files/a..b"), true, "dots inside a segment are fine");
});
