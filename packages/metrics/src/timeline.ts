import { decodeHistogram } from "./encoding.js";
import { addHistogram, createLatencyHistogram, type LatencyHistogram } from "./histogram.js";
import { encodeInterval, type EncodedInterval, type LoggedInterval } from "./interval-log.js";

/** Seconds this far behind the newest one seen are encoded: agents' deltas for them have all arrived. */
const SEAL_AFTER_SECONDS = 5;

/**
 * A latency histogram per second of a run, merged from any number of agents' interval deltas:
 * what an HdrHistogram interval log shows. A delta lands in the second its window ends in
 * (agents' windows are about a second long but not aligned with one another). Only the last few
 * seconds are kept as histograms; older ones are encoded (hundreds of bytes, not a counts array),
 * so a day-long run stays small.
 */
export class LatencyTimeline {
  readonly #live = new Map<number, LatencyHistogram>();
  readonly #sealed = new Map<number, EncodedInterval>();
  #newest = 0;

  /** `toMs`: where the delta's window ended, ms after the run's start instant. */
  add(toMs: number, delta: LatencyHistogram): void {
    if (delta.totalCount === 0) return;
    const second = Math.max(0, Math.ceil(toMs / 1000) - 1);
    let histogram = this.#live.get(second);
    if (!histogram) {
      histogram = createLatencyHistogram();
      // A straggler for a second already sealed: reopen it (rare: an agent far behind the others).
      const sealed = this.#sealed.get(second);
      if (sealed) {
        addHistogram(histogram, decodeHistogram(sealed.encoded));
        this.#sealed.delete(second);
      }
      this.#live.set(second, histogram);
    }
    addHistogram(histogram, delta);
    this.#newest = Math.max(this.#newest, second);
    this.#seal(this.#newest - SEAL_AFTER_SECONDS);
  }

  /** One interval per second that saw a response, in order. */
  intervals(): LoggedInterval[] {
    this.#seal(Infinity);
    return [...this.#sealed.entries()]
      .sort(([a], [b]) => a - b)
      .map(([second, histogram]) => ({ startMs: second * 1000, durationMs: 1000, histogram }));
  }

  #seal(before: number): void {
    for (const [second, histogram] of this.#live) {
      if (second >= before) continue;
      this.#sealed.set(second, encodeInterval(histogram));
      this.#live.delete(second);
    }
  }
}
