import assert from "node:assert/strict";
import { it } from "node:test";
import type { RunResult, ThresholdResult } from "@parallax/protocol";
import { thresholdsText } from "../src/commands/shadow.js";

const threshold = (expression: string, observed: number | null, pass: boolean): ThresholdResult => ({
  expression,
  observed,
  limit: 0.01,
  pass,
  dimension: "ratio",
  ...(observed === null ? { reason: "not measured" } : {}),
});
const window = (...thresholds: ThresholdResult[]): Pick<RunResult, "verdict"> => ({ verdict: { pass: false, reasons: [], checks: [], warnings: [], thresholds } });

it("tells a window's thresholds apart: failed, passed, and not measured in an idle window (which is not failing)", () => {
  assert.equal(thresholdsText(window()), "");
  assert.equal(thresholdsText(window(threshold("diff.rate < 1%", 0, true), threshold("candidate.errors.rate < 1%", 0.5, false))), " · thresholds 1 of 2 failed");
  assert.equal(thresholdsText(window(threshold("diff.rate < 1%", 0, true))), " · thresholds all passed");
  assert.equal(thresholdsText(window(threshold("diff.rate < 1%", null, false), threshold("candidate.errors.rate < 1%", null, false))), " · thresholds not measured (nothing to measure in this window)");
  assert.equal(thresholdsText(window(threshold("diff.rate < 1%", 0, true), threshold("label.agreement > 99%", null, false))), " · thresholds all measured passed, 1 not measured");
});
