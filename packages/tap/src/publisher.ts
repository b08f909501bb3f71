// Publishes captured exchanges to the traffic stream off the request path: a bounded queue
// that drops (and counts) when full, and a bounded number of publishes in flight.
import { encodeExchange, InvalidInputError, silentLogger, systemClock, type CapturedExchange, type Clock, type Issue, type Logger } from "@parallax/protocol";
import type { ExchangeSink } from "./sink.js";

/** Stores one encoded exchange; resolves once the stream has it (`bus.traffic.publish` bound to a stream). */
export type PublishFunction = (data: Uint8Array, id: string) => Promise<void>;

export const PUBLISHER_DEFAULTS = Object.freeze({
  /** Exchanges waiting to be published; past it (or past maxQueueBytes) new ones are dropped. */
  maxQueue: 10_000,
  maxQueueBytes: 64 * 1024 * 1024,
  /** Publishes awaiting the stream's acknowledgement at once. */
  concurrency: 32,
  /** NATS's default max_payload (1 MiB) less room for the message's headers. */
  maxMessageBytes: 1024 * 1024 - 4096,
  /** At most one warning per this long while publishes fail. */
  failureLogIntervalMs: 10_000,
});

export interface PublisherOptions {
  readonly publish: PublishFunction;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly maxQueue?: number;
  readonly maxQueueBytes?: number;
  readonly concurrency?: number;
  readonly maxMessageBytes?: number;
  readonly failureLogIntervalMs?: number;
}

export interface PublisherStats {
  /** Exchanges offered. */
  readonly offered: number;
  /** Stored by the stream. */
  readonly published: number;
  /** Not queued: the queue was full, or the publisher was closed. */
  readonly dropped: number;
  /** The stream refused or did not acknowledge them. */
  readonly failed: number;
  /** Published with bodies cut to fit the message size limit (marked truncated). */
  readonly shrunk: number;
  /** Waiting in the queue. */
  readonly queued: number;
  readonly inFlight: number;
}

export interface Publisher extends ExchangeSink {
  stats(): PublisherStats;
  /** Stops taking exchanges and waits (up to `timeoutMs`) for the queue to empty; resolves true when it did. */
  close(timeoutMs: number): Promise<boolean>;
}

export function validatePublisherOptions(options: PublisherOptions): Issue[] {
  const issues: Issue[] = [];
  const positiveInteger = (name: keyof PublisherOptions, value: number | undefined, min: number): void => {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) issues.push({ location: name, message: `must be a whole number >= ${min}, got ${value}` });
  };
  positiveInteger("maxQueue", options.maxQueue, 0);
  positiveInteger("maxQueueBytes", options.maxQueueBytes, 0);
  positiveInteger("concurrency", options.concurrency, 1);
  positiveInteger("maxMessageBytes", options.maxMessageBytes, 1024);
  return issues;
}

