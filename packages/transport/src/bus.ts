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
  /** Live traffic: what `parallax tap` captures and `parallax shadow` agents consume. */
  readonly traffic: TrafficStreams;
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

/**
 * Work-queue streams of captured exchanges, one per name (`parallax.v1.traffic.<name>`): every
 * message is stored until one consumer acks it, then removed; messages older than the retention
 * are dropped unread. All consumers of one stream share one durable consumer, so each message
 * goes to exactly one of them at a time, and one that dies leaves its unacked messages to be
 * redelivered to the others.
 */
export interface TrafficStreams {
  /**
   * Create the stream with `retainMs`, or update an existing one's retention to it (the tap does,
   * and a shadow coordinator); with `keepExisting`, an existing stream keeps the retention it has
   * (a process not told one must not undo what another was told).
   */
  ensure(name: string, options: { readonly retainMs: number; readonly keepExisting?: boolean }): Promise<void>;
  /**
   * Resolves when this client may publish to the stream, rejects with why not (a permission
   * refused, no stream). Stores nothing: a tap checks before it takes traffic, because an existing
   * stream is all the ensuring it needs.
   */
  checkPublish(name: string): Promise<void>;
  /** Store one message; resolves once the stream has it. A second publish with the same `id` within a few minutes is stored once. */
  publish(name: string, data: Uint8Array, options: { readonly id: string }): Promise<void>;
  /**
   * Receive messages through the shared durable consumer `durable`, at most `maxInFlight`
   * unacked at a time for this subscriber. A message not acked within `ackWaitMs` (and not kept
   * alive with `working()`) is redelivered, to this or another subscriber.
   */
  consume(name: string, durable: string, options: { readonly ackWaitMs: number; readonly maxInFlight: number }, handler: (message: TrafficMessage) => void): Subscription;
  /** Where the consumer stands: stored messages not yet delivered, delivered but unacked, and the stream's last sequence. */
  backlog(name: string, durable: string): Promise<TrafficBacklog>;
}

export interface TrafficMessage {
  readonly data: Uint8Array;
  /** Stream sequence: unique within the stream, increasing. */
  readonly seq: number;
  /** 1 on first delivery; more when an earlier delivery was not acked in time (its consumer died or stalled). */
  readonly deliveries: number;
  ack(): void;
  /** Not handled: deliver again at once, to any subscriber. */
  nak(): void;
  /** Still being handled: restart the ack-wait clock. */
  working(): void;
}

export interface TrafficBacklog {
  /** Stored, not yet delivered to any subscriber. */
  readonly pending: number;
  /** Delivered, not yet acked. */
  readonly inFlight: number;
  /** Sequence of the last message ever stored (0: none). */
  readonly lastSeq: number;
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
