// `Bus` over NATS: core pub/sub and request/reply, a JetStream stream for snapshots, work-queue
// streams for live traffic (`nats-traffic.ts`), and the JetStream Object Store for bundles.
// Bytes in, bytes out: decoding is the caller's job.
import { readFile } from "node:fs/promises";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Objm, StorageType as ObjectStorageType, type ObjectStore } from "@nats-io/obj";
import {
  connect,
  credsAuthenticator,
  nanos,
  nkeyAuthenticator,
  type Msg,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { SUBJECTS, type Logger } from "@parallax/protocol";
import {
  RequestTimeoutError,
  type BlobStore,
  type Bus,
  type BusMessage,
  type DurableStream,
  type StreamMessage,
  type Subscription,
  type TrafficStreams,
} from "./bus.js";
import { NatsTraffic } from "./nats-traffic.js";
import {
  BusUnavailableError,
  CLOSE_TIMEOUT_MS,
  closeMessages,
  hasErrorNamed,
  ignoreErrors,
  pause,
  PUBLISH_ACK_TIMEOUT_MS,
  PULL_EXPIRES_MS,
  raceTimeout,
  reason,
  retryTransient,
  sleep,
} from "./nats-util.js";

export { BusUnavailableError } from "./nats-util.js";

/** The one JetStream stream: every run's snapshots (`parallax.v1.run.*.snapshots.*`). */
export const SNAPSHOT_STREAM = "PARALLAX_SNAPSHOTS";
/** The Object Store bucket holding run bundles. */
export const BUNDLE_BUCKET = "parallax-bundles";

const HOUR_MS = 60 * 60 * 1000;

/**
 * Connection settings, chosen for fast failure detection. The client defaults ping every 2 min
 * and allow 2 unanswered pings, so a silently dead server (host gone, cable pulled; a clean
 * shutdown closes the socket and is seen at once) is noticed only after 4–6 min, and they give
 * up reconnecting after 10 attempts 2 s apart (~20 s), leaving a dead client behind. Here a dead
 * server is noticed within ~4–6 s (ping every 2 s, stale after 2 unanswered), reconnects are
 * retried every 250 ms (+ ≤100 ms jitter) forever (the coordinator's lease and liveness
 * timeouts decide when a run gives up, not the socket), and the first connect fails after 3 s
 * instead of 20 s so that a wrong URL is reported at once.
 */
const CONNECTION = {
  pingInterval: 2_000,
  maxPingOut: 2,
  reconnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 100,
  waitOnFirstConnect: false,
  timeout: 3_000,
} as const satisfies NodeConnectionOptions;

/** Snapshot stream: file storage, dedupe window for re-published ids, abandoned runs expire. */
const STREAM_CONFIG = {
  name: SNAPSHOT_STREAM,
  subjects: [SUBJECTS.snapshots("*", "*")],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  duplicate_window: nanos(2 * 60 * 1000),
  max_age: nanos(24 * HOUR_MS),
} satisfies Partial<StreamConfig> & { name: string };

/** Bundles expire a day after upload, like the snapshots. */
const BUCKET_TTL_MS = 24 * HOUR_MS;

/** Liveness of durable consumers; see `NatsStream.consume`. */
const ACK_WAIT_MS = 3_000;
const PULL_BATCH = 256;
/** A coordinator that dies leaves its snapshot durable behind; the server removes it after this long unused. */
const INACTIVE_DURABLE_MS = 60 * 60 * 1000;

export interface NatsBusOptions {
  /** e.g. "nats://127.0.0.1:4222" */
  readonly servers: string | string[];
  /** Connection name shown by the server, e.g. "parallax-agent a1". */
  readonly name: string;
  /** Path of a .creds file (JWT + nkey). */
  readonly creds?: string;
  /** Path of a file holding an nkey seed. */
  readonly nkeySeedFile?: string;
  readonly token?: string;
  /** File paths. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** Create/update the stream and the object-store bucket (the coordinator does; agents with least privilege do not). */
  readonly manageStorage?: boolean;
  readonly logger: Logger;
  /**
   * Called with the server's words each time it refuses this client a publish or a subscription
   * ("Permissions Violation for Subscription to ..."): the credentials lack the rights of the role
   * this process plays. Without it a refusal is only logged.
   */
  readonly onRefused?: (message: string) => void;
  /** Subject prefix of this client's reply inboxes (nats.js `inboxPrefix`), for users limited to their own. */
  readonly inboxPrefix?: string;
}

export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #logger: Logger;
  readonly #onRefused: ((message: string) => void) | undefined;
  readonly #stream: NatsStream;
  readonly #blobs: NatsBlobs;
  readonly #traffic: NatsTraffic;
  #closing: Promise<void> | undefined;

  private constructor(nc: NatsConnection, options: NatsBusOptions) {
    this.#nc = nc;
    this.#logger = options.logger;
    this.#onRefused = options.onRefused;
    // checkAPI: false skips an account-info request per manager (also inside the Object Store),
    // so least-privilege agents need no $JS.API.INFO permission.
    const js = jetstream(nc, { checkAPI: false });
    let jsm: Promise<JetStreamManager> | undefined;
    const manager = (): Promise<JetStreamManager> => {
      jsm ??= js.jetstreamManager(false);
      return jsm;
    };
    const live = (): boolean => this.#closing === undefined;
    this.#stream = new NatsStream(js, manager, live, this.#logger);
    this.#blobs = new NatsBlobs(js, live, this.#logger);
    this.#traffic = new NatsTraffic(js, manager, live, this.#logger);
    void this.#watchStatus(serverLabel(options.servers));
  }

  /** Connects (failing fast with `BusUnavailableError`) and, with `manageStorage`, creates/updates the stream and bucket. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const where = serverLabel(options.servers);
    const auth = await credentials(options);
    let nc: NatsConnection;
    try {
      nc = await connect({ ...CONNECTION, servers: options.servers, name: options.name, ...auth, ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}) });
    } catch (error) {
      throw new BusUnavailableError(`could not connect to ${where}: ${reason(error)}`, { cause: error });
    }
    const bus = new NatsBus(nc, options);
    options.logger.info({ server: nc.getServer(), name: options.name }, "connected to NATS");
    if (options.manageStorage) {
      try {
        await bus.#stream.ensureStream();
        await bus.#blobs.ensureBucket();
      } catch (error) {
        await bus.close();
        throw new BusUnavailableError(`could not set up JetStream storage on ${where}: ${reason(error)}`, { cause: error });
      }
    }
    return bus;
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.#closing) return;
    this.#nc.publish(subject, data);
  }

  subscribe(subject: string, handler: (message: BusMessage) => void): Subscription {
    const sub = this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          this.#logger.warn({ subject, err: reason(error) }, "subscription error");
          return;
        }
        try {
          handler(toBusMessage(msg));
        } catch (handlerError) {
          // A failing subscriber must not break the connection's dispatch (as in MemoryBus).
          this.#logger.warn({ subject: msg.subject, err: reason(handlerError) }, "subscriber threw");
        }
      },
    });
    return {
      unsubscribe: () => {
        if (!sub.isClosed()) ignoreErrors(() => sub.unsubscribe());
      },
    };
  }

  async request(subject: string, data: Uint8Array, options: { readonly timeoutMs: number }): Promise<Uint8Array> {
    try {
      const reply = await this.#nc.request(subject, data, { timeout: options.timeoutMs });
      return reply.data;
    } catch (error) {
      if (hasErrorNamed(error, "NoResponders")) {
        // Fails at once rather than after timeoutMs: nobody is subscribed to the subject.
        const timeout = new RequestTimeoutError(subject, options.timeoutMs);
        timeout.message = `no reply on ${subject}: no responders (nobody is subscribed)`;
        timeout.cause = error;
        throw timeout;
      }
      if (hasErrorNamed(error, "TimeoutError")) throw new RequestTimeoutError(subject, options.timeoutMs);
      throw error;
    }
  }

  get stream(): DurableStream {
    return this.#stream;
  }

  get blobs(): BlobStore {
    return this.#blobs;
  }

  get traffic(): TrafficStreams {
    return this.#traffic;
  }

  /** Stops consumers, drains and closes; bounded, so it returns even when the server is gone. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([this.#stream.stopAll(), this.#traffic.stopAll()]);
      const drained = this.#nc.drain().catch(() => undefined);
      await raceTimeout(drained, CLOSE_TIMEOUT_MS);
      if (!this.#nc.isClosed()) await raceTimeout(this.#nc.close().catch(() => undefined), CLOSE_TIMEOUT_MS);
    })();
    return this.#closing;
  }

  #connected = true;

  /**
   * Makes one request an agent may make (`$JS.API.INFO`), which subscribes this client's reply
   * inbox: a server refusing it that inbox says so now, through `onRefused`, and not at the first
   * snapshot of a run. Resolves whatever the answer: no JetStream, or no answer at all, is for later.
   */
  async probeReplyInbox(timeoutMs = 2000): Promise<void> {
    try {
      await this.#nc.request("$JS.API.INFO", undefined, { timeout: timeoutMs });
    } catch {
      // A refusal arrives as a status error; anything else shows when the inbox is used.
    }
  }

  isConnected(): boolean {
    return this.#connected && !this.#nc.isClosed();
  }

  async #watchStatus(where: string): Promise<void> {
    for await (const status of this.#nc.status()) {
      switch (status.type) {
        case "disconnect":
          this.#connected = false;
          if (!this.#closing) this.#logger.warn({ server: withoutCredentials(status.server) }, "disconnected from NATS; reconnecting");
          break;
        case "reconnect":
          this.#connected = true;
          this.#logger.info({ server: withoutCredentials(status.server) }, "reconnected to NATS");
          break;
        case "staleConnection":
          this.#logger.warn({ servers: where }, "NATS connection stale (pings unanswered); reconnecting");
          break;
        case "ldm":
          this.#logger.info({ server: status.server }, "NATS server entering lame duck mode");
          break;
        case "error": {
          const message = reason(status.error);
          this.#logger.warn({ err: message }, "NATS error");
          if (/Permissions Violation/i.test(message)) this.#onRefused?.(message);
          break;
        }
        case "slowConsumer":
          this.#logger.warn({ subject: status.sub.getSubject(), pending: status.pending }, "slow NATS subscriber");
          break;
        default:
          break;
      }
    }
  }
}

