import type { Comparator, Outcome } from "@parallax/diff";
import { IntervalSink, type Clock, type PreparedRequest, type ProtoRegistry, type Target } from "@parallax/engine";
import { decodeExchange, type CapturedExchange, type DiffTally, type Logger, type MessageOf, type Payload, type TargetName } from "@parallax/protocol";
import type { Scenario } from "@parallax/scenario";
import type { Bus, Subscription, TrafficMessage } from "@parallax/transport";
import { COUNTED_QUERY_DEFAULTS, CountedQueries, type CountedQueryOptions } from "./counted-queries.js";
import { comparatorFor, warmUpTally } from "./comparison.js";
import type { TargetFactory } from "./run.js";
import { UNPREPARABLE_REASON, capturedOutcome, exchangePreparer, type ExchangePreparer } from "./shadow-exchange.js";
import { shadowSampled } from "./shadow-sample.js";

/** What `parallax.v1.prepare` asks of a shadow job. */
export type ShadowJob = NonNullable<MessageOf<"parallax.v1.prepare">["shadow"]>;
/** A snapshot's stream accounting. */
export type ShadowSection = NonNullable<Payload<"parallax.v1.snapshot">["shadow"]>;

/** The shadow targets, in the order they are sent to; production is never sent to (its answer was captured). */
const SENT_TO: readonly TargetName[] = ["candidate", "secondary"];

export interface ShadowRunOptions {
  readonly runId: string;
  readonly epoch: number;
  readonly scenario: Scenario;
  readonly job: ShadowJob;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly createTarget: TargetFactory;
  /** Keyed by target URL: the only addresses each may connect to. */
  readonly pinnedAddresses: ReadonlyMap<string, readonly string[]>;
  readonly protos?: ProtoRegistry | undefined;
  readonly countedQueries?: CountedQueryOptions;
}

interface Delivery {
  readonly message: TrafficMessage;
  /** When it was received or last kept alive with `working()` (monotonic ms). */
  touchedAt: number;
}

/**
 * One exchange this agent holds, with every delivery of it that reached us (a redelivery to the
 * agent that still holds it joins the first). `asking`: redelivered, waiting for the coordinator
 * to say whether it was counted; `queued`: waiting for a comparison slot; `comparing`: sent;
 * `counted`: in an interval whose snapshot is not stored yet; `settled`: acked or nak'd.
 */
interface Held {
  readonly id: string;
  readonly exchange: CapturedExchange;
  readonly deliveries: Delivery[];
  state: "asking" | "queued" | "comparing" | "counted" | "settled";
}

/** One interval's stream accounting, and what to do with its messages once its snapshot is stored (or lost). */
export interface ShadowInterval {
  readonly section: ShadowSection;
  /** Stored: ack every message it accounts for. Lost: nak them, so they are counted again elsewhere. */
  settle(stored: boolean): void;
}

function emptyCounts(): Omit<ShadowSection, "exchanges"> {
  return { received: 0, sampledOut: 0, redelivered: 0, duplicates: 0, malformed: 0 };
}

/**
 * A shadow job: consumes the traffic stream through the shared durable consumer, sends each
 * sampled exchange's request to the candidate (and secondary) at one instant, and compares their
 * answers with production's captured one through the same sink and comparator as a load run.
 *
 * Every message is accounted for exactly once per snapshot: `received` = `exchanges` (compared or
 * held back) + `sampledOut` + `malformed` + `duplicates`. Sampled-out and malformed messages are
 * acked on receipt; an exchange (or a duplicate) is acked only once the snapshot carrying it is
 * stored, so an agent that dies before that loses nothing: the stream redelivers it, and the
 * coordinator tells the next agent whether a stored snapshot counted it already.
 */
export class ShadowRun {
  readonly planned = 0;
  readonly sink: IntervalSink;
  readonly #o: ShadowRunOptions;
  readonly #log: Logger;
  readonly #targets: Target[] = [];
  readonly #comparator: Comparator;
  readonly #preparer: ExchangePreparer;
  readonly #queries: CountedQueries;
  /** By exchange id, from receipt until acked or nak'd. */
  readonly #held = new Map<string, Held>();
  readonly #queue: Held[] = [];
  readonly #comparisons = new Set<Promise<void>>();
  #exchanges: string[] = [];
  #counts = emptyCounts();
  #settleLater: Held[] = [];
  #consuming = false;
  #subscription: Subscription | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #index = 0;
  #notStarted = 0;

