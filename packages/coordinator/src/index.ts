export { LEASE_MS, runCoordinator, type CoordinatorOptions, type RunIntervals } from "./coordinator.js";
export { SnapshotMerger, type AgentProgress, type GeneratorProgress, type MergedPhase, type MergedTarget } from "./merge.js";
export { AgentRegistry, LOST_AFTER_MS, SUSPECT_AFTER_MS, type KnownAgent, type Liveness } from "./registry.js";
export { evaluateThreshold, evaluateThresholds, evaluateVerdict, observedText, type ScopeOf, type Verdict } from "./verdict.js";
export { resolveMetric, type ComparisonFigures, type MetricsScope, type ScopeTarget } from "./metrics-scope.js";
export { endpointDiffs, endpointResults, endpointScope } from "./endpoints.js";
export { analyseCapacity, brokenTargets, type CapacityInput } from "./capacity/analysis.js";
export { findKnee, kneeRatio, meetsSlo, type StepMeasure, type StepOutcome } from "./capacity/knee.js";
export { fitUsl, type UslFit, type UslPoint } from "./capacity/usl.js";
export { generatorHealth } from "./generator.js";
export { buildRunResult, targetResult, type RunResultInput } from "./result.js";
export { runShadowCoordinator, WINDOW_SETTLE_MS } from "./shadow/coordinator.js";
export {
  SHADOW_DEFAULTS,
  validateShadowOptions,
  withShadowDefaults,
  type ResolvedShadowOptions,
  type ShadowCoordinatorOptions,
  type ShadowProgress,
  type ShadowWindowResults,
} from "./shadow/options.js";
export { CountedIds, countedRetentionMs } from "./shadow/counted.js";
export { Windows, type ShadowWindowSlot } from "./shadow/windows.js";
export { ThresholdStates } from "./shadow/thresholds.js";
