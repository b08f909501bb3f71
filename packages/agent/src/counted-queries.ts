// Asks a shadow job's coordinator, in batches, which redelivered exchanges a stored snapshot
// already counted. A question nobody answers is asked again until it is answered or cancelled:
// the exchange is neither compared (it may be counted already) nor dropped (it may not be).
import { SUBJECTS, decodeMessage, encodeMessage, type Logger } from "@parallax/protocol";
import type { Bus } from "@parallax/transport";

export interface CountedQueryOptions {
  /** Ids asked within this long go in one request. */
  readonly batchMs: number;
  /** At most this many ids per request. */
  readonly maxIds: number;
  /** How long one request waits for the coordinator's answer. */
  readonly timeoutMs: number;
  /** Pause before a batch that got no (usable) answer is asked again. */
  readonly retryMs: number;
}

export const COUNTED_QUERY_DEFAULTS: CountedQueryOptions = Object.freeze({ batchMs: 10, maxIds: 500, timeoutMs: 2000, retryMs: 1000 });

/** `counted`: a stored snapshot already counted it; `new`: none did; `cancelled`: asking stopped first. */
export type CountedAnswer = "counted" | "new" | "cancelled";

export class CountedQueries {
  readonly #bus: Bus;
  readonly #runId: string;
  readonly #options: CountedQueryOptions;
  readonly #log: Logger;
  /** Ids waiting to be asked (in the next batch), each with whoever waits for its answer. */
  readonly #waiting = new Map<string, Array<(answer: CountedAnswer) => void>>();
  /** Ids of requests under way, with their waiters. */
  readonly #asking = new Map<string, Array<(answer: CountedAnswer) => void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #flushScheduled = false;
  /** One request at a time: a silent coordinator is not asked ever more often. */
  #requesting = false;
  #cancelled = false;
  /** The coordinator has not answered since this many requests; logged once per outage. */
  #failing = 0;

  constructor(bus: Bus, runId: string, log: Logger, options: CountedQueryOptions = COUNTED_QUERY_DEFAULTS) {
    this.#bus = bus;
    this.#runId = runId;
    this.#options = options;
    this.#log = log;
  }

  ask(id: string): Promise<CountedAnswer> {
    if (this.#cancelled) return Promise.resolve("cancelled");
    return new Promise((resolve) => {
      const waiters = this.#asking.get(id) ?? this.#waiting.get(id);
      if (waiters) waiters.push(resolve);
      else this.#waiting.set(id, [resolve]);
      if (!this.#requesting) this.#scheduleFlush(this.#options.batchMs);
    });
  }

  /** Every open question is answered `cancelled`; nothing is asked any more. */
  cancel(): void {
    this.#cancelled = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const map of [this.#waiting, this.#asking]) {
      for (const waiters of map.values()) for (const resolve of waiters) resolve("cancelled");
      map.clear();
    }
  }

  #scheduleFlush(delayMs: number): void {
    if (this.#flushScheduled || this.#cancelled) return;
    this.#flushScheduled = true;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#flushScheduled = false;
      this.#flush();
    }, delayMs);
    this.#timers.add(timer);
  }

  #flush(): void {
    if (this.#requesting || this.#waiting.size === 0 || this.#cancelled) return;
    const ids: string[] = [];
    for (const [id, waiters] of this.#waiting) {
      if (ids.length >= this.#options.maxIds) break;
      ids.push(id);
      this.#asking.set(id, waiters);
    }
    for (const id of ids) this.#waiting.delete(id);
    this.#requesting = true;
    void this.#request(ids).then((pauseMs) => {
      this.#requesting = false;
      if (this.#waiting.size > 0) this.#scheduleFlush(pauseMs);
    });
  }

  /** Never rejects; resolves with how long to wait before the next batch: none after an answer, a pause otherwise. */
  async #request(ids: readonly string[]): Promise<number> {
    let counted: ReadonlySet<string> | undefined;
    try {
      const reply = await this.#bus.request(SUBJECTS.shadowCounted(this.#runId), encodeMessage("parallax.v1.counted-query", { runId: this.#runId, ids: [...ids] }), {
        timeoutMs: this.#options.timeoutMs,
      });
      const decoded = decodeMessage(reply);
      if (!decoded.ok) throw new Error(`bad reply: ${decoded.error}`);
      if (decoded.message.type !== "parallax.v1.counted" || decoded.message.runId !== this.#runId) throw new Error(`unexpected reply ${decoded.message.type}`);
      counted = new Set(decoded.message.ids);
    } catch (error) {
      if (this.#cancelled) return 0;
      if (this.#failing++ === 0) this.#log.warn({ err: error, ids: ids.length }, "coordinator did not answer which redelivered exchanges it counted; holding them and asking again");
      // Back in line: asked again after the pause, with whatever else came in meanwhile.
      for (const id of ids) {
        const waiters = this.#asking.get(id);
        if (!waiters) continue;
        this.#asking.delete(id);
        const queued = this.#waiting.get(id);
        this.#waiting.set(id, queued ? [...waiters, ...queued] : waiters);
      }
      return this.#options.retryMs;
    }
    if (this.#failing > 0) this.#log.info({ failed: this.#failing }, "coordinator answers again which redelivered exchanges it counted");
    this.#failing = 0;
    for (const id of ids) {
      const waiters = this.#asking.get(id);
      if (!waiters) continue;
      this.#asking.delete(id);
      const answer: CountedAnswer = counted.has(id) ? "counted" : "new";
      for (const resolve of waiters) resolve(answer);
    }
    return 0;
  }
}
