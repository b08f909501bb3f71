// The load-model registry: how `load` is written for each model and the plan it makes.
import { z } from "zod";
import { formatDuration } from "./duration.js";
import { duration, positiveDuration } from "./fields.js";

export interface ConstantLoadSpec {
  readonly model: "constant";
  readonly rate: number;
  readonly durationMs?: number;
}
export interface ReplayLoadSpec {
  readonly model: "replay";
  readonly speed: number;
  readonly maxGapMs?: number;
}
export type LoadSpec = ConstantLoadSpec | ReplayLoadSpec;

/** Offsets of the recording's requests; not guaranteed non-decreasing (captures interleave). */
export interface RecordingTimeline {
  readonly count: number;
  offsetMs(index: number): number;
}

export interface Plan {
  /** Requests the run schedules. */
  readonly total: number;
  /** When sequence item `i` is due, ms after the start; non-decreasing in `i`. */
  intendedOffsetMs(i: number): number;
  /** Which recorded request item `i` sends. */
  recordingIndex(i: number): number;
  /** For people: "constant 1000/s for 2s (2000 requests)". */
  readonly description: string;
}

export interface LoadModel<S extends LoadSpec = LoadSpec> {
  readonly name: S["model"];
  /** Keys of `load` that imply this model when `model` is left out. */
  readonly implies: readonly string[];
  /** How `load` is written for this model; parses to the spec and feeds the JSON Schema. */
  readonly schema: z.ZodType<S, unknown>;
  /** The scenario form of `spec`, which `schema` parses back to the same spec. */
  toDocument(spec: S): Record<string, unknown>;
  plan(spec: S, recording: RecordingTimeline): Plan;
}

/** Requests per second when a scenario says nothing about load. */
export const DEFAULT_RATE = 100;

const constant: LoadModel<ConstantLoadSpec> = {
  name: "constant",
  implies: ["rate", "duration"],
  schema: z
    .strictObject({
      model: z.literal("constant").optional().describe("Fixed arrival rate (open model). Inferred when `rate` or `duration` is set."),
      rate: z
        .number()
        .positive({ error: "must be > 0 (requests per second)" })
        .prefault(DEFAULT_RATE)
        .describe("Requests per second, > 0."),
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
    if (spec.durationMs === undefined) {
      return {
        total: count,
        intendedOffsetMs: (i) => checkedIndex(i, count) * perItemMs,
        recordingIndex: (i) => checkedIndex(i, count),
        description: `constant ${spec.rate}/s, each recorded request once (${requests(count)})`,
      };
    }
    // The epsilon keeps decimal products whole: 0.3/s for 10s is 3 requests, not 2.9999….
    const total = count === 0 ? 0 : Math.floor((spec.rate * spec.durationMs) / 1000 + 1e-9);
    return {
      total,
      intendedOffsetMs: (i) => checkedIndex(i, total) * perItemMs,
      recordingIndex: (i) => checkedIndex(i, total) % count,
      description: `constant ${spec.rate}/s for ${formatDuration(spec.durationMs)} (${requests(total)})`,
    };
  },
};

const replay: LoadModel<ReplayLoadSpec> = {
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
      total: count,
      intendedOffsetMs: (i) => due[checkedIndex(i, count)] ?? Number.NaN,
      recordingIndex: (i) => checkedIndex(i, count),
      description: `replay at ${spec.speed}x${gaps} (${requests(count)})`,
    };
  },
};

/** Every load model by name; `load.model` selects one. */
export const LOAD_MODELS: { readonly constant: LoadModel<ConstantLoadSpec>; readonly replay: LoadModel<ReplayLoadSpec> } =
  Object.freeze({ constant, replay });

export function createPlan(spec: LoadSpec, recording: RecordingTimeline): Plan {
  const model: LoadModel = LOAD_MODELS[spec.model];
  return model.plan(spec, recording);
}

/** The plan for a loaded recording (its requests' own offsets are the timeline). */
export function planForRecording(spec: LoadSpec, requests: readonly { readonly offsetMs: number }[]): Plan {
  return createPlan(spec, { count: requests.length, offsetMs: (index) => requests[index]?.offsetMs ?? 0 });
}

function checkedCount(recording: RecordingTimeline): number {
  if (!Number.isSafeInteger(recording.count) || recording.count < 0) {
    throw new RangeError(`recording.count must be a whole number >= 0, got ${recording.count}`);
  }
  return recording.count;
}

function checkedIndex(i: number, total: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= total) throw new RangeError(`plan item ${i} is outside 0..${total - 1}`);
  return i;
}

function requests(n: number): string {
  return n === 1 ? "1 request" : `${n} requests`;
}
