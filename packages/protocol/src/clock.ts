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
