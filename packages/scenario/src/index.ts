export type { CompareRule, ResolveOptions, Scenario, ScopedExpression, TargetSpec } from "./types.js";
export { resolveScenario } from "./resolve.js";
export { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.js";
export { LEGACY_THRESHOLDS, scenarioJsonSchema } from "./schema.js";
export { toScenarioDocument } from "./document.js";
export { matchesGrpcAllowance, matchesUnsafeAllowance } from "./unsafe.js";
export { TARGET_SCHEMES, targetProtocol, type TargetScheme } from "./schemes.js";
export {
  DEFAULT_RATE,
  LOAD_MODELS,
  MAX_STEPS,
  createPlan,
  loadModel,
  phaseAt,
  planForRecording,
  type ClosedLoadSpec,
  type ClosedPlan,
  type ConstantLoadSpec,
  type LoadModel,
  type LoadSpec,
  type OpenPlan,
  type Phase,
  type Plan,
  type RampLoadSpec,
  type RampStage,
  type RecordingTimeline,
  type ReplayLoadSpec,
  type Slo,
  type StepsLoadSpec,
} from "./load-models/index.js";
export { formatSegment, segmentIndices, segmentSize, splitEvenly, type Segment } from "./segments.js";
export { resolveShippedScenario } from "./shipped.js";
export { METRIC_CATALOGUE, evaluateExpression, formatExpression, formatQuantity, parseExpression, type Evaluation, type ExpressionIssue, type ThresholdExpression } from "./expressions.js";
export { declaredEndpoints, endpointTemplateProblem } from "./endpoints.js";
