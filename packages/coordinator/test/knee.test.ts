import assert from "node:assert/strict";
import { it } from "node:test";
import { findKnee, kneeIsLowerBound, kneeRatio, meetsSlo, type StepOutcome } from "../src/capacity/knee.js";

const pass = (offeredRps: number): StepOutcome => ({ offeredRps, sloMet: true, complete: true });
const fail = (offeredRps: number): StepOutcome => ({ offeredRps, sloMet: false, complete: true });
const cut = (offeredRps: number, sloMet: boolean): StepOutcome => ({ offeredRps, sloMet, complete: false });

it("finds the last passing rate before the first failure", () => {
  assert.equal(findKnee([pass(100), pass(200), pass(300), fail(400), fail(500)]), 300);
  assert.equal(findKnee([pass(100), pass(200), pass(300)]), 300);
});

it("does not count a pass after the first failure, when the queue is draining", () => {
  assert.equal(findKnee([pass(100), pass(200), fail(300), pass(400), pass(500)]), 200);
});

it("is null when the first step failed or there are no steps to judge", () => {
  assert.equal(findKnee([]), null);
  assert.equal(findKnee([fail(100), pass(200)]), null);
  assert.equal(findKnee([cut(100, true), cut(200, true)]), null);
});

it("skips incomplete steps, neither passing nor failing them", () => {
  assert.equal(findKnee([pass(100), cut(200, false), pass(300), fail(400)]), 300);
  assert.equal(findKnee([pass(100), pass(200), cut(300, true)]), 200);
  assert.equal(findKnee([cut(100, false), fail(200)]), null);
});

it("calls the knee a lower bound only when no complete step failed", () => {
  assert.equal(kneeIsLowerBound([pass(100), pass(200), pass(300)]), true);
  assert.equal(kneeIsLowerBound([pass(100), pass(200), cut(300, false)]), true, "a cut-short step proves nothing");
  assert.equal(kneeIsLowerBound([pass(100), pass(200), fail(300)]), false);
  assert.equal(kneeIsLowerBound([pass(100), fail(200), pass(300)]), false);
  assert.equal(kneeIsLowerBound([]), false);
  assert.equal(kneeIsLowerBound([cut(100, true)]), false, "no knee, so no bound");
});

it("takes the highest passing rate when steps do not ascend", () => {
  assert.equal(findKnee([pass(300), pass(100), pass(200), fail(400)]), 300);
});

it("meets the SLO at exactly its limits and not beyond them", () => {
  const slo = { p99Ms: 250, errorRate: 0.01 };
  assert.equal(meetsSlo({ p99Ms: 250, errorRate: 0.01, responses: 10 }, slo), true);
  assert.equal(meetsSlo({ p99Ms: 250.001, errorRate: 0, responses: 10 }, slo), false);
  assert.equal(meetsSlo({ p99Ms: 10, errorRate: 0.0101, responses: 10 }, slo), false);
});

it("checks only the limits that are set", () => {
  assert.equal(meetsSlo({ p99Ms: 9000, errorRate: 0, responses: 1 }, { errorRate: 0 }), true);
  assert.equal(meetsSlo({ p99Ms: 1, errorRate: 0.5, responses: 1 }, { p99Ms: 5 }), true);
  assert.equal(meetsSlo({ p99Ms: 9000, errorRate: 1, responses: 1 }, {}), true);
});

it("does not meet the SLO with no responses or an unmeasured value", () => {
  assert.equal(meetsSlo({ p99Ms: 0, errorRate: 0, responses: 0 }, { p99Ms: 250, errorRate: 0.01 }), false);
  assert.equal(meetsSlo({ p99Ms: 0, errorRate: 0, responses: 0 }, {}), false);
  assert.equal(meetsSlo({ p99Ms: Number.NaN, errorRate: 0, responses: 5 }, { p99Ms: 250 }), false);
});

it("divides the candidate's knee by production's, or says it cannot", () => {
  assert.equal(kneeRatio(400, 300), 0.75);
  assert.equal(kneeRatio(200, 500), 2.5);
  assert.equal(kneeRatio(null, 300), null);
  assert.equal(kneeRatio(400, null), null);
  assert.equal(kneeRatio(0, 300), null);
  assert.equal(kneeRatio(400, 0), 0);
});
