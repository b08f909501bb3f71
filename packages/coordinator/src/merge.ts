import { createTally, mergeTally } from "@parallax/diff";
import { addHistogram, createLatencyHistogram, decodeHistogram, type LatencyHistogram } from "@parallax/metrics";
import { addCounts, type DiffTally, type Snapshot, type TargetCounts, type TargetName } from "@parallax/protocol";

export type MergedTarget = TargetCounts & { readonly latency: LatencyHistogram };

export interface AgentProgress {
  readonly agentId: string;
  done: number;
  planned: number;
  late: number;
  maxLagMs: number;
  snapshots: number;
  /** Highest seq merged, and whether the final snapshot arrived. */
  lastSeq: number;
  final: boolean;
}

/**
 * Merges interval snapshots into run totals. Idempotent: a snapshot seen before (same agent,
 * epoch and seq, e.g. redelivered after a lost ack) is ignored, and one from another epoch is
 * fenced off, so nothing is ever counted twice.
 */
export class SnapshotMerger {
  readonly targets = new Map<TargetName, MergedTarget>();
  readonly diff: DiffTally = createTally();
  readonly skipped: Record<string, number> = {};
  readonly agents = new Map<string, AgentProgress>();
  readonly #seen = new Set<string>();
  /** Agents declared lost: what they send afterwards is not counted (their share was reported as never sent). */
  readonly #fenced = new Set<string>();
  readonly #exemplars: number;
  #duplicates = 0;

  constructor(
    readonly runId: string,
    readonly epoch: number,
    options: { readonly exemplars: number },
  ) {
    this.#exemplars = options.exemplars;
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /** Returns false when the snapshot was a duplicate or belongs to another run or epoch. */
  /** Stop counting an agent's snapshots from now on. */
  fence(agentId: string): void {
    this.#fenced.add(agentId);
  }

  add(s: Snapshot): boolean {
    if (s.runId !== this.runId || s.epoch !== this.epoch || this.#fenced.has(s.agentId)) return false;
    const key = `${s.agentId}\u0000${s.seq}`;
    if (this.#seen.has(key)) {
      this.#duplicates++;
      return false;
    }
    // Decode first: a snapshot that cannot be decoded must change nothing, not half the totals.
    const histograms = new Map<TargetName, LatencyHistogram>();
    for (const [name, t] of Object.entries(s.targets) as Array<[TargetName, Snapshot["targets"][TargetName]]>) {
      if (t) histograms.set(name, decodeHistogram(t.histogram));
    }
    this.#seen.add(key);
    const agent = this.#agent(s.agentId);
    agent.snapshots++;
    agent.done = Math.max(agent.done, s.done);
    agent.planned = s.planned;
    agent.late += s.scheduler.late;
    agent.maxLagMs = Math.max(agent.maxLagMs, s.scheduler.maxLagMs);
    agent.lastSeq = Math.max(agent.lastSeq, s.seq);
    if (s.final) agent.final = true;
    for (const [name, t] of Object.entries(s.targets) as Array<[TargetName, Snapshot["targets"][TargetName]]>) {
      if (!t) continue;
      const merged = this.#target(name);
      merged.requests += t.requests;
      merged.responses += t.responses;
      merged.errors += t.errors;
      merged.transportErrors += t.transportErrors;
      addCounts(merged.errorKinds, t.errorKinds);
      addCounts(merged.statusCodes, t.statusCodes);
      addHistogram(merged.latency, histograms.get(name) as LatencyHistogram);
    }
    mergeTally(this.diff, s.diff, { exemplars: this.#exemplars });
    addCounts(this.skipped, s.skipped);
    return true;
  }

  /** Every snapshot from seq 0 to the final one has been merged. */
  complete(agentId: string): boolean {
    const agent = this.agents.get(agentId);
    return agent !== undefined && agent.final && agent.snapshots === agent.lastSeq + 1;
  }

  /** Sum of requests of every agent's segment dispatched or held back so far. */
  get done(): number {
    let done = 0;
    for (const a of this.agents.values()) done += a.done;
    return done;
  }

  #agent(agentId: string): AgentProgress {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = { agentId, done: 0, planned: 0, late: 0, maxLagMs: 0, snapshots: 0, lastSeq: -1, final: false };
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  #target(name: TargetName): MergedTarget {
    let target = this.targets.get(name);
    if (!target) {
      target = { requests: 0, responses: 0, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: {}, latency: createLatencyHistogram() };
      this.targets.set(name, target);
    }
    return target;
  }
}
