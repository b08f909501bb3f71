// What a load model produces: the plan every agent follows for its segment.
import type { z } from "zod";

/** Offsets of the recording's requests; not guaranteed non-decreasing (captures interleave). */
export interface RecordingTimeline {
  readonly count: number;
  offsetMs(index: number): number;
}

/** One step of a capacity (steps) run: its offered rate and its window, ms after the start. */
export interface Phase {
  readonly offeredRps: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** An arrival-rate plan: every item has its intended instant, whatever the targets do. */
export interface OpenPlan {
  readonly kind: "open";
  /** Requests the run schedules. */
  readonly total: number;
  /** When sequence item `i` is due, ms after the start; non-decreasing in `i`. */
  intendedOffsetMs(i: number): number;
  /** Which recorded request item `i` sends. */
  recordingIndex(i: number): number;
  /** For people: "constant 1000/s for 2s (2000 requests)". */
  readonly description: string;
  /** The steps of a capacity run, in order; empty for every other model. */
  readonly phases: readonly Phase[];
  /** The phase item `i` belongs to (by its intended instant); -1 when the plan has no phases. */
  phaseOf(i: number): number;
}

/** A fixed-concurrency plan: `connections` loops for `durationMs`, no schedule (max throughput). */
export interface ClosedPlan {
  readonly kind: "closed";
  readonly connections: number;
  readonly durationMs: number;
  readonly description: string;
  /** Nothing is scheduled ahead: a closed run sends as fast as the answers come. */
  readonly total: 0;
  readonly phases: readonly Phase[];
}

export type Plan = OpenPlan | ClosedPlan;

export interface LoadModel<S extends { readonly model: string } = { readonly model: string }> {
  readonly name: S["model"];
  /** Keys of `load` that imply this model when `model` is left out. */
  readonly implies: readonly string[];
  /** How `load` is written for this model; parses to the spec and feeds the JSON Schema. */
  readonly schema: z.ZodType<S, unknown>;
  /** The scenario form of `spec`, which `schema` parses back to the same spec. */
  toDocument(spec: S): Record<string, unknown>;
  plan(spec: S, recording: RecordingTimeline): Plan;
}

export const NO_PHASES: readonly Phase[] = Object.freeze([]);

export function checkedCount(recording: RecordingTimeline): number {
  if (!Number.isSafeInteger(recording.count) || recording.count < 0) {
    throw new RangeError(`recording.count must be a whole number >= 0, got ${recording.count}`);
  }
  return recording.count;
}

export function checkedIndex(i: number, total: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= total) throw new RangeError(`plan item ${i} is outside 0..${total - 1}`);
  return i;
}

export function requests(n: number): string {
  return n === 1 ? "1 request" : `${n} requests`;
}

/** Whole requests in `rate × ms`; the epsilon keeps decimal products whole (0.3/s for 10s is 3, not 2.9999…). */
export function wholeRequests(rate: number, ms: number): number {
  return Math.floor((rate * ms) / 1000 + 1e-9);
}

/** The index of the last entry of ascending `starts` that is <= `value` (binary search). */
export function lastAtOrBelow(starts: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The phase whose window holds `offsetMs`; -1 without phases, or once past the last one's end. */
export function phaseAt(phases: readonly Phase[], offsetMs: number): number {
  if (phases.length === 0 || offsetMs >= (phases[phases.length - 1] as Phase).endMs) return -1;
  let lo = 0;
  let hi = phases.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((phases[mid] as Phase).startMs <= offsetMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