interface ConsumeState {
  active: boolean;
  messages: ConsumerMessages | undefined;
  done: Promise<void>;
}

class NatsStream implements DurableStream {
  readonly #js: JetStreamClient;
  readonly #jsm: () => Promise<JetStreamManager>;
  readonly #live: () => boolean;
  readonly #logger: Logger;
  readonly #consumers = new Set<ConsumeState>();

  constructor(js: JetStreamClient, jsm: () => Promise<JetStreamManager>, live: () => boolean, logger: Logger) {
    this.#js = js;
    this.#jsm = jsm;
    this.#live = live;
    this.#logger = logger;
  }

  async ensureStream(): Promise<void> {
    const jsm = await this.#jsm();
    try {
      await jsm.streams.info(SNAPSHOT_STREAM);
    } catch (error) {
      if (!hasErrorNamed(error, "StreamNotFoundError")) throw error;
      await jsm.streams.add(STREAM_CONFIG);
      return;
    }
    const { name: _name, ...update } = STREAM_CONFIG;
    await jsm.streams.update(SNAPSHOT_STREAM, update);
  }

  async append(subject: string, data: Uint8Array, options: { readonly id: string }): Promise<void> {
    // The same msgID on every attempt: a publish whose ack got lost is stored once (server dedupe).
    await retryTransient(`append to ${subject}`, this.#live, this.#logger, () =>
      this.#js.publish(subject, data, { msgID: options.id, timeout: PUBLISH_ACK_TIMEOUT_MS }),
    );
  }

