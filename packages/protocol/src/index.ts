export { DEFAULT_REDACTED_HEADERS, REDACTED, REPLAY_MARKER_HEADER, type RecordedRequest } from "./recorded.js";
export { SAFE_METHODS, TARGET_NAMES, type TargetName } from "./targets.js";
export {
  DEFAULT_TRAFFIC_RETAIN,
  DEFAULT_TRAFFIC_STREAM,
  decodeExchange,
  encodeExchange,
  exchangeRequest,
  type CapturedExchange,
  type CapturedMessage,
  type CapturedRequest,
  type CapturedResponse,
} from "./traffic.js";
export {
  DIFF_KINDS,
  ML_DIFF_KINDS,
  STRUCTURAL_DIFF_KINDS,
  signatureKey,
  type DiffKind,
  type MlDiffKind,
  type DiffTally,
  type EndpointTally,
  type Exemplar,
  type ExemplarMessage,
  type Signature,
  type SignatureTally,
} from "./diff.js";
export {
  REPORT_SCHEMA_VERSION,
  type AgentEndState,
  type AgentResult,
  type CapacityResult,
  type ComparisonReport,
  type EndpointResult,
  type EndpointTargetResult,
  type LatencyComparison,
  type QuantileComparison,
  type ThresholdResult,
  type CapacityStep,
  type CapacityStepTarget,
  type GeneratorHealth,
  type PercentilesMs,
  type UslResult,
  type DiffGroup,
  type DiffSummary,
  type LatencySummaryMs,
  type Progress,
  type RunEvent,
  type LoadModelName,
  type RunMode,
  type RunResult,
  type ShadowResult,
  type ShadowThresholdEvent,
  type RunStatus,
  type TargetResult,
  type TargetResults,
  type VerdictCheck,
} from "./result.js";
export {
  MESSAGE_SCHEMAS,
  PROTOCOL_VERSION,
  type Fraction,
  type Message,
  type MessageOf,
  type MessageType,
  type Payload,
  type Snapshot,
  type TargetCounts,
  type TargetInterval,
  type PhaseInterval,
  type EndpointInterval,
} from "./messages.js";
export { decodeExpected, decodeMessage, encodeMessage, type DecodeResult } from "./codec.js";
export { SUBJECTS, isSubjectToken } from "./subjects.js";
export { InfrastructureError, InvalidInputError, ParallaxError, formatIssue, type Issue } from "./errors.js";
export { decodeBundle, encodeBundle, sha256, type Bundle } from "./bundle.js";
export { silentLogger, type Logger } from "./logger.js";
export { systemClock, type Clock } from "./clock.js";
export { addCounts, emptyTargetCounts } from "./counts.js";
export { thresholdKey, thresholdMeasured } from "./thresholds.js";
