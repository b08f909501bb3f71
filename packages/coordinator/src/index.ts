export { LEASE_MS, runCoordinator, type CoordinatorOptions } from "./coordinator.js";
export { SnapshotMerger, type AgentProgress, type MergedTarget } from "./merge.js";
export { AgentRegistry, LOST_AFTER_MS, SUSPECT_AFTER_MS, type KnownAgent, type Liveness } from "./registry.js";
export { evaluateVerdict, type Verdict } from "./verdict.js";
