export { Agent, HEARTBEAT_MS, SNAPSHOT_MS, type AgentOptions } from "./agent.js";
export { AGENT_STATES, type AgentState } from "./states.js";
export { MAX_COMPARED_BODY_BYTES, readTls, targetFactory, type TargetFactory } from "./run.js";
export { createTargetAllowlist, parseAllowRule, type TargetAllowlist, type TargetDecision } from "./allowlist.js";
export { ShadowRun, type ShadowInterval, type ShadowJob, type ShadowRunOptions, type ShadowSection } from "./shadow-run.js";
export { sampleKey, shadowSampled } from "./shadow-sample.js";
export { COUNTED_QUERY_DEFAULTS, type CountedQueryOptions } from "./counted-queries.js";
