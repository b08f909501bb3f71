// `TrafficStreams` over JetStream: one work-queue stream per traffic name, consumed through one
// durable pull consumer that every shadow agent shares.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
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
import { nanos } from "@nats-io/transport-node";
import { SUBJECTS, type Logger } from "@parallax/protocol";
import type { Subscription, TrafficBacklog, TrafficMessage, TrafficStreams } from "./bus.js";
import {
  CLOSE_TIMEOUT_MS,
  closeMessages,
  hasErrorNamed,
  ignoreErrors,
  isTransient,
  jetStreamErrorCode,
  pause,
  PULL_EXPIRES_MS,
  PUBLISH_ACK_TIMEOUT_MS,
  raceTimeout,
  reason,
  retryTransient,
} from "./nats-util.js";
import { checkConsumeOptions, checkRetention, checkTrafficName, dedupeWindowMs, TrafficStreamNotFoundError } from "./traffic.js";

/** Traffic `<name>` lives in the JetStream stream `PARALLAX_TRAFFIC_<name>` (case kept: subjects are case-sensitive). */
export const TRAFFIC_STREAM_PREFIX = "PARALLAX_TRAFFIC_";

/**
 * `max_ack_pending` of the shared durable: unacked messages of all its subscribers together.
 * Each subscriber caps itself at its own `maxInFlight`; this only guards the server, and bounds
 * the fleet (say 40 agents × 256) beyond which the server holds messages back.
 */
export const TRAFFIC_MAX_ACK_PENDING = 10_000;

/** JetStream's "wrong last sequence": the expected last sequence did not match. */
const WRONG_LAST_SEQUENCE = 10071;
/** JetStream's "multiple non-filtered consumers not allowed on workqueue stream". */
const WORK_QUEUE_CONSUMER_TAKEN = 10099;
/** Retry pause when the durable can never be created as configured (needs an operator). */
const MISCONFIGURED_RETRY_MS = 10_000;

/** The JetStream stream holding traffic `name`; throws `RangeError` when `name` is not a subject token. */
export function trafficStreamName(name: string): string {
  checkTrafficName("traffic stream", name);
  return `${TRAFFIC_STREAM_PREFIX}${name}`;
}

function streamConfig(name: string, retainMs: number): Partial<StreamConfig> & { name: string } {
  return {
    name: trafficStreamName(name),
    subjects: [SUBJECTS.traffic(name)],
    storage: StorageType.File,
    // Each message is stored until one consumer acks it, then removed.
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.Old,
    max_age: nanos(Math.ceil(retainMs)),
    // The server refuses a dedupe window longer than max_age.
    duplicate_window: nanos(Math.ceil(dedupeWindowMs(retainMs))),
  };
}

export class NatsTraffic implements TrafficStreams {
  readonly #js: JetStreamClient;
  readonly #jsm: () => Promise<JetStreamManager>;
  readonly #live: () => boolean;
  readonly #logger: Logger;
  readonly #pullers = new Set<TrafficPuller>();

  constructor(js: JetStreamClient, jsm: () => Promise<JetStreamManager>, live: () => boolean, logger: Logger) {
    this.#js = js;
    this.#jsm = jsm;
    this.#live = live;
    this.#logger = logger;
  }

