import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidInputError } from "@parallax/protocol";
import { COMPARISON_KINDS, COMPARISONS, createComparison, LabelComparison, TensorComparison, validateComparisonRule } from "../src/ml/index.js";

test("valid rules of every kind have no issues", () => {
  assert.deepEqual(validateComparisonRule({ kind: "label", path: "$.predictions[*].label", maxLabels: 5 }), []);
  assert.deepEqual(validateComparisonRule({ kind: "scores", path: "$.predictions[*].scores", topK: 3, tolerance: 0.01 }), []);
  assert.deepEqual(validateComparisonRule({ kind: "scores", path: "$.s", tolerance: { relative: 0.1 } }), []);
  assert.deepEqual(validateComparisonRule({ kind: "tensor", path: "$.outputs", tolerance: { absolute: 1e-6, relative: 1e-5 } }), []);
  assert.deepEqual(validateComparisonRule({ kind: "drift", path: "$..score" }), []);
  assert.deepEqual([...COMPARISON_KINDS].sort(), Object.keys(COMPARISONS).sort());
});

test("every problem is reported with its field", () => {
  const issues = validateComparisonRule({ kind: "scores", path: "scores", topK: 0, tolerance: { absolute: -1, rel: 0.1 }, maxLabels: 3 }, "compare.ml[1]");
  assert.deepEqual(
    issues.map((i) => i.location),
    ["compare.ml[1].path", "compare.ml[1].maxLabels", "compare.ml[1].topK", "compare.ml[1].tolerance.rel", "compare.ml[1].tolerance.absolute"],
  );
  assert.equal(issues[1]?.message, 'compare.ml[1].maxLabels: unknown option "maxLabels" for kind scores (allowed: kind, path, topK, tolerance)');
  assert.equal(issues[2]?.message, "compare.ml[1].topK must be an integer from 1 to 10000 (got 0)");
  assert.equal(issues[4]?.message, "compare.ml[1].tolerance.absolute must be a finite number >= 0 (got -1)");
});

test("kind, path and shape problems", () => {
  assert.deepEqual(
    validateComparisonRule({ kind: "histogram", path: 3 }).map((i) => [i.location, i.message]),
    [
      ["path", 'path must be a JSONPath string such as "$.predictions[*].label" (got 3)'],
      ["kind", 'kind must be one of label, scores, tensor, drift (got "histogram")'],
    ],
  );
  assert.deepEqual(validateComparisonRule("label"), [{ location: "rule", message: 'rule must be an object with kind and path (got "label")' }]);
  assert.deepEqual(
    validateComparisonRule({ kind: "label", path: "$.l", maxLabels: 1001 }).map((i) => i.message),
    ["maxLabels must be an integer from 1 to 1000 (got 1001)"],
  );
  assert.deepEqual(
    validateComparisonRule({ kind: "tensor", path: "$.o", tolerance: {} }).map((i) => i.message),
    ["tolerance must set absolute, relative or both"],
  );
  assert.deepEqual(
    validateComparisonRule({ kind: "drift", path: "$.x", tolerance: 1 }).map((i) => i.location),
    ["tolerance"],
  );
  assert.deepEqual(
    validateComparisonRule({ kind: "tensor", path: "$.o", tolerance: Number.POSITIVE_INFINITY }).map((i) => i.location),
    ["tolerance"],
  );
});

test("createComparison compiles by kind and refuses invalid rules with every issue", () => {
  assert.ok(createComparison({ kind: "label", path: "$.l" }) instanceof LabelComparison);
  assert.ok(createComparison({ kind: "tensor", path: "$.outputs" }) instanceof TensorComparison);
  assert.throws(
    () => createComparison({ kind: "scores", path: "x", topK: 1.5 }),
    (e: unknown) => e instanceof InvalidInputError && e.issues.map((i) => i.location).join() === "path,topK",
  );
});

test("merging states of different kinds is a bug that throws", () => {
  const label = createComparison({ kind: "label", path: "$.l" });
  const drift = createComparison({ kind: "drift", path: "$.x" });
  assert.throws(() => label.merge(label.createState(), drift.createState() as never), /cannot merge a drift state into a label comparison/);
});
