import type { Comparator } from "@parallax/diff";
import { createTally, type Outcome, type PairInput } from "@parallax/diff";
import { IntervalHistogram } from "@parallax/metrics";
import { emptyTargetCounts, type DiffTally, type EndpointInterval, type PhaseInterval, type TargetCounts, type TargetInterval, type TargetName } from "@parallax/protocol";

/** A send counts as late when it left more than this after its intended time. */
export const LATE_THRESHOLD_MS = 10;
/** Endpoint templates tracked one by one; the rest are summed under OTHER_ENDPOINTS (ids that escaped templating would otherwise grow without bound). */
export const MAX_ENDPOINTS = 50;
export const OTHER_ENDPOINTS = "(other endpoints)";

/** What the engine reports as it runs. */
export interface Sink {
  /** A scheduled request was sent (to every target) `lagMs` after its intended time; `undefined` in the closed model, which has no schedule. */
  dispatched(lagMs: number | undefined): void;
  /** A scheduled request was held back; not sent to any target. */
  heldBack(reason: string): void;
  /**
   * A request left for `target`. `endpoint`: its template (undefined when unknown, as in the closed
   * model); `phase`: the capacity step of its intended instant (-1 outside step runs).
   */
  sent(target: TargetName, endpoint: string | undefined, phase: number): void;
  /**
   * One target's answer. `latencyMicros` counts from the intended send time, `serviceMicros` from
   * the actual send; `completedPhase` is the step in whose window the answer arrived.
   */
  response(target: TargetName, endpoint: string | undefined, outcome: Outcome, latencyMicros: number, serviceMicros: number, phase: number, completedPhase: number): void;
  /** Every target of a pair has answered (or failed). */
  pair(pair: PairInput): void;
}

type TargetCounters = TargetCounts & { readonly latency: IntervalHistogram; readonly service: IntervalHistogram };
type PhaseCounters = Omit<PhaseInterval, "histogram"> & { readonly latency: IntervalHistogram };
type EndpointCounters = Omit<EndpointInterval, "histogram"> & { readonly latency: IntervalHistogram };

/** The part of a snapshot the engine owns: deltas since the last `take`, plus cumulative progress. */
export interface IntervalData {
  readonly done: number;
  readonly targets: Partial<Record<TargetName, TargetInterval>>;
  readonly diff: DiffTally;
  readonly skipped: Record<string, number>;
  readonly scheduler: { readonly late: number; readonly maxLagMs: number; readonly dispatched: number; readonly lag: string };
  /** Only steps touched in the interval, keyed by step index. */
  readonly phases: Record<string, Partial<Record<TargetName, PhaseInterval>>>;
  /** Only endpoints touched in the interval, keyed by template. */
  readonly endpoints: Record<string, Partial<Record<TargetName, EndpointInterval>>>;
}

/** Accumulates per-interval deltas that the agent ships as snapshots every second. */
export class IntervalSink implements Sink {
  readonly #comparator: Comparator;
  readonly #targets = new Map<TargetName, TargetCounters>();
  /** Per step, per target, created on first use; only steps touched since the last `take` are shipped. */
  readonly #phases = new Map<number, Map<TargetName, PhaseCounters>>();
  readonly #touched = new Set<number>();
  readonly #endpoints = new Map<string, Map<TargetName, EndpointCounters>>();
  readonly #touchedEndpoints = new Set<string>();
  #diff: DiffTally = createTally();
  #skipped: Record<string, number> = {};
  #late = 0;
  #maxLagMs = 0;
  #dispatched = 0;
  readonly #lag = new IntervalHistogram();
  #done = 0;

  constructor(comparator: Comparator, targets: readonly TargetName[]) {
    this.#comparator = comparator;
    for (const name of targets) this.#targets.set(name, freshCounters());
  }

  get done(): number {
    return this.#done;
  }

