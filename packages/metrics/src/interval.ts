import { encodeHistogram } from "./encoding.js";
import { createLatencyHistogram, type LatencyHistogram } from "./histogram.js";

/** Per-interval recording for the 1-second snapshots: record, then `takeDelta()` ships and clears what was recorded. */
export class IntervalHistogram {
  readonly #histogram: LatencyHistogram = createLatencyHistogram();

  record(micros: number): void {
    this.#histogram.record(micros);
  }

  /** Values recorded since the last `takeDelta()`. */
  get count(): number {
    return this.#histogram.totalCount;
  }

  /** The encoded delta since the previous call (an empty histogram if nothing was recorded); resets. */
  takeDelta(): string {
    const encoded = encodeHistogram(this.#histogram);
    this.#histogram.reset();
    return encoded;
  }
}