  async ensure(name: string, options: { readonly retainMs: number; readonly keepExisting?: boolean }): Promise<void> {
    checkRetention(options.retainMs);
    const config = streamConfig(name, options.retainMs);
    await retryTransient(`ensure traffic stream ${name}`, this.#live, this.#logger, async () => {
      const jsm = await this.#jsm();
      try {
        await jsm.streams.info(config.name);
      } catch (error) {
        if (!hasErrorNamed(error, "StreamNotFoundError")) throw error;
        await jsm.streams.add(config);
        return;
      }
      if (options.keepExisting) return;
      const { name: _name, ...update } = config;
      await jsm.streams.update(config.name, update);
    });
  }

  async checkPublish(name: string): Promise<void> {
    const stream = trafficStreamName(name);
    try {
      // A last sequence no stream reaches: JetStream refuses to store it, after the server has
      // checked that this client may publish there at all.
      await this.#js.publish(SUBJECTS.traffic(name), new Uint8Array(), { timeout: PUBLISH_ACK_TIMEOUT_MS, expect: { streamName: stream, lastSequence: Number.MAX_SAFE_INTEGER } });
    } catch (error) {
      if (jetStreamErrorCode(error) === WRONG_LAST_SEQUENCE) return;
      if (isTransient(error) && (await this.#missing(stream))) throw new TrafficStreamNotFoundError(name);
      throw error;
    }
    throw new Error(`traffic stream ${name} stored a publish it should have refused`);
  }

  async publish(name: string, data: Uint8Array, options: { readonly id: string }): Promise<void> {
    const stream = trafficStreamName(name);
    const subject = SUBJECTS.traffic(name);
    // The same msgID on every attempt: a publish whose ack got lost is stored once.
    await retryTransient(`publish to traffic stream ${name}`, this.#live, this.#logger, async () => {
      try {
        return await this.#js.publish(subject, data, { msgID: options.id, timeout: PUBLISH_ACK_TIMEOUT_MS, expect: { streamName: stream } });
      } catch (error) {
        // Nobody answering looks the same whether JetStream is restarting or the stream was never
        // created. (No `cause`: retryTransient would see the transient one in it and retry.)
        if (isTransient(error) && (await this.#missing(stream))) throw new TrafficStreamNotFoundError(name);
        throw error;
      }
    });
  }

  consume(name: string, durable: string, options: { readonly ackWaitMs: number; readonly maxInFlight: number }, handler: (message: TrafficMessage) => void): Subscription {
    const stream = trafficStreamName(name);
    checkTrafficName("durable consumer", durable);
    checkConsumeOptions(options);
    const config: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(Math.ceil(options.ackWaitMs)),
      deliver_policy: DeliverPolicy.All,
      max_deliver: -1,
      max_ack_pending: TRAFFIC_MAX_ACK_PENDING,
    };
    const puller = new TrafficPuller({
      name,
      ackWaitMs: options.ackWaitMs,
      maxInFlight: options.maxInFlight,
      handler,
      connect: () => this.#ensureConsumer(stream, config),
      live: this.#live,
      logger: this.#logger.child({ stream: name, durable }),
    });
    this.#pullers.add(puller);
    return {
      unsubscribe: () => {
        this.#pullers.delete(puller);
        void puller.stop();
      },
    };
  }

  async backlog(name: string, durable: string): Promise<TrafficBacklog> {
    const stream = trafficStreamName(name);
    checkTrafficName("durable consumer", durable);
    return retryTransient(`backlog of traffic stream ${name}`, this.#live, this.#logger, async () => {
      const jsm = await this.#jsm();
      let lastSeq: number;
      let stored: number;
      try {
        const info = await jsm.streams.info(stream);
        lastSeq = info.state.last_seq;
        stored = info.state.messages;
      } catch (error) {
        if (hasErrorNamed(error, "StreamNotFoundError")) throw new TrafficStreamNotFoundError(name, { cause: error });
        throw error;
      }
      try {
        const consumer = await jsm.consumers.info(stream, durable);
        return { pending: consumer.num_pending, inFlight: consumer.num_ack_pending, lastSeq };
      } catch (error) {
        // No consumer yet: everything stored is waiting for one.
        if (hasErrorNamed(error, "ConsumerNotFoundError")) return { pending: stored, inFlight: 0, lastSeq };
        throw error;
      }
    });
  }

  /** Stops every subscriber (the bus is closing); unacked messages go back to the server after ack_wait. */
  async stopAll(): Promise<void> {
    const pullers = [...this.#pullers];
    this.#pullers.clear();
    await Promise.all(pullers.map((p) => p.stop()));
  }

  async #missing(stream: string): Promise<boolean> {
    try {
      await (await this.#jsm()).streams.info(stream);
      return false;
    } catch (error) {
      return hasErrorNamed(error, "StreamNotFoundError");
    }
  }

  /** Creates the shared durable, or brings its ack_wait and limits up to date; the stream must exist. */
  async #ensureConsumer(stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<Consumer> {
    const jsm = await this.#jsm();
    try {
      await jsm.consumers.add(stream, config);
    } catch (error) {
      if (!hasErrorNamed(error, "JetStreamApiError") || jetStreamErrorCode(error) === WORK_QUEUE_CONSUMER_TAKEN) throw error;
      await jsm.consumers.update(stream, config.durable_name, {
        ack_wait: config.ack_wait ?? 0,
        max_ack_pending: config.max_ack_pending ?? TRAFFIC_MAX_ACK_PENDING,
        max_deliver: -1,
      });
    }
    return this.#js.consumers.get(stream, config.durable_name);
  }
}

interface PullerOptions {
  readonly name: string;
  readonly ackWaitMs: number;
  readonly maxInFlight: number;
  readonly handler: (message: TrafficMessage) => void;
  /** Ensures the durable exists and returns it. */
  readonly connect: () => Promise<Consumer>;
  readonly live: () => boolean;
  readonly logger: Logger;
}

/**
 * One subscriber of the shared durable. It pulls only what it can take: each pull asks for the
 * free slots (`maxInFlight` − unacked), and the next pull waits until a quarter of the slots are
 * free again. A slot is taken from delivery until ack or nak, or until ack_wait passes without
 * `working()`: from then on the server redelivers the message (here or elsewhere), so it no
 * longer counts, though a late ack still removes it.
 *
 * The client re-pulls by itself after a reconnect; when a pull fails (consumer deleted,
 * heartbeats missed, JetStream restarting) the loop re-creates the durable and pulls again.
 */
