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
import { MemoryTraffic } from "./memory-traffic.js";
import { subjectMatches } from "./subject-match.js";

interface Listener {
  readonly pattern: string;
  readonly handler: (message: BusMessage) => void;
}

interface Stored {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
}

/**
 * In-process `Bus` with the same semantics as NATS: asynchronous delivery (never re-entrant),
 * wildcards, request/reply with timeouts, a durable stream with dedupe and redelivery until
 * ack, work-queue traffic streams (`memory-traffic.ts`), and a blob store. Data is copied on
 * publish so no side can mutate the other's bytes.
 */
export class MemoryBus implements Bus {
  readonly #listeners = new Set<Listener>();
  readonly #stream = new MemoryStream();
  readonly #blobs = new Map<string, Uint8Array>();
  readonly #traffic = new MemoryTraffic();
  #closed = false;

  publish(subject: string, data: Uint8Array): void {
    this.#deliver(subject, data, undefined);
  }

  subscribe(subject: string, handler: (message: BusMessage) => void): Subscription {
    const listener: Listener = { pattern: subject, handler };
    this.#listeners.add(listener);
    return { unsubscribe: () => this.#listeners.delete(listener) };
  }

  request(subject: string, data: Uint8Array, options: { readonly timeoutMs: number }): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const timer = setTimeout(() => {
        answered = true;
        reject(new RequestTimeoutError(subject, options.timeoutMs));
      }, options.timeoutMs);
      this.#deliver(subject, data, (reply) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(reply.slice());
      });
    });
  }

  get stream(): DurableStream {
    return this.#stream;
  }

  get traffic(): TrafficStreams {
    return this.#traffic;
  }

  readonly blobs: BlobStore = {
    put: async (key, data) => void this.#blobs.set(key, data.slice()),
    get: async (key) => this.#blobs.get(key)?.slice(),
    delete: async (key) => void this.#blobs.delete(key),
  };

  isConnected(): boolean {
    return !this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stream.close();
    this.#traffic.close();
  }

  #deliver(subject: string, data: Uint8Array, reply: ((data: Uint8Array) => void) | undefined): void {
    if (this.#closed) return;
    const copy = data.slice();
    for (const listener of this.#listeners) {
      if (!subjectMatches(listener.pattern, subject)) continue;
      const message: BusMessage = reply ? { subject, data: copy, respond: reply } : { subject, data: copy };
      queueMicrotask(() => {
        if (!this.#listeners.has(listener)) return;
        try {
          listener.handler(message);
        } catch {
          // A failing subscriber must not break delivery to the others (NATS isolates them too).
        }
      });
    }
  }
}

interface Durable {
  /** Highest stream sequence handed to this durable consumer. */
  delivered: number;
  readonly unacked: Set<number>;
}

interface Consumer {
  readonly filter: string;
  readonly handler: (message: StreamMessage) => void | Promise<void>;
  readonly durable: Durable;
  active: boolean;
}

const REDELIVERY_MS = 1000;

class MemoryStream implements DurableStream {
  readonly #messages: Stored[] = [];
  /** Message id → subject, for dedupe; purged with the messages. */
  readonly #ids = new Map<string, string>();
  /** Durable consumers keep their position and unacked set across resubscribes, as JetStream's do. */
  readonly #durables = new Map<string, Durable>();
  readonly #consumers = new Set<Consumer>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #seq = 0;

  async append(subject: string, data: Uint8Array, options: { readonly id: string }): Promise<void> {
    if (this.#ids.has(options.id)) return;
    this.#ids.set(options.id, subject);
    this.#messages.push({ subject, data: data.slice(), seq: ++this.#seq });
    for (const consumer of this.#consumers) queueMicrotask(() => this.#pump(consumer));
  }

  consume(subjectFilter: string, durableName: string, handler: (message: StreamMessage) => void | Promise<void>): Subscription {
    const durable = this.#durables.get(durableName) ?? { delivered: 0, unacked: new Set<number>() };
    this.#durables.set(durableName, durable);
    const consumer: Consumer = { filter: subjectFilter, handler, durable, active: true };
    this.#consumers.add(consumer);
    // A resubscribed durable first gets what it never acked, then what is new.
    for (const seq of durable.unacked) queueMicrotask(() => this.#redeliver(consumer, seq));
    queueMicrotask(() => this.#pump(consumer));
    const timer = setInterval(() => {
      for (const seq of durable.unacked) this.#redeliver(consumer, seq);
    }, REDELIVERY_MS);
    timer.unref();
    this.#timers.add(timer);
    return {
      unsubscribe: () => {
        consumer.active = false;
        clearInterval(timer);
        this.#timers.delete(timer);
        this.#consumers.delete(consumer);
      },
    };
  }

  async purge(subjectFilter: string): Promise<void> {
    for (let i = this.#messages.length - 1; i >= 0; i--) {
      const stored = this.#messages[i];
      if (stored && subjectMatches(subjectFilter, stored.subject)) this.#messages.splice(i, 1);
    }
    for (const [id, subject] of this.#ids) if (subjectMatches(subjectFilter, subject)) this.#ids.delete(id);
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#consumers.clear();
  }

  #pump(consumer: Consumer): void {
    if (!consumer.active) return;
    for (const stored of this.#messages) {
      if (stored.seq <= consumer.durable.delivered) continue;
      consumer.durable.delivered = stored.seq;
      if (!subjectMatches(consumer.filter, stored.subject)) continue;
      consumer.durable.unacked.add(stored.seq);
      this.#offer(consumer, stored);
    }
  }

  #redeliver(consumer: Consumer, seq: number): void {
    if (!consumer.active || !consumer.durable.unacked.has(seq)) return;
    const stored = this.#messages.find((m) => m.seq === seq);
    if (stored) this.#offer(consumer, stored);
    else consumer.durable.unacked.delete(seq);
  }

  #offer(consumer: Consumer, stored: Stored): void {
    const message: StreamMessage = {
      subject: stored.subject,
      data: stored.data,
      seq: stored.seq,
      ack: () => void consumer.durable.unacked.delete(stored.seq),
    };
    // As with JetStream: nothing reaches a consumer after it unsubscribed, and a handler that
    // fails leaves the message unacked, to be offered again.
    void Promise.resolve()
      .then(() => (consumer.active ? consumer.handler(message) : undefined))
      .catch(() => undefined);
  }
}
