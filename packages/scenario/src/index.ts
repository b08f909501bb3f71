export type { ResolveOptions, Scenario, TargetSpec } from "./types.js";
export { resolveScenario } from "./resolve.js";
export { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.js";
export { scenarioJsonSchema } from "./schema.js";
export { toScenarioDocument } from "./document.js";
export { matchesUnsafeAllowance } from "./unsafe.js";
export { TARGET_SCHEMES, type TargetScheme } from "./schemes.js";
export {
  DEFAULT_RATE,
  LOAD_MODELS,
  createPlan,
  planForRecording,
  type ConstantLoadSpec,
  type LoadModel,
  type LoadSpec,
  type Plan,
  type RecordingTimeline,
  type ReplayLoadSpec,
} from "./load-models.js";
export { formatSegment, segmentIndices, segmentSize, splitEvenly, type Segment } from "./segments.js";
export { resolveShippedScenario } from "./shipped.js";
