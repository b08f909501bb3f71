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
    thresholds: ["diff.rate <= 1%"],
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
        ["--rate, --speed", "--rate", "--max-error-rate"],
      );
      return true;
    },
  );
});

it("builds each load model from its flags, implied or named with --load", () => {
  assert.deepEqual(
    flagsToOverrides({ load: "steps", startRate: "100", stepRate: "50", maxRate: "400", stepDuration: "3s", sloP99: "100ms", sloErrorRate: "0.01" }).overrides,
    { load: { model: "steps", startRate: 100, stepRate: 50, maxRate: 400, stepDuration: "3s", slo: { p99: "100ms", errorRate: 0.01 } } },
  );
  assert.deepEqual(flagsToOverrides({ connections: "64", duration: "30s" }).overrides, { load: { model: "closed", connections: 64, duration: "30s" } });
  assert.deepEqual(flagsToOverrides({ stages: "100:30s, 500:1m", startRate: "10" }).overrides, {
    load: { model: "ramp", startRate: 10, stages: [{ rate: 100, duration: "30s" }, { rate: 500, duration: "1m" }] },
  });
  assert.equal(flagsToOverrides({ sloP99: "1s", load: "steps" }).sources["load.slo.p99"], "--slo-p99");
});

it("refuses flags of two load models and malformed stages, naming the flags", () => {
  const locations = (flags: Parameters<typeof flagsToOverrides>[0]) => {
    try {
      flagsToOverrides(flags);
    } catch (error) {
      assert.ok(error instanceof InvalidInputError);
      return error.issues.map((i) => `${i.location}: ${i.message}`);
    }
    return assert.fail("expected an error");
  };
  assert.deepEqual(locations({ connections: "8", stepRate: "5" }), [
    "--step-rate, --connections: these flags belong to different load models: --step-rate (steps) and --connections (closed); choose one, or name it with --load",
  ]);
  assert.deepEqual(locations({ stages: "100/30s" }), ['--stages: expected RATE:DURATION stages separated by commas (e.g. 100:30s,500:1m), got "100/30s"']);
});

it("reads --threshold, --abort, --endpoint and --compare; the --max-* shorthands join the expressions", () => {
  const { overrides } = flagsToOverrides({
    threshold: ["candidate.p99 < 1.1 * production.p99"],
    maxDiffRate: "0.005",
    abort: ["production.errors.rate > 5%"],
    endpoint: ["POST /v1/models/{model}:predict"],
    compare: ["label:$.predictions[*].label", "scores:$.predictions[*].scores:topK=3,tolerance=0.001", "tensor:$.outputs:abs=1e-5,rel=1e-3"],
    noiseMethod: "diffy",
  });
  assert.deepEqual(overrides, {
    thresholds: ["candidate.p99 < 1.1 * production.p99", "diff.rate <= 0.5%"],
    abort: ["production.errors.rate > 5%"],
    compare: {
      endpoints: ["POST /v1/models/{model}:predict"],
      noise: { method: "diffy" },
      rules: [
        { kind: "label", path: "$.predictions[*].label" },
        { kind: "scores", path: "$.predictions[*].scores", topK: 3, tolerance: 0.001 },
        { kind: "tensor", path: "$.outputs", tolerance: { absolute: 1e-5, relative: 1e-3 } },
      ],
    },
  });
  assert.throws(() => flagsToOverrides({ compare: ["labels:$.x"] }), /expected KIND:PATH\[:OPTIONS\] with KIND one of label, scores, tensor, drift/);
});
