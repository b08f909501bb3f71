// What both implementations of `TrafficStreams` (NATS and memory) share: name and option checks,
// the dedupe window, and the error for a stream nobody created.

/** A second publish with the same id within this long is stored once (capped by the retention). */
export const TRAFFIC_DEDUPE_WINDOW_MS = 2 * 60 * 1000;

/** The traffic stream has not been created (`ensure`) yet, or was deleted. */
export class TrafficStreamNotFoundError extends Error {
  override readonly name = "TrafficStreamNotFoundError";
  readonly stream: string;
  constructor(stream: string, options?: ErrorOptions) {
    super(`traffic stream "${stream}" does not exist (nothing ensured it: start the tap first)`, options);
    this.stream = stream;
  }
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Stream and durable names become subject tokens and JetStream names: letters, digits, `_` and `-` only. */
export function checkTrafficName(what: "traffic stream" | "durable consumer", name: string): void {
  if (!TOKEN.test(name)) throw new RangeError(`${what} name ${JSON.stringify(name)} is invalid: use letters, digits, "_" and "-" only`);
}

export function checkRetention(retainMs: number): void {
  if (!Number.isFinite(retainMs) || retainMs <= 0) throw new RangeError(`retainMs must be a positive number of milliseconds, got ${retainMs}`);
}

export function checkConsumeOptions(options: { readonly ackWaitMs: number; readonly maxInFlight: number }): void {
  if (!Number.isFinite(options.ackWaitMs) || options.ackWaitMs <= 0) throw new RangeError(`ackWaitMs must be a positive number of milliseconds, got ${options.ackWaitMs}`);
  if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new RangeError(`maxInFlight must be an integer >= 1, got ${options.maxInFlight}`);
}

/** How long a re-published id is recognised: the dedupe window, but never longer than messages are kept. */
export function dedupeWindowMs(retainMs: number): number {
  return Math.min(TRAFFIC_DEDUPE_WINDOW_MS, retainMs);
}
