import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidInputError } from "@parallax/protocol";
import { Comparator, comparisonKey, ruleApplies, validateCompareOptions, type ScopedComparisonRule } from "../src/index.js";
import { options } from "./fixtures.js";

test("a rule's endpoint: absent is every endpoint; without a method any method; methods in any case", () => {
  assert.equal(ruleApplies(undefined, "GET /a"), true);
  assert.equal(ruleApplies("POST /v1/models/{id}:predict", "POST /v1/models/{id}:predict"), true);
  assert.equal(ruleApplies("post /v1/models/{id}:predict", "POST /v1/models/{id}:predict"), true);
  assert.equal(ruleApplies(" POST  /v1/models/{id}:predict ", "POST /v1/models/{id}:predict"), true);
  assert.equal(ruleApplies("GET /v1/models/{id}:predict", "POST /v1/models/{id}:predict"), false);
  assert.equal(ruleApplies("/v1/models/{id}:predict", "POST /v1/models/{id}:predict"), true);
  assert.equal(ruleApplies("/v1/models/{id}", "POST /v1/models/{id}:predict"), false);
  assert.equal(ruleApplies("/a", "GET /a/b"), false);
  assert.equal(comparisonKey(2, "GET /a"), "2\u001fGET /a");
});

test("rules are validated with the other options, each problem located under rules[i]", () => {
  const rules = [
    { kind: "label", path: "$.label", endpoint: "POST /v1/models/{id}:predict" },
    { kind: "scores", path: "scores", topK: 0 },
    { kind: "tensor", path: "$.outputs", endpoint: "not a template" },
    { kind: "drift", path: "$.x", endpoint: 3 },
    "label",
  ] as unknown as ScopedComparisonRule[];
  assert.deepEqual(
    validateCompareOptions(options({ rules })).map((i) => [i.location, i.message]),
    [
      ["rules[1].path", 'rules[1].path: path "scores" must start with "$"'],
      ["rules[1].topK", "rules[1].topK must be an integer from 1 to 10000 (got 0)"],
      ["rules[2].endpoint", 'rules[2].endpoint must be an endpoint template such as "POST /v1/models/{id}:predict" or "/users/{id}", or a gRPC service/Method (got "not a template")'],
      ["rules[3].endpoint", 'rules[3].endpoint must be an endpoint template such as "POST /v1/models/{id}:predict" or "/users/{id}", or a gRPC service/Method (got 3)'],
      ["rules[4]", 'rules[4] must be an object with kind and path (got "label")'],
    ],
  );
  assert.deepEqual(validateCompareOptions(options({ rules: [{ kind: "label", path: "$.l", endpoint: "/users/{id}" }] })), []);
  assert.deepEqual(validateCompareOptions(options({ rules: [{ kind: "tensor", path: "$.outputs", endpoint: "inference.GRPCInferenceService/ModelInfer" }] })), []);
  assert.throws(
    () => new Comparator(options({ rules })),
    (e: unknown) => e instanceof InvalidInputError && e.issues.length === 5,
  );
});
