// Ramping arrival rate (k6's ramping-arrival-rate): the rate moves linearly from one stage's
// target to the next, and item k is due when the integral of the rate reaches k.
import { z } from "zod";
import { formatDuration } from "../duration.js";
import { positiveDuration } from "../fields.js";
import { NO_PHASES, checkedCount, checkedIndex, lastAtOrBelow, requests, type LoadModel } from "./plan.js";

export interface RampStage {
  /** The rate reached at the end of the stage, requests per second. */
  readonly rate: number;
  readonly durationMs: number;
}

export interface RampLoadSpec {
  readonly model: "ramp";
  /** The rate at the start of the first stage. */
  readonly startRate: number;
  readonly stages: readonly RampStage[];
}

const stage = z
  .strictObject({
    rate: z.number().min(0, { error: "must be >= 0 (requests per second reached at the end of the stage)" }).describe("Rate reached at the end of the stage."),
    duration: positiveDuration("a stage needs time to ramp over").describe("How long the stage takes, e.g. 30s."),
  })
  .describe("Ramp linearly to `rate` over `duration`.");

export const ramp: LoadModel<RampLoadSpec> = {
  name: "ramp",
  implies: ["stages"],
  schema: z
    .strictObject({
      model: z.literal("ramp").optional().describe("Ramping arrival rate. Inferred when `stages` is set."),
      startRate: z.number().min(0, { error: "must be >= 0 (requests per second)" }).prefault(0).describe("Rate at the start, requests per second (default 0)."),
      stages: z
        .array(stage)
        .min(1, { error: "needs at least one stage, e.g. [{ rate: 100, duration: 30s }]" })
        .describe("Stages in order; the rate moves linearly to each stage's rate over its duration."),
    })
    .describe("Arrival rate ramping through stages.")
    .refine((d) => d.startRate > 0 || d.stages.some((s) => s.rate > 0), { error: "every rate is 0: nothing would be sent" })
    .transform((d): RampLoadSpec => ({
      model: "ramp",
      startRate: d.startRate,
      stages: d.stages.map((s) => ({ rate: s.rate, durationMs: s.duration })),
    })),
  toDocument: (spec) => ({
    model: "ramp",
    startRate: spec.startRate,
    stages: spec.stages.map((s) => ({ rate: s.rate, duration: formatDuration(s.durationMs) })),
  }),
  plan(spec, recording) {
    const count = checkedCount(recording);
    const stageCount = spec.stages.length;
    // Per stage: start instant, requests due before it, and the rate it starts from.
    const startMs = new Float64Array(stageCount);
    const before = new Float64Array(stageCount);
    const fromRate = new Float64Array(stageCount);
    let at = 0;
    let cumulative = 0;
    let rate = spec.startRate;
    spec.stages.forEach((s, k) => {
      startMs[k] = at;
      before[k] = cumulative;
      fromRate[k] = rate;
      cumulative += ((rate + s.rate) / 2) * (s.durationMs / 1000);
      at += s.durationMs;
      rate = s.rate;
    });
    const total = count === 0 ? 0 : Math.floor(cumulative + 1e-9);
    const dueMs = (i: number): number => {
      const k = lastAtOrBelow(before, checkedIndex(i, total));
      const s = spec.stages[k] as RampStage;
      const r0 = fromRate[k] as number;
      const x = i - (before[k] as number);
      if (x <= 0) return startMs[k] as number;
      // Solve r0·τ/1000 + (r1−r0)·τ²/(2000·D) = x for τ (ms); this form is stable when r1 ≈ r0.
      const a = (s.rate - r0) / (2000 * s.durationMs);
      const b = r0 / 1000;
      const tau = (2 * x) / (b + Math.sqrt(Math.max(0, b * b + 4 * a * x)));
      return (startMs[k] as number) + Math.min(tau, s.durationMs);
    };
    const stages = spec.stages.map((s) => `${s.rate}/s over ${formatDuration(s.durationMs)}`).join(", ");
    return {
      kind: "open",
      total,
      intendedOffsetMs: dueMs,
      recordingIndex: (i) => checkedIndex(i, total) % count,
      description: `ramp from ${spec.startRate}/s: ${stages} (${requests(total)})`,
      phases: NO_PHASES,
      phaseOf: () => -1,
    };
  },
};
