import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidInputError } from "@parallax/protocol";
import { Comparator, validateCompareOptions } from "../src/index.js";
import { options } from "./fixtures.js";

test("valid options have no issues", () => {
  assert.deepEqual(validateCompareOptions(options({ ignore: ["$.a[*]", "$..t"], headers: ["content-type"], maxSignatures: 1, maxCombos: 1 })), []);
});

test("every problem is reported with the option's name", () => {
  const issues = validateCompareOptions({
    ignore: ["$.ok", "bad", "$["],
    tolerance: { absolute: -1, relative: Number.NaN },
    headers: ["x-a", "", "a b"],
    exemplars: 1.5,
    maxExemplarBodyBytes: -1,
    maxSignatures: 0,
    maxCombos: 2.5,
  });
  assert.deepEqual(
    issues.map((i) => i.location),
    ["ignore[1]", "ignore[2]", "tolerance.absolute", "tolerance.relative", "headers[1]", "headers[2]", "exemplars", "maxExemplarBodyBytes", "maxSignatures", "maxCombos"],
  );
  assert.equal(issues[2]?.message, "tolerance.absolute must be a finite number >= 0 (got -1)");
  assert.equal(issues[8]?.message, "maxSignatures must be an integer >= 1 (got 0)");
});

test("the comparator refuses invalid options with every issue", () => {
  assert.throws(
    () => new Comparator(options({ ignore: ["x"], exemplars: -1 })),
    (e: unknown) => e instanceof InvalidInputError && e.issues.length === 2 && e.issues[0]?.location === "ignore[0]" && e.issues[1]?.location === "exemplars",
  );
});
