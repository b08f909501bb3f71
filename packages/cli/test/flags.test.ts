import assert from "node:assert/strict";
import { it } from "node:test";
import { InvalidInputError } from "@parallax/protocol";
import { flagsToOverrides } from "../src/flags.js";

it("turns flags into a partial scenario, remembering each value's flag", () => {
  const { overrides, sources } = flagsToOverrides({
    traffic: "rec.har",
    production: "http://p",
    candidate: "http://c",
    rate: "500",
    duration: "2m",
    ignore: ["$.a", "$.b"],
    tolerance: "0.001",
    allowUnsafeProduction: ["POST /v1/*"],
    maxDiffRate: "0.01",
  });
  assert.deepEqual(overrides, {
    traffic: { file: "rec.har" },
    targets: { production: { url: "http://p" }, candidate: { url: "http://c" } },
    load: { model: "constant", rate: 500, duration: "2m" },
    compare: { ignore: ["$.a", "$.b"], tolerance: { absolute: 0.001, relative: 0 }, allowUnsafeProduction: ["POST /v1/*"] },
    thresholds: { maxDiffRate: 0.01 },
  });
  assert.equal(sources["load.rate"], "--rate");
  assert.equal(sources["targets.production.url"], "--production");
});

it("picks the replay model with --speed", () => {
  assert.deepEqual(flagsToOverrides({ speed: "2", maxGap: "1s" }).overrides, { load: { model: "replay", speed: 2, maxGap: "1s" } });
});

it("rejects non-numbers and --rate with --speed, naming the flags", () => {
  assert.throws(
    () => flagsToOverrides({ rate: "fast", speed: "2", maxErrorRate: "1%" }),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      assert.deepEqual(
        error.issues.map((i) => i.location),
        ["--rate/--speed", "--rate", "--max-error-rate"],
      );
      return true;
    },
  );
});
