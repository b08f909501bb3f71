/** Every subject Parallax uses, in one place, versioned. */
export const SUBJECTS = {
  hello: "parallax.v1.agents.hello",
  discover: "parallax.v1.agents.discover",
  heartbeat: (agentId: string) => `parallax.v1.agents.heartbeat.${agentId}`,
  heartbeats: "parallax.v1.agents.heartbeat.*",
  /** Requests addressed to one agent (prepare). */
  agentControl: (agentId: string) => `parallax.v1.agent.${agentId}.control`,
  /** Broadcasts to every agent of a run (start, stop, lease). */
  runControl: (runId: string) => `parallax.v1.run.${runId}.control`,
  /** Snapshots go through the durable stream under this subject. */
  snapshots: (runId: string, agentId: string) => `parallax.v1.run.${runId}.snapshots.${agentId}`,
  runSnapshots: (runId: string) => `parallax.v1.run.${runId}.snapshots.*`,
  /** A shadow job's agents ask its coordinator here whether redelivered exchanges were counted already. */
  shadowCounted: (runId: string) => `parallax.v1.run.${runId}.counted`,
  /** Live exchanges a tap captured, in the traffic stream named `stream`. */
  traffic: (stream: string) => `parallax.v1.traffic.${stream}`,
} as const;

/** Ids used inside subjects must be single tokens. */
export function isSubjectToken(id: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(id);
}
