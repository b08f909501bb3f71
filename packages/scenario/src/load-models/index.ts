// The load-model registry: how `load` is written for each model and the plan it makes.
import { closed, type ClosedLoadSpec } from "./closed.js";
import { constant, type ConstantLoadSpec } from "./constant.js";
import type { LoadModel, Plan, RecordingTimeline } from "./plan.js";
import { ramp, type RampLoadSpec } from "./ramp.js";
import { replay, type ReplayLoadSpec } from "./replay.js";
import { steps, type StepsLoadSpec } from "./steps.js";

export type LoadSpec = ConstantLoadSpec | RampLoadSpec | StepsLoadSpec | ReplayLoadSpec | ClosedLoadSpec;

/** Every load model by name; `load.model` selects one. */
export const LOAD_MODELS: {
  readonly constant: LoadModel<ConstantLoadSpec>;
  readonly ramp: LoadModel<RampLoadSpec>;
  readonly steps: LoadModel<StepsLoadSpec>;
  readonly replay: LoadModel<ReplayLoadSpec>;
  readonly closed: LoadModel<ClosedLoadSpec>;
} = Object.freeze({ constant, ramp, steps, replay, closed });

export function loadModel(name: LoadSpec["model"]): LoadModel {
  return LOAD_MODELS[name] as LoadModel;
}

export function createPlan(spec: LoadSpec, recording: RecordingTimeline): Plan {
  return loadModel(spec.model).plan(spec, recording);
}

/** The plan for a loaded recording (its requests' own offsets are the timeline). */
export function planForRecording(spec: LoadSpec, requests: readonly { readonly offsetMs: number }[]): Plan {
  return createPlan(spec, { count: requests.length, offsetMs: (index) => requests[index]?.offsetMs ?? 0 });
}

export { DEFAULT_RATE, type ConstantLoadSpec } from "./constant.js";
export type { ClosedLoadSpec } from "./closed.js";
export type { RampLoadSpec, RampStage } from "./ramp.js";
export type { ReplayLoadSpec } from "./replay.js";
export { MAX_STEPS, type Slo, type StepsLoadSpec } from "./steps.js";
export { phaseAt, type ClosedPlan, type LoadModel, type OpenPlan, type Phase, type Plan, type RecordingTimeline } from "./plan.js";
