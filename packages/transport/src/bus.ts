/**
 * The one interface coordinator and agents talk through. `MemoryBus` implements it in-process;
 * `NatsBus` implements it over NATS core (pub/sub, request/reply), JetStream (the durable
 * snapshot stream) and the JetStream Object Store (bundles, far above `max_payload`).
 */
export interface Bus {
  /** Fire-and-forget publish. */
  publish(subject: string, data: Uint8Array): void;
  /** Subjects may use NATS wildcards: `*` one token, `>` the rest. */
  subscribe(subject: string, handler: (message: BusMessage) => void): Subscription;
  /** Request/reply; rejects with `RequestTimeoutError` when nobody answers in time. */
  request(subject: string, data: Uint8Array, options: { readonly timeoutMs: number }): Promise<Uint8Array>;
  readonly stream: DurableStream;
  readonly blobs: BlobStore;
  /**
   * False while the connection to the server is down (reconnecting). Liveness decisions must
   * pause then: silence from every agent is our outage, not theirs.
   */
  isConnected(): boolean;
  close(): Promise<void>;
}

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Present when the sender asked for a reply. */
  respond?(data: Uint8Array): void;
}

export interface Subscription {
  unsubscribe(): void;
}

/** At-least-once delivery that survives a consumer or server hiccup; `id` dedupes re-publishes. */
export interface DurableStream {
  append(subject: string, data: Uint8Array, options: { readonly id: string }): Promise<void>;
  /**
   * Deliver every message matching `subjectFilter`, from the first, to `handler`; a message is
   * redelivered until acked. `durableName` lets a restarted consumer resume where it left off.
   */
  consume(subjectFilter: string, durableName: string, handler: (message: StreamMessage) => void | Promise<void>): Subscription;
  /** Drop stored messages matching the filter (a run's snapshots once it is merged). */
  purge(subjectFilter: string): Promise<void>;
}

export interface StreamMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Stream sequence, increasing. */
  readonly seq: number;
  ack(): void;
}

/** Content-addressed blob storage for bundles. */
export interface BlobStore {
  put(key: string, data: Uint8Array): Promise<void>;
  /** Undefined when no blob has that key. */
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
}

export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  constructor(subject: string, timeoutMs: number) {
    super(`no reply on ${subject} within ${timeoutMs} ms`);
  }
}
