import { performance } from "node:perf_hooks";

/** Time, injected so schedules can be reasoned about and tests can steer it. */
export interface Clock {
  /** Monotonic milliseconds (sub-ms precision); only differences mean anything. */
  now(): number;
  /** Wall-clock milliseconds since the epoch; used only to agree on instants across machines. */
  wallNow(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
};

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
