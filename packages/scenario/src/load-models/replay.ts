import { z } from "zod";
import { formatDuration } from "../duration.js";
import { duration } from "../fields.js";
import { NO_PHASES, checkedCount, checkedIndex, requests, type LoadModel } from "./plan.js";

export interface ReplayLoadSpec {
  readonly model: "replay";
  readonly speed: number;
  readonly maxGapMs?: number;
}

export const replay: LoadModel<ReplayLoadSpec> = {
  name: "replay",
  implies: ["speed", "maxGap"],
  schema: z
    .strictObject({
      model: z.literal("replay").optional().describe("Original timing of the recording. Inferred when `speed` or `maxGap` is set."),
      speed: z
        .number()
        .positive({ error: "must be > 0 (1 is the recorded pace, 2 twice as fast)" })
        .prefault(1)
        .describe("Time compression: 1 is the recorded pace, 2 twice as fast."),
      maxGap: duration
        .optional()
        .describe("Longest pause kept between two requests (recorded time); longer gaps are cut to it. e.g. 5s"),
    })
    .describe("Replay at the recorded timestamps.")
    .transform((d): ReplayLoadSpec => ({
      model: "replay",
      speed: d.speed,
      ...(d.maxGap === undefined ? {} : { maxGapMs: d.maxGap }),
    })),
  toDocument: (spec) => ({
    model: "replay",
    speed: spec.speed,
    ...(spec.maxGapMs === undefined ? {} : { maxGap: formatDuration(spec.maxGapMs) }),
  }),
  plan(spec, recording) {
    const count = checkedCount(recording);
    const maxGap = spec.maxGapMs ?? Infinity;
    const due = new Float64Array(count);
    let previousOffset = count > 0 ? recording.offsetMs(0) : 0;
    for (let i = 1; i < count; i++) {
      const offset = recording.offsetMs(i);
      // Out-of-order captures count as simultaneous; sending them "in the past" is not possible.
      due[i] = (due[i - 1] ?? 0) + Math.min(Math.max(0, offset - previousOffset), maxGap) / spec.speed;
      previousOffset = offset;
    }
    const gaps = spec.maxGapMs === undefined ? "" : `, gaps capped at ${formatDuration(spec.maxGapMs)}`;
    return {
      kind: "open",
      total: count,
      intendedOffsetMs: (i) => due[checkedIndex(i, count)] ?? Number.NaN,
      recordingIndex: (i) => checkedIndex(i, count),
      description: `replay at ${spec.speed}x${gaps} (${requests(count)})`,
      phases: NO_PHASES,
      phaseOf: () => -1,
    };
  },
};
