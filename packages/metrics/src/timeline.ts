import { addHistogram, createLatencyHistogram, type LatencyHistogram } from "./histogram.js";
import type { LoggedInterval } from "./interval-log.js";

/**
 * A latency histogram per second of a run, merged from any number of agents' interval deltas:
 * what an HdrHistogram interval log shows. A delta lands in the second its window ends in
 * (agents' windows are about a second long but not aligned with one another).
 */
export class LatencyTimeline {
  readonly #seconds = new Map<number, LatencyHistogram>();

  /** `toMs`: where the delta's window ended, ms after the run's start instant. */
  add(toMs: number, delta: LatencyHistogram): void {
    if (delta.totalCount === 0) return;
    const second = Math.max(0, Math.ceil(toMs / 1000) - 1);
    let histogram = this.#seconds.get(second);
    if (!histogram) this.#seconds.set(second, (histogram = createLatencyHistogram()));
    addHistogram(histogram, delta);
  }

  /** One interval per second that saw a response, in order. */
  intervals(): LoggedInterval[] {
    return [...this.#seconds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([second, histogram]) => ({ startMs: second * 1000, durationMs: 1000, histogram }));
  }
}
