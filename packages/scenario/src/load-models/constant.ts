import { z } from "zod";
import { formatDuration } from "../duration.js";
import { positiveDuration } from "../fields.js";
import { NO_PHASES, checkedCount, checkedIndex, requests, wholeRequests, type LoadModel } from "./plan.js";

export interface ConstantLoadSpec {
  readonly model: "constant";
  readonly rate: number;
  readonly durationMs?: number;
}

/** Requests per second when a scenario says nothing about load. */
export const DEFAULT_RATE = 100;

export const rate = (what: string) => z.number().positive({ error: `must be > 0 (${what})` });

export const constant: LoadModel<ConstantLoadSpec> = {
  name: "constant",
  implies: ["rate"],
  schema: z
    .strictObject({
      model: z.literal("constant").optional().describe("Fixed arrival rate (open model). Inferred when `rate` or `duration` is set."),
      rate: rate("requests per second").prefault(DEFAULT_RATE).describe("Requests per second, > 0."),
      duration: positiveDuration("leave duration out to send each recorded request once")
        .optional()
        .describe("How long to run, e.g. 2m; the recording loops to fill it. Without it each recorded request is sent exactly once."),
    })
    .describe("Constant arrival rate.")
    .transform((d): ConstantLoadSpec => ({
      model: "constant",
      rate: d.rate,
      ...(d.duration === undefined ? {} : { durationMs: d.duration }),
    })),
  toDocument: (spec) => ({
    model: "constant",
    rate: spec.rate,
    ...(spec.durationMs === undefined ? {} : { duration: formatDuration(spec.durationMs) }),
  }),
  plan(spec, recording) {
    const count = checkedCount(recording);
    const perItemMs = 1000 / spec.rate;
    const looped = spec.durationMs !== undefined;
    const total = !looped ? count : count === 0 ? 0 : wholeRequests(spec.rate, spec.durationMs ?? 0);
    return {
      kind: "open",
      total,
      intendedOffsetMs: (i) => checkedIndex(i, total) * perItemMs,
      recordingIndex: (i) => checkedIndex(i, total) % count,
      description: looped
        ? `constant ${spec.rate}/s for ${formatDuration(spec.durationMs ?? 0)} (${requests(total)})`
        : `constant ${spec.rate}/s, each recorded request once (${requests(count)})`,
      phases: NO_PHASES,
      phaseOf: () => -1,
    };
  },
};