  /**
   * A durable pull consumer, consumed continuously. The client re-pulls after a reconnect and
   * after missed idle heartbeats; if the message iterator ends anyway (e.g. the consumer was
   * deleted), the loop re-creates the consumer and resumes. The durable is kept on unsubscribe.
   */
  consume(subjectFilter: string, durableName: string, handler: (message: StreamMessage) => void | Promise<void>): Subscription {
    const logger = this.#logger.child({ durable: durableName });
    const state: ConsumeState = { active: true, messages: undefined, done: Promise.resolve() };
    const running = (): boolean => state.active && this.#live();
    state.done = (async () => {
      for (let attempt = 0; running(); attempt++) {
        try {
          const consumer = await this.#ensureConsumer(subjectFilter, durableName);
          if (!running()) break;
          const messages = await consumer.consume({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS });
          state.messages = messages;
          if (!running()) break;
          attempt = 0;
          for await (const msg of messages) {
            // Nothing reaches a handler after unsubscribe; the message is redelivered after ack_wait.
            if (!running()) break;
            await deliver(msg, handler, logger);
          }
        } catch (error) {
          if (!running()) break;
          logger.warn({ err: reason(error) }, "stream consumer interrupted; resuming");
        }
        if (running()) await sleep(pause(attempt));
      }
      await closeMessages(state.messages);
    })();
    this.#consumers.add(state);
    return {
      unsubscribe: () => {
        state.active = false;
        this.#consumers.delete(state);
        void closeMessages(state.messages);
      },
    };
  }

