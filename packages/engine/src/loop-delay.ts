import { IntervalHistogram } from "@parallax/metrics";
import type { Clock } from "./clock.js";

/** How often the sampler asks to run; its lateness is the event loop's delay. */
const SAMPLE_MS = 10;

/**
 * Event-loop delay of the load generator, as a histogram: a timer asks to run every 10 ms and
 * records how late it ran. A generator whose loop is delayed cannot send on time, so this is
 * the first witness when the generator, not the target, is the bottleneck.
 */
export class LoopDelaySampler {
  readonly #clock: Clock;
  readonly #histogram = new IntervalHistogram();
  #timer: NodeJS.Timeout | undefined;
  #expected = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(): void {
    if (this.#timer) return;
    this.#expected = this.#clock.now() + SAMPLE_MS;
    this.#timer = setInterval(() => {
      const now = this.#clock.now();
      this.#histogram.record(Math.max(0, now - this.#expected) * 1000);
      this.#expected = now + SAMPLE_MS;
    }, SAMPLE_MS);
    this.#timer.unref();
  }

  /** The delays recorded since the previous call, encoded; resets. */
  takeDelta(): string {
    return this.#histogram.takeDelta();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