/**
 * Exchanges arrive already redacted (the tap redacts before any sink sees them). `accept`
 * encodes at once, so the queue holds only the bytes that will be sent and its byte bound is
 * exact; it never waits and never throws: a full queue drops the exchange and counts it.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const issues = validatePublisherOptions(options);
  if (issues.length > 0) throw new InvalidInputError(issues);
  return new QueuedPublisher(options);
}

interface Queued {
  readonly data: Uint8Array;
  readonly id: string;
}

class QueuedPublisher implements Publisher {
  readonly #publish: PublishFunction;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #maxQueue: number;
  readonly #maxQueueBytes: number;
  readonly #concurrency: number;
  readonly #maxMessageBytes: number;
  readonly #failureLogIntervalMs: number;
  /** FIFO: items from `#head` on are waiting. */
  #queue: Array<Queued | undefined> = [];
  #head = 0;
  #queuedBytes = 0;
  #inFlight = 0;
  #closed = false;
  #idle: Array<() => void> = [];
  #offered = 0;
  #published = 0;
  #dropped = 0;
  #failed = 0;
  #shrunk = 0;
  #failuresSinceLog = 0;
  #lastFailureLogAt = Number.NEGATIVE_INFINITY;
  readonly #onPublished = (): void => {
    this.#published++;
    this.#settle();
  };
  readonly #onFailed = (error: unknown): void => {
    this.#failed++;
    this.#failuresSinceLog++;
    const now = this.#clock.now();
    if (now - this.#lastFailureLogAt >= this.#failureLogIntervalMs) {
      this.#logger.warn({ failed: this.#failuresSinceLog, totalFailed: this.#failed, err: error instanceof Error ? error.message : String(error) }, "could not publish captured exchanges to the traffic stream");
      this.#lastFailureLogAt = now;
      this.#failuresSinceLog = 0;
    }
    this.#settle();
  };

  constructor(options: PublisherOptions) {
    this.#publish = options.publish;
    this.#logger = (options.logger ?? silentLogger).child({ component: "tap-publisher" });
    this.#clock = options.clock ?? systemClock;
    this.#maxQueue = options.maxQueue ?? PUBLISHER_DEFAULTS.maxQueue;
    this.#maxQueueBytes = options.maxQueueBytes ?? PUBLISHER_DEFAULTS.maxQueueBytes;
    this.#concurrency = options.concurrency ?? PUBLISHER_DEFAULTS.concurrency;
    this.#maxMessageBytes = options.maxMessageBytes ?? PUBLISHER_DEFAULTS.maxMessageBytes;
    this.#failureLogIntervalMs = options.failureLogIntervalMs ?? PUBLISHER_DEFAULTS.failureLogIntervalMs;
  }

  accept(exchange: CapturedExchange): void {
    this.#offered++;
    if (this.#closed || this.#queue.length - this.#head >= this.#maxQueue) {
      this.#dropped++;
      return;
    }
    const fitted = fitExchange(exchange, this.#maxMessageBytes);
    if (this.#queuedBytes + fitted.data.byteLength > this.#maxQueueBytes) {
      this.#dropped++;
      return;
    }
    if (fitted.shrunk) this.#shrunk++;
    this.#queue.push({ data: fitted.data, id: exchange.id });
    this.#queuedBytes += fitted.data.byteLength;
    this.#pump();
  }

  stats(): PublisherStats {
    return {
      offered: this.#offered,
      published: this.#published,
      dropped: this.#dropped,
      failed: this.#failed,
      shrunk: this.#shrunk,
      queued: this.#queue.length - this.#head,
      inFlight: this.#inFlight,
    };
  }

  async close(timeoutMs: number): Promise<boolean> {
    this.#closed = true;
    if (this.#isIdle()) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return drained;
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#head === this.#queue.length;
  }

  #pump(): void {
    while (this.#inFlight < this.#concurrency && this.#head < this.#queue.length) {
      const item = this.#queue[this.#head] as Queued;
      this.#queue[this.#head++] = undefined;
      this.#queuedBytes -= item.data.byteLength;
      this.#inFlight++;
      let publishing: Promise<void>;
      try {
        publishing = this.#publish(item.data, item.id);
      } catch (error) {
        publishing = Promise.reject(error);
      }
      publishing.then(this.#onPublished, this.#onFailed);
    }
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #settle(): void {
    this.#inFlight--;
    this.#pump();
    if (this.#isIdle()) for (const resolve of this.#idle.splice(0)) resolve();
  }
}

/**
 * The exchange encoded within `maxBytes`. One that does not fit keeps as much of its bodies as
 * does, both marked truncated: the request's first (without it the exchange cannot be replayed),
 * then the response's.
 */
export function fitExchange(exchange: CapturedExchange, maxBytes: number): { readonly data: Uint8Array; readonly shrunk: boolean } {
  const data = encodeExchange(exchange);
  if (data.byteLength <= maxBytes) return { data, shrunk: false };
  const { request, response } = exchange;
  const requestBody = request.body?.byteLength ?? 0;
  const responseBody = "error" in response ? 0 : (response.body?.byteLength ?? 0);
  // Bodies travel as base64 (4 bytes per 3); the rest is what the exchange costs without them.
  let room = Math.floor(((maxBytes - (data.byteLength - base64Length(requestBody) - base64Length(responseBody))) * 3) / 4);
  for (;;) {
    const keepRequest = Math.max(0, Math.min(requestBody, room));
    const keepResponse = Math.max(0, Math.min(responseBody, room - keepRequest));
    const cut: CapturedExchange = {
      ...exchange,
      request: cutBody(request, keepRequest),
      response: "error" in response ? response : cutBody(response, keepResponse),
    };
    const shrunk = encodeExchange(cut);
    if (shrunk.byteLength <= maxBytes || room <= 0) return { data: shrunk, shrunk: true };
    // Headers and the JSON around the bodies are not exactly what the estimate assumed: try a little less.
    room -= Math.max(3, Math.ceil(((shrunk.byteLength - maxBytes) * 3) / 4));
  }
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function cutBody<T extends { readonly body?: Uint8Array; readonly bodyTruncated: boolean }>(message: T, keep: number): T {
  const { body, ...rest } = message;
  if (body === undefined || keep >= body.byteLength) return message;
  return (keep > 0 ? { ...rest, body: body.subarray(0, keep), bodyTruncated: true } : { ...rest, bodyTruncated: true }) as T;
}