  async purge(subjectFilter: string): Promise<void> {
    await retryTransient(`purge ${subjectFilter}`, this.#live, this.#logger, async () => {
      const jsm = await this.#jsm();
      return jsm.streams.purge(SNAPSHOT_STREAM, { filter: subjectFilter });
    });
  }

  async stopAll(): Promise<void> {
    const states = [...this.#consumers];
    this.#consumers.clear();
    for (const state of states) state.active = false;
    await Promise.all(states.map((s) => closeMessages(s.messages)));
  }

  async #ensureConsumer(filter: string, durableName: string): Promise<Consumer> {
    const config: Partial<ConsumerConfig> = {
      durable_name: durableName,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ACK_WAIT_MS),
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      max_deliver: -1,
      inactive_threshold: nanos(INACTIVE_DURABLE_MS),
    };
    const jsm = await this.#jsm();
    try {
      await jsm.consumers.add(SNAPSHOT_STREAM, config);
    } catch (error) {
      // Exists with another configuration (e.g. an older ack_wait): bring it up to date.
      if (!hasErrorNamed(error, "JetStreamApiError")) throw error;
      await jsm.consumers.update(SNAPSHOT_STREAM, durableName, { ack_wait: config.ack_wait ?? 0, filter_subject: filter });
    }
    return this.#js.consumers.get(SNAPSHOT_STREAM, durableName);
  }
}

class NatsBlobs implements BlobStore {
  readonly #js: JetStreamClient;
  readonly #live: () => boolean;
  readonly #logger: Logger;
  #store: Promise<ObjectStore> | undefined;

  constructor(js: JetStreamClient, live: () => boolean, logger: Logger) {
    this.#js = js;
    this.#live = live;
    this.#logger = logger;
  }

  async ensureBucket(): Promise<void> {
    const store = new Objm(this.#js).create(BUNDLE_BUCKET, { storage: ObjectStorageType.File, ttl: nanos(BUCKET_TTL_MS) });
    this.#store = store;
    await store;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    // Chunked by the Object Store (128 KiB per message), so far above max_payload is fine.
    await retryTransient(`put blob ${key}`, this.#live, this.#logger, async () => (await this.#open()).putBlob({ name: key }, data));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const blob = await retryTransient(`get blob ${key}`, this.#live, this.#logger, async () => (await this.#open()).getBlob(key));
    return blob ?? undefined;
  }

  async delete(key: string): Promise<void> {
    await retryTransient(`delete blob ${key}`, this.#live, this.#logger, async () => (await this.#open()).delete(key));
  }

  /** Agents open the bucket without checking it (no stream-info permission needed). */
  #open(): Promise<ObjectStore> {
    if (!this.#store) {
      const opening = new Objm(this.#js).open(BUNDLE_BUCKET, false);
      opening.catch(() => {
        if (this.#store === opening) this.#store = undefined;
      });
      this.#store = opening;
    }
    return this.#store;
  }
}

async function deliver(msg: JsMsg, handler: (message: StreamMessage) => void | Promise<void>, logger: Logger): Promise<void> {
  const message: StreamMessage = {
    subject: msg.subject,
    data: msg.data,
    seq: msg.seq,
    // An ack lost to a disconnect only means a redelivery (at-least-once).
    ack: () => ignoreErrors(() => msg.ack()),
  };
  try {
    await handler(message);
  } catch (error) {
    // Left unacked: redelivered after ack_wait.
    logger.warn({ subject: msg.subject, seq: msg.seq, err: reason(error) }, "stream handler failed; message will be redelivered");
  }
}

function toBusMessage(msg: Msg): BusMessage {
  if (!msg.reply) return { subject: msg.subject, data: msg.data };
  return {
    subject: msg.subject,
    data: msg.data,
    respond: (data) => ignoreErrors(() => msg.respond(data)),
  };
}

async function credentials(options: NatsBusOptions): Promise<Partial<NodeConnectionOptions>> {
  const read = async (what: string, path: string): Promise<Uint8Array> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new BusUnavailableError(`could not read the NATS ${what} file ${path}: ${reason(error)}`, { cause: error });
    }
  };
  const result: Partial<NodeConnectionOptions> = {};
  if (options.creds) result.authenticator = credsAuthenticator(await read("credentials", options.creds));
  else if (options.nkeySeedFile) {
    const seed = new TextDecoder().decode(await read("nkey seed", options.nkeySeedFile)).trim();
    result.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (options.token) result.token = options.token;
  if (options.tls) {
    const { ca, cert, key } = options.tls;
    result.tls = { ...(ca ? { caFile: ca } : {}), ...(cert ? { certFile: cert } : {}), ...(key ? { keyFile: key } : {}) };
  }
  return result;
}

/** Server URLs for messages and logs, never with credentials in them. */
function serverLabel(servers: string | string[]): string {
  return (Array.isArray(servers) ? servers : [servers]).map(withoutCredentials).join(", ");
}

function withoutCredentials(server: string): string {
  return server.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1");
}
