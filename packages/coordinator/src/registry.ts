import { PROTOCOL_VERSION, type MessageOf } from "@parallax/protocol";

// Liveness, together: an agent silent this long is suspect, then lost (heartbeats come every second).
export const SUSPECT_AFTER_MS = 2500;
export const LOST_AFTER_MS = 5000;

export type Liveness = "alive" | "suspect" | "lost";

export interface KnownAgent {
  readonly id: string;
  name: string;
  version: string;
  host: string;
  state: string;
  runId: string | undefined;
  lastSeen: number;
  /** Set when the agent cannot take part (protocol mismatch); the reason is reported. */
  incompatible: string | undefined;
  /** Host load average per core, from heartbeats. */
  load: number | undefined;
  /** Only an agent that introduced itself (version checked) can take part. */
  introduced: boolean;
}

function major(version: string): string {
  return version.split(".", 1)[0] ?? version;
}

/** Agents the coordinator has heard from, and how recently. */
export class AgentRegistry {
  readonly #agents = new Map<string, KnownAgent>();
  readonly #version: string | undefined;

  /** `version`: the coordinator's own; an agent of another major version is refused. */
  constructor(version?: string) {
    this.#version = version;
  }

  hello(m: MessageOf<"parallax.v1.hello">, now: number): KnownAgent {
    const agent = this.#touch(m.agentId, now);
    agent.introduced = true;
    agent.name = m.name;
    agent.version = m.version;
    agent.host = m.host;
    agent.incompatible =
      m.protocol !== PROTOCOL_VERSION
        ? `speaks protocol v${m.protocol}, this coordinator v${PROTOCOL_VERSION} (agent version ${m.version})`
        : this.#version !== undefined && major(m.version) !== major(this.#version)
          ? `version ${m.version} does not match this coordinator's major version (${this.#version}); run the same major version everywhere`
          : undefined;
    return agent;
  }

  heartbeat(m: MessageOf<"parallax.v1.heartbeat">, now: number): void {
    const agent = this.#touch(m.agentId, now);
    agent.state = m.state;
    agent.runId = m.runId;
    if (m.name !== undefined) agent.name = m.name;
    if (m.host !== undefined) agent.host = m.host;
    if (m.load !== undefined) agent.load = m.load;
  }

  /** Any sign of life from a known agent (a snapshot, say) counts like a heartbeat. */
  seen(id: string, now: number): void {
    const agent = this.#agents.get(id);
    if (agent) agent.lastSeen = now;
  }

  /** After our own connection was down, nobody's silence counted against them: start their clocks again. */
  forgiveSilence(now: number): void {
    for (const agent of this.#agents.values()) agent.lastSeen = Math.max(agent.lastSeen, now);
  }

  get(id: string): KnownAgent | undefined {
    return this.#agents.get(id);
  }

  all(): KnownAgent[] {
    return [...this.#agents.values()];
  }

  liveness(id: string, now: number): Liveness {
    const agent = this.#agents.get(id);
    if (!agent) return "lost";
    const silent = now - agent.lastSeen;
    return silent > LOST_AFTER_MS ? "lost" : silent > SUSPECT_AFTER_MS ? "suspect" : "alive";
  }

  /** Agents able to take a run now: compatible, idle, heard from recently. */
  available(now: number): KnownAgent[] {
    return this.all().filter((a) => a.introduced && !a.incompatible && a.state === "idle" && this.liveness(a.id, now) === "alive");
  }

  #touch(id: string, now: number): KnownAgent {
    let agent = this.#agents.get(id);
    if (!agent) {
      agent = { id, name: id, version: "?", host: "?", state: "idle", runId: undefined, lastSeen: now, incompatible: undefined, load: undefined, introduced: false };
      this.#agents.set(id, agent);
    }
    agent.lastSeen = now;
    return agent;
  }
}
