import { createTally, mergeTally, type ScopedComparisonRule } from "@parallax/diff";
import { LatencyTimeline, addHistogram, createLatencyHistogram, decodeHistogram, type LatencyHistogram } from "@parallax/metrics";
import { addCounts, emptyTargetCounts, type DiffTally, type PhaseInterval, type Snapshot, type TargetCounts, type TargetName } from "@parallax/protocol";

export type MergedTarget = TargetCounts & {
  readonly latency: LatencyHistogram;
  readonly service: LatencyHistogram;
  /** Per second of the run, for the interval log. */
  readonly timeline: LatencyTimeline;
};

/** One target at one endpoint template, summed over agents. */
export interface MergedEndpointTarget {
  requests: number;
  responses: number;
  errors: number;
  readonly latency: LatencyHistogram;
}

/** One capacity step of one target, summed over agents. */
export type MergedPhase = Omit<PhaseInterval, "histogram"> & { readonly latency: LatencyHistogram };

/** The load generator's own health, summed over an agent's snapshots. */
export interface GeneratorProgress {
  /** Sends made on a schedule, and how far each left behind its intended instant (µs). */
  dispatched: number;
  readonly lag: LatencyHistogram;
  readonly loopDelay: LatencyHistogram;
  cpuMicros: number;
  wallMs: number;
  /** Busiest interval: CPU time over wall time (1 = one core fully used). */
  cpuPeak: number;
}

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
  readonly generator: GeneratorProgress;
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
  /** Capacity steps by index, then target. */
  readonly phases = new Map<number, Map<TargetName, MergedPhase>>();
  /** Endpoint templates, then target. */
  readonly endpoints = new Map<string, Map<TargetName, MergedEndpointTarget>>();
  readonly #seen = new Set<string>();
  /** False when the caller dedupes snapshots itself (a shadow job, in bounded memory): `#seen` would grow without end. */
  readonly #dedupe: boolean;
  /** Agents declared lost: what they send afterwards is not counted (their share was reported as never sent). */
  readonly #fenced = new Set<string>();
  readonly #exemplars: number;
  /** The scenario's ML comparisons: what agents' comparison states are merged with. */
  readonly #rules: readonly ScopedComparisonRule[];
  /** Histograms a snapshot is decoded into before it is added: reused, so merging allocates no counts arrays. */
  readonly #scratch: LatencyHistogram[] = [];
  #duplicates = 0;

  constructor(
    readonly runId: string,
    readonly epoch: number,
    options: { readonly exemplars: number; readonly rules?: readonly ScopedComparisonRule[]; readonly dedupe?: boolean },
  ) {
    this.#exemplars = options.exemplars;
    this.#dedupe = options.dedupe ?? true;
    this.#rules = options.rules ?? [];
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /** Stop counting an agent's snapshots from now on. */
  fence(agentId: string): void {
    this.#fenced.add(agentId);
  }

  /** Returns false when the snapshot was a duplicate or belongs to another run or epoch. */
  add(s: Snapshot): boolean {
    if (s.runId !== this.runId || s.epoch !== this.epoch || this.#fenced.has(s.agentId)) return false;
    const key = `${s.agentId}\u0000${s.seq}`;
    if (this.#seen.has(key)) {
      this.#duplicates++;
      return false;
    }
    // Decode first: a snapshot that cannot be decoded must change nothing, not half the totals.
    let slot = 0;
    const decode = (encoded: string) => decodeHistogram(encoded, (this.#scratch[slot++] ??= createLatencyHistogram()));
    const histograms = new Map<TargetName, { latency: LatencyHistogram; service: LatencyHistogram | undefined }>();
    for (const [name, t] of Object.entries(s.targets) as Array<[TargetName, Snapshot["targets"][TargetName]]>) {
      if (t) histograms.set(name, { latency: decode(t.histogram), service: t.service === undefined ? undefined : decode(t.service) });
    }
    const phases: Array<[number, TargetName, PhaseInterval, LatencyHistogram]> = [];
    for (const [index, byTarget] of Object.entries(s.phases ?? {})) {
      for (const [name, p] of Object.entries(byTarget) as Array<[TargetName, PhaseInterval | undefined]>) {
        if (p) phases.push([Number(index), name, p, decode(p.histogram)]);
      }
    }
    const endpoints: Array<[string, TargetName, { requests: number; responses: number; errors: number }, LatencyHistogram]> = [];
    for (const [endpoint, byTarget] of Object.entries(s.endpoints ?? {})) {
      for (const [name, e] of Object.entries(byTarget) as Array<[TargetName, { requests: number; responses: number; errors: number; histogram: string } | undefined]>) {
        if (e) endpoints.push([endpoint, name, e, decode(e.histogram)]);
      }
    }
    const lag = s.scheduler.lag === undefined ? undefined : decode(s.scheduler.lag);
    const loopDelay = s.generator === undefined ? undefined : decode(s.generator.eventLoopDelay);
    if (this.#dedupe) this.#seen.add(key);
    const agent = this.#agent(s.agentId);
    agent.snapshots++;
    agent.done = Math.max(agent.done, s.done);
    agent.planned = s.planned;
    agent.late += s.scheduler.late;
    agent.maxLagMs = Math.max(agent.maxLagMs, s.scheduler.maxLagMs);
    const generator = agent.generator;
    generator.dispatched += s.scheduler.dispatched ?? 0;
    if (lag) addHistogram(generator.lag, lag);
    if (loopDelay) addHistogram(generator.loopDelay, loopDelay);
    if (s.generator && s.generator.wallMs > 0) {
      generator.cpuMicros += s.generator.cpuMicros;
      generator.wallMs += s.generator.wallMs;
      generator.cpuPeak = Math.max(generator.cpuPeak, s.generator.cpuMicros / 1000 / s.generator.wallMs);
    }
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
      const decoded = histograms.get(name);
      if (!decoded) continue;
      addHistogram(merged.latency, decoded.latency);
      if (decoded.service) addHistogram(merged.service, decoded.service);
      if (s.window) merged.timeline.add(s.window.toMs, decoded.latency);
    }
    for (const [endpoint, name, e, histogram] of endpoints) {
      const merged = this.#endpoint(endpoint, name);
      merged.requests += e.requests;
      merged.responses += e.responses;
      merged.errors += e.errors;
      addHistogram(merged.latency, histogram);
    }
    for (const [index, name, p, histogram] of phases) {
      const merged = this.#phase(index, name);
      merged.requests += p.requests;
      merged.responses += p.responses;
      merged.errors += p.errors;
      merged.completed += p.completed;
      merged.latencySumMicros += p.latencySumMicros;
      addHistogram(merged.latency, histogram);
    }
    mergeTally(this.diff, s.diff, { exemplars: this.#exemplars, rules: this.#rules });
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
      agent = {
        agentId,
        done: 0,
        planned: 0,
        late: 0,
        maxLagMs: 0,
        snapshots: 0,
        lastSeq: -1,
        final: false,
        generator: { dispatched: 0, lag: createLatencyHistogram(), loopDelay: createLatencyHistogram(), cpuMicros: 0, wallMs: 0, cpuPeak: 0 },
      };
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  #target(name: TargetName): MergedTarget {
    let target = this.targets.get(name);
    if (!target) {
      target = {
        ...emptyTargetCounts(),
        latency: createLatencyHistogram(),
        service: createLatencyHistogram(),
        timeline: new LatencyTimeline(),
      };
      this.targets.set(name, target);
    }
    return target;
  }

  #endpoint(endpoint: string, name: TargetName): MergedEndpointTarget {
    let byTarget = this.endpoints.get(endpoint);
    if (!byTarget) this.endpoints.set(endpoint, (byTarget = new Map()));
    let merged = byTarget.get(name);
    if (!merged) byTarget.set(name, (merged = { requests: 0, responses: 0, errors: 0, latency: createLatencyHistogram() }));
    return merged;
  }

  #phase(index: number, name: TargetName): MergedPhase {
    let byTarget = this.phases.get(index);
    if (!byTarget) this.phases.set(index, (byTarget = new Map()));
    let phase = byTarget.get(name);
    if (!phase) {
      phase = { requests: 0, responses: 0, errors: 0, completed: 0, latencySumMicros: 0, latency: createLatencyHistogram() };
      byTarget.set(name, phase);
    }
    return phase;
  }
}
