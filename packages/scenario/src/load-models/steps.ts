// Step load for capacity planning: constant-rate steps of rising rate, each judged against an
// SLO; the run stops early once every target has broken it (the coordinator decides).
import { z } from "zod";
import { formatDuration } from "../duration.js";
import { positiveDuration } from "../fields.js";
import { checkedCount, checkedIndex, lastAtOrBelow, requests, wholeRequests, type LoadModel, type Phase } from "./plan.js";

export interface Slo {
  /** A step meets the SLO when its p99 latency (from the intended send time) is at most this. */
  readonly p99Ms?: number;
  /** ...and its error rate (errors / requests) is at most this, 0..1. */
  readonly errorRate?: number;
}

export interface StepsLoadSpec {
  readonly model: "steps";
  readonly startRate: number;
  readonly stepRate: number;
  readonly maxRate: number;
  readonly stepDurationMs: number;
  readonly slo: Slo;
}

/** More steps than this is a typo, not a capacity test. */
export const MAX_STEPS = 1000;

const perSecond = (what: string) => z.number().positive({ error: `must be > 0 (${what})` });

export const steps: LoadModel<StepsLoadSpec> = {
  name: "steps",
  implies: ["stepRate", "maxRate", "stepDuration", "slo"],
  schema: z
    .strictObject({
      model: z.literal("steps").optional().describe("Step load for capacity planning. Inferred when stepRate, maxRate, stepDuration or slo is set."),
      startRate: perSecond("requests per second of the first step").describe("Rate of the first step, requests per second."),
      stepRate: perSecond("requests per second added at each step").describe("Added to the rate at each step."),
      maxRate: perSecond("requests per second of the last step").describe("Rate of the last step (at most)."),
      stepDuration: positiveDuration("each step needs time to measure").describe("How long each step lasts, e.g. 30s."),
      slo: z
        .strictObject({
          p99: positiveDuration("a latency bound, e.g. 100ms").optional().describe("Highest p99 latency a step may show, e.g. 100ms."),
          errorRate: z
            .number()
            .min(0, { error: "must be between 0 and 1 (a share of requests)" })
            .max(1, { error: "must be between 0 and 1 (a share of requests)" })
            .optional()
            .describe("Highest share of errors a step may show, 0..1."),
        })
        .refine((s) => s.p99 !== undefined || s.errorRate !== undefined, { error: "needs p99, errorRate or both (what a step must meet)" })
        .describe("What a step must meet, per target: the knee is the highest rate that met it."),
    })
    .describe("Steps of rising constant rate, each judged against the SLO.")
    .refine((d) => d.maxRate >= d.startRate, { error: "maxRate must be >= startRate", path: ["maxRate"] })
    .refine((d) => Math.floor((d.maxRate - d.startRate) / d.stepRate + 1e-9) + 1 <= MAX_STEPS, {
      error: `more than ${MAX_STEPS} steps: raise stepRate or lower maxRate`,
      path: ["stepRate"],
    })
    .transform((d): StepsLoadSpec => ({
      model: "steps",
      startRate: d.startRate,
      stepRate: d.stepRate,
      maxRate: d.maxRate,
      stepDurationMs: d.stepDuration,
      slo: { ...(d.slo.p99 === undefined ? {} : { p99Ms: d.slo.p99 }), ...(d.slo.errorRate === undefined ? {} : { errorRate: d.slo.errorRate }) },
    })),
  toDocument: (spec) => ({
    model: "steps",
    startRate: spec.startRate,
    stepRate: spec.stepRate,
    maxRate: spec.maxRate,
    stepDuration: formatDuration(spec.stepDurationMs),
    slo: {
      ...(spec.slo.p99Ms === undefined ? {} : { p99: formatDuration(spec.slo.p99Ms) }),
      ...(spec.slo.errorRate === undefined ? {} : { errorRate: spec.slo.errorRate }),
    },
  }),
  plan(spec, recording) {
    const count = checkedCount(recording);
    const stepCount = Math.floor((spec.maxRate - spec.startRate) / spec.stepRate + 1e-9) + 1;
    const phases: Phase[] = [];
    const firstItem = new Float64Array(stepCount);
    let total = 0;
    for (let k = 0; k < stepCount; k++) {
      // Rates as startRate + k·stepRate, rounded to the rate's own precision (0.1 + 0.2 stays 0.3).
      const offeredRps = Number((spec.startRate + k * spec.stepRate).toPrecision(12));
      const startMs = k * spec.stepDurationMs;
      phases.push({ offeredRps, startMs, endMs: startMs + spec.stepDurationMs });
      firstItem[k] = total;
      total += count === 0 ? 0 : wholeRequests(offeredRps, spec.stepDurationMs);
    }
    const phaseOf = (i: number) => lastAtOrBelow(firstItem, checkedIndex(i, total));
    const slo = [spec.slo.p99Ms === undefined ? "" : `p99 <= ${formatDuration(spec.slo.p99Ms)}`, spec.slo.errorRate === undefined ? "" : `errors <= ${spec.slo.errorRate * 100}%`]
      .filter(Boolean)
      .join(", ");
    return {
      kind: "open",
      total,
      intendedOffsetMs(i) {
        const k = phaseOf(i);
        const phase = phases[k] as Phase;
        return phase.startMs + ((i - (firstItem[k] as number)) * 1000) / phase.offeredRps;
      },
      recordingIndex: (i) => checkedIndex(i, total) % count,
      description: `steps ${spec.startRate}/s to ${spec.maxRate}/s by ${spec.stepRate}/s every ${formatDuration(spec.stepDurationMs)}, SLO ${slo} (${stepCount} steps, ${requests(total)} at most)`,
      phases,
      phaseOf,
    };
  },
};
