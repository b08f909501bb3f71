import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOAD_MODELS, createPlan, type Plan, type RecordingTimeline } from "../src/index.js";

function timeline(offsets: readonly number[]): RecordingTimeline {
  return { count: offsets.length, offsetMs: (i) => offsets[i] ?? Number.NaN };
}

function items(plan: Plan): { due: number[]; sends: number[] } {
  const due: number[] = [];
  const sends: number[] = [];
  for (let i = 0; i < plan.total; i++) {
    due.push(plan.intendedOffsetMs(i));
    sends.push(plan.recordingIndex(i));
  }
  return { due, sends };
}

describe("constant load", () => {
  it("without a duration sends each recorded request once at i/rate", () => {
    const plan = createPlan({ model: "constant", rate: 4 }, timeline([0, 0, 0, 0, 0]));
    assert.equal(plan.total, 5);
    assert.deepEqual(items(plan), { due: [0, 250, 500, 750, 1000], sends: [0, 1, 2, 3, 4] });
    assert.equal(plan.description, "constant 4/s, each recorded request once (5 requests)");
  });

  it("with a duration loops the recording for floor(rate × seconds) requests", () => {
    const plan = createPlan({ model: "constant", rate: 1000, durationMs: 2000 }, timeline([0, 10, 20]));
    assert.equal(plan.total, 2000);
    assert.equal(plan.recordingIndex(0), 0);
    assert.equal(plan.recordingIndex(4), 1);
    assert.equal(plan.recordingIndex(1999), 1999 % 3);
    assert.equal(plan.intendedOffsetMs(1999), 1999);
    assert.equal(plan.description, "constant 1000/s for 2s (2000 requests)");
  });

  it("counts decimal rates exactly and rounds partial requests down", () => {
    assert.equal(createPlan({ model: "constant", rate: 0.3, durationMs: 10_000 }, timeline([0])).total, 3);
    assert.equal(createPlan({ model: "constant", rate: 3, durationMs: 1500 }, timeline([0])).total, 4);
    assert.equal(createPlan({ model: "constant", rate: 7, durationMs: 100 }, timeline([0])).total, 0);
  });

  it("schedules nothing from an empty recording", () => {
    const plan = createPlan({ model: "constant", rate: 10, durationMs: 1000 }, timeline([]));
    assert.equal(plan.total, 0);
    assert.equal(plan.description, "constant 10/s for 1s (0 requests)");
  });
});

describe("replay load", () => {
  it("keeps the recorded gaps, divided by speed", () => {
    const plan = createPlan({ model: "replay", speed: 2 }, timeline([1000, 1100, 1500, 4500]));
    assert.deepEqual(items(plan), { due: [0, 50, 250, 1750], sends: [0, 1, 2, 3] });
    assert.equal(plan.description, "replay at 2x (4 requests)");
  });

  it("cuts gaps longer than maxGap and counts out-of-order gaps as zero", () => {
    const plan = createPlan({ model: "replay", speed: 1, maxGapMs: 1000 }, timeline([0, 100, 50, 5050, 5060, 5000]));
    assert.deepEqual(items(plan).due, [0, 100, 100, 1100, 1110, 1110]);
    assert.equal(plan.description, "replay at 1x, gaps capped at 1s (6 requests)");
  });

  it("is non-decreasing whatever the recording", () => {
    const offsets = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 211) * 13);
    const { due } = items(createPlan({ model: "replay", speed: 1.5, maxGapMs: 700 }, timeline(offsets)));
    for (let i = 1; i < due.length; i++) assert.ok((due[i] ?? 0) >= (due[i - 1] ?? 0), `item ${i}`);
  });
});

describe("plans", () => {
  it("throw on items outside the plan", () => {
    const plan = createPlan({ model: "constant", rate: 1 }, timeline([0, 1]));
    assert.throws(() => plan.intendedOffsetMs(2), RangeError);
    assert.throws(() => plan.recordingIndex(-1), RangeError);
    assert.throws(() => plan.recordingIndex(0.5), RangeError);
  });

  it("come from the registry by model name", () => {
    assert.deepEqual(Object.keys(LOAD_MODELS), ["constant", "replay"]);
    assert.equal(LOAD_MODELS.constant.name, "constant");
    assert.equal(LOAD_MODELS.replay.name, "replay");
    assert.equal(LOAD_MODELS.replay.plan({ model: "replay", speed: 1 }, timeline([0, 5])).intendedOffsetMs(1), 5);
  });
});
