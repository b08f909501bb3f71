import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOAD_MODELS, createPlan, type LoadSpec, type OpenPlan, type RecordingTimeline } from "../src/index.js";

function timeline(offsets: readonly number[]): RecordingTimeline {
  return { count: offsets.length, offsetMs: (i) => offsets[i] ?? Number.NaN };
}

function openPlan(spec: LoadSpec, recording: RecordingTimeline): OpenPlan {
  const plan = createPlan(spec, recording);
  assert.equal(plan.kind, "open");
  return plan as OpenPlan;
}

function items(plan: OpenPlan): { due: number[]; sends: number[] } {
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
    const plan = openPlan({ model: "constant", rate: 4 }, timeline([0, 0, 0, 0, 0]));
    assert.equal(plan.total, 5);
    assert.deepEqual(items(plan), { due: [0, 250, 500, 750, 1000], sends: [0, 1, 2, 3, 4] });
    assert.equal(plan.description, "constant 4/s, each recorded request once (5 requests)");
  });

  it("with a duration loops the recording for floor(rate × seconds) requests", () => {
    const plan = openPlan({ model: "constant", rate: 1000, durationMs: 2000 }, timeline([0, 10, 20]));
    assert.equal(plan.total, 2000);
    assert.equal(plan.recordingIndex(0), 0);
    assert.equal(plan.recordingIndex(4), 1);
    assert.equal(plan.recordingIndex(1999), 1999 % 3);
    assert.equal(plan.intendedOffsetMs(1999), 1999);
    assert.equal(plan.description, "constant 1000/s for 2s (2000 requests)");
  });

  it("counts decimal rates exactly and rounds partial requests down", () => {
    assert.equal(openPlan({ model: "constant", rate: 0.3, durationMs: 10_000 }, timeline([0])).total, 3);
    assert.equal(openPlan({ model: "constant", rate: 3, durationMs: 1500 }, timeline([0])).total, 4);
    assert.equal(openPlan({ model: "constant", rate: 7, durationMs: 100 }, timeline([0])).total, 0);
  });

  it("schedules nothing from an empty recording", () => {
    const plan = openPlan({ model: "constant", rate: 10, durationMs: 1000 }, timeline([]));
    assert.equal(plan.total, 0);
    assert.equal(plan.description, "constant 10/s for 1s (0 requests)");
  });
});

describe("replay load", () => {
  it("keeps the recorded gaps, divided by speed", () => {
    const plan = openPlan({ model: "replay", speed: 2 }, timeline([1000, 1100, 1500, 4500]));
    assert.deepEqual(items(plan), { due: [0, 50, 250, 1750], sends: [0, 1, 2, 3] });
    assert.equal(plan.description, "replay at 2x (4 requests)");
  });

  it("cuts gaps longer than maxGap and counts out-of-order gaps as zero", () => {
    const plan = openPlan({ model: "replay", speed: 1, maxGapMs: 1000 }, timeline([0, 100, 50, 5050, 5060, 5000]));
    assert.deepEqual(items(plan).due, [0, 100, 100, 1100, 1110, 1110]);
    assert.equal(plan.description, "replay at 1x, gaps capped at 1s (6 requests)");
  });

  it("is non-decreasing whatever the recording", () => {
    const offsets = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 211) * 13);
    const { due } = items(openPlan({ model: "replay", speed: 1.5, maxGapMs: 700 }, timeline(offsets)));
    for (let i = 1; i < due.length; i++) assert.ok((due[i] ?? 0) >= (due[i - 1] ?? 0), `item ${i}`);
  });
});

describe("plans", () => {
  it("throw on items outside the plan", () => {
    const plan = openPlan({ model: "constant", rate: 1 }, timeline([0, 1]));
    assert.throws(() => plan.intendedOffsetMs(2), RangeError);
    assert.throws(() => plan.recordingIndex(-1), RangeError);
    assert.throws(() => plan.recordingIndex(0.5), RangeError);
  });

  it("come from the registry by model name", () => {
    assert.deepEqual(Object.keys(LOAD_MODELS), ["constant", "ramp", "steps", "replay", "closed"]);
    for (const [name, model] of Object.entries(LOAD_MODELS)) assert.equal(model.name, name);
    assert.equal((LOAD_MODELS.replay.plan({ model: "replay", speed: 1 }, timeline([0, 5])) as OpenPlan).intendedOffsetMs(1), 5);
  });
});