  constructor(options: ShadowRunOptions) {
    this.#o = options;
    const { scenario, runId } = options;
    this.#log = options.logger.child({ component: "shadow", runId });
    for (const name of SENT_TO) {
      const spec = scenario.targets[name];
      if (spec) this.#targets.push(options.createTarget(name, spec, scenario, (url) => options.pinnedAddresses.get(url)));
    }
    this.#comparator = comparatorFor(scenario);
    this.sink = new IntervalSink(this.#comparator, ["production", ...this.#targets.map((t) => t.name)]);
    this.#preparer = exchangePreparer({ runId, allowUnsafeProduction: scenario.compare.allowUnsafeProduction, endpoints: scenario.compare.endpoints, protos: options.protos });
    this.#queries = new CountedQueries(options.bus, runId, this.#log, options.countedQueries ?? COUNTED_QUERY_DEFAULTS);
  }

  get runId(): string {
    return this.#o.runId;
  }

  get epoch(): number {
    return this.#o.epoch;
  }

  /** A synthetic pair compared by this job's rules: what the warm-up pushes through before the start. */
  warmUpTally(): DiffTally {
    return warmUpTally(this.#comparator, "GET /", { index: 0, offsetMs: 0, method: "GET", path: "/", headers: [] });
  }


  /**
   * Consumes until `signal` aborts; then stops taking messages, naks those not started (waiting
   * for the coordinator's answer or for a slot) and lets the comparisons under way finish (each
   * bounded by its target's timeout). What they counted goes into the next `takeInterval`.
   */
  async run(signal: AbortSignal): Promise<{ readonly done: number; readonly notSent: number }> {
    const { job, bus } = this.#o;
    if (!signal.aborted) {
      const period = Math.max(1, Math.floor(job.ackWaitMs / 4));
      this.#keepAlive = setInterval(() => this.#keepHeldAlive(), period);
      this.#keepAlive.unref();
      this.#consuming = true;
      this.#subscription = bus.traffic.consume(job.stream, job.durable, { ackWaitMs: job.ackWaitMs, maxInFlight: job.maxInFlight }, (m) => this.#receive(m));
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    this.#stopConsuming();
    while (this.#comparisons.size > 0) await Promise.all(this.#comparisons);
    return { done: this.sink.done, notSent: this.#notStarted };
  }

  /** The accounting since the last call; the caller settles it once the snapshot carrying it is stored or lost. */
  takeInterval(): ShadowInterval {
    const section: ShadowSection = { exchanges: this.#exchanges, ...this.#counts };
    const held = this.#settleLater;
    this.#exchanges = [];
    this.#counts = emptyCounts();
    this.#settleLater = [];
    return {
      section,
      settle: (stored) => {
        for (const h of held) this.#settle(h, stored);
      },
    };
  }

  /** Opens the candidate's and secondary's connections that can be opened without a request (gRPC channels). */
  async connect(timeoutMs: number): Promise<void> {
    await Promise.all(this.#targets.map((t) => t.connect?.(timeoutMs)));
  }

  /** After the final snapshot is settled: nothing is held any more; anything still held is nak'd, never silently kept. */
  async close(): Promise<void> {
    this.#stopConsuming();
    clearInterval(this.#keepAlive);
    for (const h of [...this.#held.values()]) this.#settle(h, false);
    await Promise.all(this.#targets.map((t) => t.close()));
  }

  #stopConsuming(): void {
    if (this.#subscription === undefined && !this.#consuming) return;
    this.#consuming = false;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#queries.cancel();
    for (const h of [...this.#held.values()]) {
      if (h.state !== "asking" && h.state !== "queued") continue;
      this.#notStarted++;
      this.#settle(h, false);
    }
    this.#queue.length = 0;
  }

  #receive(message: TrafficMessage): void {
    // Anything arriving after the stop goes straight back for another agent.
    if (!this.#consuming) {
      message.nak();
      return;
    }
    const redelivered = message.deliveries > 1;
    const decoded = decodeExchange(message.data);
    if (!decoded.ok) {
      this.#count("malformed", redelivered);
      message.ack();
      return;
    }
    const exchange = decoded.exchange;
    if (!shadowSampled(exchange.id, this.#o.job.sample)) {
      this.#count("sampledOut", redelivered);
      message.ack();
      return;
    }
    const delivery: Delivery = { message, touchedAt: this.#o.clock.now() };
    const mine = this.#held.get(exchange.id);
    if (mine) {
      // Delivered again while this agent still holds it (its ack wait passed): it is counted once,
      // with the first delivery, and this one is settled with it.
      mine.deliveries.push(delivery);
      this.#count("duplicates", redelivered);
      return;
    }
    const held: Held = { id: exchange.id, exchange, deliveries: [delivery], state: redelivered ? "asking" : "queued" };
    this.#held.set(held.id, held);
    if (redelivered) void this.#ask(held);
    else this.#begin(held);
  }

  /** A redelivery may have been counted by a snapshot already stored (its agent died before acking). */
  async #ask(held: Held): Promise<void> {
    const answer = await this.#queries.ask(held.id);
    if (held.state !== "asking" || answer === "cancelled") return;
    if (answer === "counted") {
      held.state = "counted";
      this.#count("duplicates", true);
      this.#settleLater.push(held);
      return;
    }
    held.state = "queued";
    this.#begin(held);
  }

  /** The consumer caps deliveries at maxInFlight; this holds the line should more ever arrive. */
  #begin(held: Held): void {
    if (this.#comparisons.size >= this.#o.job.maxInFlight) {
      this.#queue.push(held);
      return;
    }
    held.state = "comparing";
    const comparison = this.#compare(held)
      .catch((error: unknown) => {
        // A bug, not a target's failure (those are outcomes): the exchange goes back to the stream.
        this.#log.error({ id: held.id, err: error }, "comparison failed; the exchange goes back to the stream");
        this.#settle(held, false);
      })
      .finally(() => {
        this.#comparisons.delete(comparison);
        // Skip those a stop already gave back.
        for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
          if (next.state !== "queued") continue;
          this.#begin(next);
          break;
        }
      });
    this.#comparisons.add(comparison);
  }

  async #compare(held: Held): Promise<void> {
    const { exchange } = held;
    const redelivered = held.deliveries[0]?.message.deliveries !== 1;
    let request: PreparedRequest;
    try {
      request = this.#preparer.prepare(exchange, this.#index++);
    } catch (error) {
      this.#log.debug({ id: exchange.id, err: error }, "captured request cannot be replayed");
      this.sink.heldBack(UNPREPARABLE_REASON);
      this.#counted(held, redelivered);
      return;
    }
    if (request.heldBack !== undefined) {
      this.sink.heldBack(request.heldBack);
      this.#counted(held, redelivered);
      return;
    }
    const { clock } = this.#o;
    // Sent to every target at one instant; each latency runs from it (production's was measured by the tap).
    const sentAt = clock.now();
    const answers = await Promise.all(
      this.#targets.map(async (target) => {
        const outcome = await target.send(request);
        return { outcome, micros: (clock.now() - sentAt) * 1000 };
      }),
    );
    if (held.state !== "comparing") return;
    // Everything about one exchange is recorded in one turn, so one snapshot carries all of it
    // or none (an exchange redelivered after a lost snapshot is then counted exactly once).
    const { sink } = this;
    const { endpoint } = request;
    const production = capturedOutcome(exchange.response, this.#o.scenario.compare.headers);
    sink.dispatched(undefined);
    sink.sent("production", endpoint, -1);
    sink.response("production", endpoint, production, exchange.latencyMicros, exchange.latencyMicros, -1, -1);
    let candidate: Outcome | undefined;
    let secondary: Outcome | undefined;
    this.#targets.forEach((target, k) => {
      const answer = answers[k];
      if (!answer) return;
      sink.sent(target.name, endpoint, -1);
      sink.response(target.name, endpoint, answer.outcome, answer.micros, answer.micros, -1, -1);
      if (target.name === "candidate") candidate = answer.outcome;
      else if (target.name === "secondary") secondary = answer.outcome;
    });
    if (candidate) sink.pair({ endpoint, request: request.source, production, candidate, ...(secondary ? { secondary } : {}) });
    this.#counted(held, redelivered);
  }

  /** Compared or held back: in this interval, acked once its snapshot is stored. */
  #counted(held: Held, redelivered: boolean): void {
    held.state = "counted";
    this.#exchanges.push(held.id);
    this.#count(undefined, redelivered);
    this.#settleLater.push(held);
  }

  #count(kind: "malformed" | "sampledOut" | "duplicates" | undefined, redelivered: boolean): void {
    const counts = this.#counts;
    counts.received++;
    if (redelivered) counts.redelivered++;
    if (kind !== undefined) counts[kind]++;
  }

  #settle(held: Held, stored: boolean): void {
    if (held.state === "settled") return;
    held.state = "settled";
    if (this.#held.get(held.id) === held) this.#held.delete(held.id);
    for (const { message } of held.deliveries) {
      if (stored) message.ack();
      else message.nak();
    }
  }

  /** Held past half the ack wait (a slow comparison, a snapshot not stored yet, a silent coordinator): still ours. */
  #keepHeldAlive(): void {
    const now = this.#o.clock.now();
    const due = this.#o.job.ackWaitMs / 2;
    for (const held of this.#held.values()) {
      for (const delivery of held.deliveries) {
        if (now - delivery.touchedAt < due) continue;
        delivery.message.working();
        delivery.touchedAt = now;
      }
    }
  }
}
