export { LEASE_MS, runCoordinator, type CoordinatorOptions, type RunIntervals } from "./coordinator.js";
export { SnapshotMerger, type AgentProgress, type GeneratorProgress, type MergedPhase, type MergedTarget } from "./merge.js";
export { AgentRegistry, LOST_AFTER_MS, SUSPECT_AFTER_MS, type KnownAgent, type Liveness } from "./registry.js";
export { evaluateVerdict, type Verdict } from "./verdict.js";
export { analyseCapacity, brokenTargets, type CapacityInput } from "./capacity/analysis.js";
export { findKnee, kneeRatio, meetsSlo, type StepMeasure, type StepOutcome } from "./capacity/knee.js";
export { fitUsl, type UslFit, type UslPoint } from "./capacity/usl.js";
export { generatorHealth } from "./generator.js";