describe("ramp load", () => {
  it("ramps linearly: item k is due when the integral of the rate reaches k", () => {
    // 0 → 10/s over 2s: N(t) = 2.5·t², so item k is due at sqrt(k / 2.5) s; 10 requests in all.
    const plan = openPlan({ model: "ramp", startRate: 0, stages: [{ rate: 10, durationMs: 2000 }] }, timeline([0, 1, 2]));
    assert.equal(plan.total, 10);
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(plan.intendedOffsetMs(k) - Math.sqrt(k / 2.5) * 1000) < 1e-6, `item ${k}`);
    assert.equal(plan.recordingIndex(7), 1);
    assert.equal(plan.description, "ramp from 0/s: 10/s over 2s (10 requests)");
  });

  it("holds a flat stage at its rate and ramps down as well as up", () => {
    const plan = openPlan(
      { model: "ramp", startRate: 100, stages: [{ rate: 100, durationMs: 1000 }, { rate: 0, durationMs: 1000 }] },
      timeline([0]),
    );
    // 100 in the flat second, then 50 while ramping down: N(τ) = 100τ − 50τ².
    assert.equal(plan.total, 150);
    assert.equal(plan.intendedOffsetMs(0), 0);
    assert.ok(Math.abs(plan.intendedOffsetMs(99) - 990) < 1e-9);
    assert.equal(plan.intendedOffsetMs(100), 1000);
    const tau = (1 - Math.sqrt(1 - 25 / 50)) * 1000; // 100τ − 50τ² = 25
    assert.ok(Math.abs(plan.intendedOffsetMs(125) - (1000 + tau)) < 1e-6);
    const { due } = items(plan);
    for (let i = 1; i < due.length; i++) assert.ok((due[i] ?? 0) >= (due[i - 1] ?? 0), `item ${i}`);
  });
});

describe("steps load", () => {
  const spec = { model: "steps", startRate: 100, stepRate: 50, maxRate: 200, stepDurationMs: 2000, slo: { p99Ms: 100 } } as const;

  it("runs a constant-rate step per rate up to maxRate, each item in its step", () => {
    const plan = openPlan(spec, timeline([0, 0, 0]));
    assert.deepEqual(plan.phases, [
      { offeredRps: 100, startMs: 0, endMs: 2000 },
      { offeredRps: 150, startMs: 2000, endMs: 4000 },
      { offeredRps: 200, startMs: 4000, endMs: 6000 },
    ]);
    assert.equal(plan.total, 200 + 300 + 400);
    assert.equal(plan.phaseOf(199), 0);
    assert.equal(plan.phaseOf(200), 1);
    assert.equal(plan.intendedOffsetMs(200), 2000);
    assert.ok(Math.abs(plan.intendedOffsetMs(201) - (2000 + 1000 / 150)) < 1e-9);
    assert.equal(plan.phaseOf(899), 2);
    assert.equal(plan.intendedOffsetMs(899), 4000 + 399 * 5);
    assert.equal(plan.description, "steps 100/s to 200/s by 50/s every 2s, SLO p99 <= 100ms (3 steps, 900 requests at most)");
  });

  it("keeps decimal step rates exact", () => {
    const plan = openPlan({ ...spec, startRate: 0.1, stepRate: 0.2, maxRate: 0.5, stepDurationMs: 10_000 }, timeline([0]));
    assert.deepEqual(plan.phases.map((p) => p.offeredRps), [0.1, 0.3, 0.5]);
    assert.equal(plan.total, 1 + 3 + 5);
  });
});

describe("closed load", () => {
  it("plans fixed concurrency with no schedule", () => {
    const plan = createPlan({ model: "closed", connections: 64, durationMs: 30_000 }, timeline([0]));
    assert.deepEqual(plan, { kind: "closed", connections: 64, durationMs: 30_000, description: "closed 64 connection(s) per target for 30s", total: 0, phases: [] });
  });
});