class TrafficPuller {
  readonly #options: PullerOptions;
  readonly #refill: number;
  #active = true;
  #inFlight = 0;
  #failures = 0;
  #messages: ConsumerMessages | undefined;
  /** Wakes the loop when slots free up or on stop. */
  #wake: (() => void) | undefined;
  readonly #stopped: Promise<void>;
  #signalStop: () => void = () => undefined;
  readonly #done: Promise<void>;

  constructor(options: PullerOptions) {
    this.#options = options;
    this.#refill = Math.max(1, Math.floor(options.maxInFlight / 4));
    this.#stopped = new Promise((resolve) => {
      this.#signalStop = resolve;
    });
    this.#done = this.#run();
  }

  /** Stops pulling, within a bound (the server may be gone); messages already handed out can still be acked. */
  async stop(): Promise<void> {
    this.#active = false;
    this.#signalStop();
    this.#wakeUp();
    await raceTimeout(Promise.all([closeMessages(this.#messages), this.#done]), CLOSE_TIMEOUT_MS);
  }

  #running(): boolean {
    return this.#active && this.#options.live();
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    let problem: string | undefined;
    while (this.#running()) {
      let retryMs = 0;
      try {
        const consumer = await this.#options.connect();
        if (problem !== undefined) logger.info({}, "traffic consumer resumed");
        problem = undefined;
        await this.#pull(consumer);
      } catch (error) {
        if (!this.#running()) break;
        const what = describe(this.#options.name, error);
        retryMs = what.retryMs ?? pause(this.#failures);
        this.#failures++;
        // Said once per kind of trouble; repeats (one per retry) only at debug.
        if (what.message !== problem) logger[what.level]({ err: reason(error) }, what.message);
        else logger.debug({ err: reason(error) }, what.message);
        problem = what.message;
      }
      if (this.#running() && retryMs > 0) await raceTimeout(this.#stopped, retryMs);
    }
    await closeMessages(this.#messages);
  }

  async #pull(consumer: Consumer): Promise<void> {
    const { maxInFlight } = this.#options;
    while (this.#running()) {
      while (this.#running() && maxInFlight - this.#inFlight < this.#refill) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
      if (!this.#running()) return;
      let budget = maxInFlight - this.#inFlight;
      const messages = await consumer.fetch({ max_messages: budget, expires: PULL_EXPIRES_MS });
      this.#messages = messages;
      if (!this.#running()) await closeMessages(messages);
      for await (const msg of messages) {
        // After a reconnect the client repeats the whole pull, so more than asked may come;
        // those, and anything arriving after stop, go straight back for someone else.
        if (!this.#running() || budget === 0) {
          ignoreErrors(() => msg.nak());
          continue;
        }
        budget--;
        this.#failures = 0;
        this.#deliver(msg);
      }
      this.#messages = undefined;
      this.#failures = 0;
    }
  }

  #deliver(msg: JsMsg): void {
    const { ackWaitMs, handler, logger } = this.#options;
    this.#inFlight++;
    let counted = true;
    const release = (): void => {
      if (!counted) return;
      counted = false;
      clearTimeout(timer);
      this.#inFlight--;
      if (this.#options.maxInFlight - this.#inFlight >= this.#refill) this.#wakeUp();
    };
    const timer = setTimeout(release, ackWaitMs);
    timer.unref();
    const message: TrafficMessage = {
      data: msg.data,
      seq: msg.seq,
      deliveries: msg.info.deliveryCount,
      // Acks are fire-and-forget: one lost to a disconnect means a redelivery (at-least-once).
      ack: () => {
        ignoreErrors(() => msg.ack());
        release();
      },
      // Once ack_wait has passed the message is the server's again: a nak or working() then
      // could only disturb its next delivery.
      nak: () => {
        if (!counted) return;
        ignoreErrors(() => msg.nak());
        release();
      },
      working: () => {
        if (!counted) return;
        ignoreErrors(() => msg.working());
        timer.refresh();
      },
    };
    try {
      handler(message);
    } catch (error) {
      // Left unacked: redelivered after ack_wait.
      logger.warn({ seq: msg.seq, err: reason(error) }, "traffic handler threw; the message will be redelivered");
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function describe(name: string, error: unknown): { message: string; level: "warn" | "error"; retryMs?: number } {
  if (jetStreamErrorCode(error) === WORK_QUEUE_CONSUMER_TAKEN) {
    return {
      message: `traffic stream ${name} already has a consumer under another durable name; a work queue allows only one, so every shadow agent must use the same durable`,
      level: "error",
      retryMs: MISCONFIGURED_RETRY_MS,
    };
  }
  if (hasErrorNamed(error, "StreamNotFoundError")) return { message: `traffic stream ${name} does not exist yet; waiting for it`, level: "warn" };
  return { message: "traffic consumer interrupted; resuming", level: "warn" };
}
