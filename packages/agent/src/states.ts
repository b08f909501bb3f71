/** Agent states and the only transitions allowed between them (an illegal one is a bug). */
export const AGENT_STATES = ["idle", "preparing", "ready", "running", "finishing"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

const TRANSITIONS: Record<AgentState, readonly AgentState[]> = {
  idle: ["preparing"],
  preparing: ["ready", "idle"],
  ready: ["running", "idle"],
  running: ["finishing"],
  finishing: ["idle"],
};

export function assertTransition(from: AgentState, to: AgentState): void {
  if (!TRANSITIONS[from].includes(to)) throw new Error(`illegal agent transition ${from} → ${to}`);
}
