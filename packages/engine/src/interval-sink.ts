import type { Comparator} from "@parallax/diff";
import { createTally, type Outcome, type PairInput } from "@parallax/diff";
import { IntervalHistogram } from "@parallax/metrics";
import type { DiffTally, TargetCounts, TargetInterval, TargetName } from "@parallax/protocol";

/** A send counts as late when it left more than this after its intended time. */
export const LATE_THRESHOLD_MS = 10;

/** What the engine reports as it runs. */
export interface Sink {
  /** A scheduled request was sent (to every target) `lagMs` after its intended time. */
  dispatched(lagMs: number): void;
  /** A scheduled request was held back; not sent to any target. */
  heldBack(reason: string): void;
  sent(target: TargetName): void;
  /** One target's answer; `latencyMicros` counts from the intended send time. */
  response(target: TargetName, outcome: Outcome, latencyMicros: number): void;
  /** Every target of a pair has answered (or failed). */
  pair(pair: PairInput): void;
}

type TargetCounters = TargetCounts & { readonly latency: IntervalHistogram };

/** The part of a snapshot the engine owns: deltas since the last `take`, plus cumulative progress. */
export interface IntervalData {
  readonly done: number;
  readonly targets: Partial<Record<TargetName, TargetInterval>>;
  readonly diff: DiffTally;
  readonly skipped: Record<string, number>;
  readonly scheduler: { readonly late: number; readonly maxLagMs: number };
}

/** Accumulates per-interval deltas that the agent ships as snapshots every second. */
export class IntervalSink implements Sink {
  readonly #comparator: Comparator;
  readonly #targets = new Map<TargetName, TargetCounters>();
  #diff: DiffTally = createTally();
  #skipped: Record<string, number> = {};
  #late = 0;
  #maxLagMs = 0;
  #done = 0;

  constructor(comparator: Comparator, targets: readonly TargetName[]) {
    this.#comparator = comparator;
    for (const name of targets) this.#targets.set(name, freshCounters());
  }

  get done(): number {
    return this.#done;
  }

  dispatched(lagMs: number): void {
    this.#done++;
    if (lagMs > LATE_THRESHOLD_MS) this.#late++;
    if (lagMs > this.#maxLagMs) this.#maxLagMs = lagMs;
  }

  heldBack(reason: string): void {
    this.#done++;
    this.#skipped[reason] = (this.#skipped[reason] ?? 0) + 1;
  }

  sent(target: TargetName): void {
    this.#counters(target).requests++;
  }

  response(target: TargetName, outcome: Outcome, latencyMicros: number): void {
    const counters = this.#counters(target);
    if (outcome.ok) {
      counters.responses++;
      const status = String(outcome.status);
      counters.statusCodes[status] = (counters.statusCodes[status] ?? 0) + 1;
      if (outcome.status >= 500) counters.errors++;
      counters.latency.record(latencyMicros);
    } else {
      counters.errors++;
      counters.transportErrors++;
      counters.errorKinds[outcome.error] = (counters.errorKinds[outcome.error] ?? 0) + 1;
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
      };
      c.requests = c.responses = c.errors = c.transportErrors = 0;
      c.errorKinds = {};
      c.statusCodes = {};
    }
    const data: IntervalData = {
      done: this.#done,
      targets,
      diff: this.#diff,
      skipped: this.#skipped,
      scheduler: { late: this.#late, maxLagMs: this.#maxLagMs },
    };
    this.#diff = createTally();
    this.#skipped = {};
    this.#late = 0;
    this.#maxLagMs = 0;
    return data;
  }

  #counters(target: TargetName): TargetCounters {
    let counters = this.#targets.get(target);
    if (!counters) this.#targets.set(target, (counters = freshCounters()));
    return counters;
  }
}

function freshCounters(): TargetCounters {
  return { requests: 0, responses: 0, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: {}, latency: new IntervalHistogram() };
}