  dispatched(lagMs: number | undefined): void {
    this.#done++;
    if (lagMs === undefined) return;
    this.#dispatched++;
    const lag = lagMs > 0 ? lagMs : 0;
    this.#lag.record(lag * 1000);
    if (lag > LATE_THRESHOLD_MS) this.#late++;
    if (lag > this.#maxLagMs) this.#maxLagMs = lag;
  }

  heldBack(reason: string): void {
    this.#done++;
    this.#skipped[reason] = (this.#skipped[reason] ?? 0) + 1;
  }

  sent(target: TargetName, endpoint: string | undefined, phase: number): void {
    this.#counters(target).requests++;
    if (endpoint !== undefined) this.#endpoint(endpoint, target).requests++;
    if (phase >= 0) this.#phase(phase, target).requests++;
  }

  response(target: TargetName, endpoint: string | undefined, outcome: Outcome, latencyMicros: number, serviceMicros: number, phase: number, completedPhase: number): void {
    const counters = this.#counters(target);
    const step = phase >= 0 ? this.#phase(phase, target) : undefined;
    const perEndpoint = endpoint === undefined ? undefined : this.#endpoint(endpoint, target);
    if (perEndpoint) {
      if (outcome.ok) {
        perEndpoint.responses++;
        perEndpoint.latency.record(latencyMicros);
        if (outcome.status >= 500) perEndpoint.errors++;
      } else perEndpoint.errors++;
    }
    if (outcome.ok) {
      counters.responses++;
      const status = outcome.statusName ?? String(outcome.status);
      counters.statusCodes[status] = (counters.statusCodes[status] ?? 0) + 1;
      if (outcome.status >= 500) counters.errors++;
      counters.latency.record(latencyMicros);
      counters.service.record(serviceMicros);
      if (step) {
        step.responses++;
        if (outcome.status >= 500) step.errors++;
        step.latency.record(latencyMicros);
        step.latencySumMicros += latencyMicros;
      }
      if (completedPhase >= 0) this.#phase(completedPhase, target).completed++;
    } else {
      counters.errors++;
      counters.transportErrors++;
      counters.errorKinds[outcome.error] = (counters.errorKinds[outcome.error] ?? 0) + 1;
      if (step) step.errors++;
    }
  }

  pair(pair: PairInput): void {
    this.#comparator.compare(pair, this.#diff);
  }

  /** Deltas since the previous call; counters restart from zero, `done` stays cumulative. */
  take(): IntervalData {
    const targets: Partial<Record<TargetName, TargetInterval>> = {};
    for (const [name, c] of this.#targets) {
      targets[name] = {
        requests: c.requests,
        responses: c.responses,
        errors: c.errors,
        transportErrors: c.transportErrors,
        errorKinds: c.errorKinds,
        statusCodes: c.statusCodes,
        histogram: c.latency.takeDelta(),
        service: c.service.takeDelta(),
      };
      c.requests = c.responses = c.errors = c.transportErrors = 0;
      c.errorKinds = {};
      c.statusCodes = {};
    }
    const phases: Record<string, Partial<Record<TargetName, PhaseInterval>>> = {};
    for (const index of this.#touched) {
      const entry: Partial<Record<TargetName, PhaseInterval>> = {};
      for (const [name, p] of this.#phases.get(index) ?? []) {
        entry[name] = { requests: p.requests, responses: p.responses, errors: p.errors, completed: p.completed, latencySumMicros: p.latencySumMicros, histogram: p.latency.takeDelta() };
        p.requests = p.responses = p.errors = p.completed = p.latencySumMicros = 0;
      }
      phases[String(index)] = entry;
    }
    this.#touched.clear();
    const endpoints: Record<string, Partial<Record<TargetName, EndpointInterval>>> = {};
    for (const name of this.#touchedEndpoints) {
      const entry: Partial<Record<TargetName, EndpointInterval>> = {};
      for (const [target, e] of this.#endpoints.get(name) ?? []) {
        entry[target] = { requests: e.requests, responses: e.responses, errors: e.errors, histogram: e.latency.takeDelta() };
        e.requests = e.responses = e.errors = 0;
      }
      endpoints[name] = entry;
    }
    this.#touchedEndpoints.clear();
    const data: IntervalData = {
      done: this.#done,
      targets,
      diff: this.#diff,
      skipped: this.#skipped,
      scheduler: { late: this.#late, maxLagMs: this.#maxLagMs, dispatched: this.#dispatched, lag: this.#lag.takeDelta() },
      phases,
      endpoints,
    };
    this.#diff = createTally();
    this.#skipped = {};
    this.#late = 0;
    this.#maxLagMs = 0;
    this.#dispatched = 0;
    return data;
  }

  #counters(target: TargetName): TargetCounters {
    let counters = this.#targets.get(target);
    if (!counters) this.#targets.set(target, (counters = freshCounters()));
    return counters;
  }

  #endpoint(template: string, target: TargetName): EndpointCounters {
    let name = template;
    let byTarget = this.#endpoints.get(name);
    if (!byTarget) {
      if (this.#endpoints.size >= MAX_ENDPOINTS) name = OTHER_ENDPOINTS;
      byTarget = this.#endpoints.get(name);
      if (!byTarget) this.#endpoints.set(name, (byTarget = new Map()));
    }
    this.#touchedEndpoints.add(name);
    let counters = byTarget.get(target);
    if (!counters) {
      counters = { requests: 0, responses: 0, errors: 0, latency: new IntervalHistogram() };
      byTarget.set(target, counters);
    }
    return counters;
  }

  #phase(index: number, target: TargetName): PhaseCounters {
    this.#touched.add(index);
    let byTarget = this.#phases.get(index);
    if (!byTarget) this.#phases.set(index, (byTarget = new Map()));
    let counters = byTarget.get(target);
    if (!counters) {
      counters = { requests: 0, responses: 0, errors: 0, completed: 0, latencySumMicros: 0, latency: new IntervalHistogram() };
      byTarget.set(target, counters);
    }
    return counters;
  }
}

function freshCounters(): TargetCounters {
  return {
    ...emptyTargetCounts(),
    latency: new IntervalHistogram(),
    service: new IntervalHistogram(),
  };
}
