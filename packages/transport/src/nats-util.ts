// Helpers shared by the NATS-backed parts of the bus (`nats-bus.ts`, `nats-traffic.ts`): retry of
// transient JetStream failures, bounded closing, and error inspection.
import type { ConsumerMessages } from "@nats-io/jetstream";
import type { Logger } from "@parallax/protocol";

/** Stream and blob operations retry transient failures (server restarting, JetStream recovering) this long. */
export const RETRY_FOR_MS = 30_000;
const RETRY_PAUSES_MS = [100, 250, 250, 500, 1_000] as const;
/** Time to wait for the stream's ack of one publish attempt. */
export const PUBLISH_ACK_TIMEOUT_MS = 5_000;
/** Pull requests expire after this; the server heartbeats every half of it, 2 missed = reset. */
export const PULL_EXPIRES_MS = 5_000;
/** `close()` drains for at most this long, then closes hard (the server may be gone). */
export const CLOSE_TIMEOUT_MS = 3_000;

/** The bus could not be reached: connect failed, or an operation kept failing for its whole retry budget. */
export class BusUnavailableError extends Error {
  override readonly name = "BusUnavailableError";
}

/** Timeouts, no responders (JetStream not yet back after a restart) and 503s are worth retrying. */
export function isTransient(error: unknown): boolean {
  if (hasErrorNamed(error, "TimeoutError") || hasErrorNamed(error, "NoResponders") || hasErrorNamed(error, "JetStreamNotEnabled")) return true;
  const status = (error as { status?: unknown } | null)?.status;
  return hasErrorNamed(error, "JetStreamApiError") && status === 503;
}

export async function retryTransient<T>(what: string, live: () => boolean, logger: Logger, operation: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error) || !live()) throw error;
      const elapsed = Date.now() - started;
      if (elapsed >= RETRY_FOR_MS) {
        throw new BusUnavailableError(`${what} failed for ${Math.round(elapsed / 1000)} s (${attempt + 1} attempts): ${reason(error)}`, { cause: error });
      }
      logger.debug({ attempt: attempt + 1, err: reason(error) }, `${what}: transient failure, retrying`);
      await sleep(pause(attempt));
    }
  }
}

/** Back-off before retry number `attempt` (0-based). */
export function pause(attempt: number): number {
  return RETRY_PAUSES_MS[Math.min(attempt, RETRY_PAUSES_MS.length - 1)] ?? 1_000;
}

export async function closeMessages(messages: ConsumerMessages | undefined): Promise<void> {
  if (!messages) return;
  await raceTimeout(
    messages.close().catch(() => undefined),
    CLOSE_TIMEOUT_MS,
  );
}

/** True when `error` or any error in its `cause` chain has that `name`. */
export function hasErrorNamed(error: unknown, name: string): boolean {
  return errorNamed(error, name) !== undefined;
}

/** The JetStream API error code (e.g. 10099) in `error`'s `cause` chain, if there is one. */
export function jetStreamErrorCode(error: unknown): number | undefined {
  const code = (errorNamed(error, "JetStreamApiError") as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

function errorNamed(error: unknown, name: string): Error | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === name) return e;
  }
  return undefined;
}

export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function ignoreErrors(action: () => unknown): void {
  try {
    action();
  } catch {
    // closed connection: nothing to do
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}
