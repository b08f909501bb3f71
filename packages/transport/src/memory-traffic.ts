// In-process `TrafficStreams` with the semantics of JetStream work-queue streams (see
// `nats-traffic.ts`): stored until acked, dedupe by id within a window, retention by age, one
// shared durable per stream, redelivery after the ack wait or a nak. Time is read from the
// monotonic clock; retention is applied whenever a stream is touched (publish, delivery, backlog).
import { performance } from "node:perf_hooks";
import type { Subscription, TrafficBacklog, TrafficMessage, TrafficStreams } from "./bus.js";
import { checkConsumeOptions, checkRetention, checkTrafficName, dedupeWindowMs, TrafficStreamNotFoundError } from "./traffic.js";

interface Entry {
  readonly seq: number;
  readonly data: Uint8Array;
  /** Monotonic ms. */
  readonly storedAt: number;
  deliveries: number;
  /** The outstanding delivery; undefined while the message waits for its first or next one. */
  delivery: Delivery | undefined;
  /** False once acked or dropped by age. */
  stored: boolean;
}

interface Delivery {
  readonly subscriber: Subscriber;
  readonly timer: NodeJS.Timeout;
}

interface Subscriber {
  readonly maxInFlight: number;
  readonly handler: (message: TrafficMessage) => void;
  inFlight: number;
  active: boolean;
}

interface Durable {
  readonly name: string;
  /** The latest subscriber's, as JetStream updates the shared consumer's ack_wait. */
  ackWaitMs: number;
  readonly subscribers: Subscriber[];
  /** Round robin: the subscriber to try first next time. */
  next: number;
}

interface Queue {
  /** Undefined until `ensure`: publishing needs the stream, consuming may wait for it. */
  retainMs: number | undefined;
  /** Stored messages in sequence (= arrival) order. */
  readonly messages: Map<number, Entry>;
  /** Message id → when it was stored, in that order; forgotten after the dedupe window. */
  readonly ids: Map<string, number>;
  /** Never delivered, in sequence order, from `freshHead`; acked or dropped ones are skipped. */
  fresh: Entry[];
  freshHead: number;
  /** Delivered before and due again (ack wait passed, or nak), oldest first: these go before fresh ones. */
  readonly again: Set<Entry>;
  lastSeq: number;
  durable: Durable | undefined;
  scheduled: boolean;
}

/** Compact the fresh queue once this many delivered entries sit at its head. */
const COMPACT_AFTER = 1024;

export class MemoryTraffic implements TrafficStreams {
  readonly #queues = new Map<string, Queue>();
  #closed = false;

  async ensure(name: string, options: { readonly retainMs: number; readonly keepExisting?: boolean }): Promise<void> {
    checkTrafficName("traffic stream", name);
    checkRetention(options.retainMs);
    this.#checkOpen();
    const queue = this.#queue(name);
    if (queue.retainMs !== undefined && options.keepExisting) return;
    queue.retainMs = options.retainMs;
    this.#prune(queue);
    this.#schedule(queue);
  }

  async checkPublish(name: string): Promise<void> {
    checkTrafficName("traffic stream", name);
    this.#checkOpen();
    if (this.#queues.get(name)?.retainMs === undefined) throw new TrafficStreamNotFoundError(name);
  }

  async publish(name: string, data: Uint8Array, options: { readonly id: string }): Promise<void> {
    checkTrafficName("traffic stream", name);
    this.#checkOpen();
    const queue = this.#queues.get(name);
    if (queue?.retainMs === undefined) throw new TrafficStreamNotFoundError(name);
    const now = performance.now();
    this.#prune(queue, now);
    const window = dedupeWindowMs(queue.retainMs);
    for (const [id, at] of queue.ids) {
      if (now - at < window) break;
      queue.ids.delete(id);
    }
    if (queue.ids.has(options.id)) return;
    queue.ids.set(options.id, now);
    const entry: Entry = { seq: ++queue.lastSeq, data: data.slice(), storedAt: now, deliveries: 0, delivery: undefined, stored: true };
    queue.messages.set(entry.seq, entry);
    queue.fresh.push(entry);
    this.#schedule(queue);
  }

  consume(name: string, durable: string, options: { readonly ackWaitMs: number; readonly maxInFlight: number }, handler: (message: TrafficMessage) => void): Subscription {
    checkTrafficName("traffic stream", name);
    checkTrafficName("durable consumer", durable);
    checkConsumeOptions(options);
    const queue = this.#queue(name);
    queue.durable ??= { name: durable, ackWaitMs: options.ackWaitMs, subscribers: [], next: 0 };
    const shared = queue.durable;
    if (shared.name !== durable) {
      throw new Error(`traffic stream ${name} already has a consumer under another durable name; a work queue allows only one, so every shadow agent must use the same durable`);
    }
    shared.ackWaitMs = options.ackWaitMs;
    const subscriber: Subscriber = { maxInFlight: options.maxInFlight, handler, inFlight: 0, active: !this.#closed };
    shared.subscribers.push(subscriber);
    this.#schedule(queue);
    return {
      // What it holds stays unacked until acked (still possible) or its ack wait passes, as with JetStream.
      unsubscribe: () => {
        subscriber.active = false;
        const at = shared.subscribers.indexOf(subscriber);
        if (at >= 0) shared.subscribers.splice(at, 1);
      },
    };
  }

  async backlog(name: string, durable: string): Promise<TrafficBacklog> {
    checkTrafficName("traffic stream", name);
    checkTrafficName("durable consumer", durable);
    const queue = this.#queues.get(name);
    if (queue?.retainMs === undefined) throw new TrafficStreamNotFoundError(name);
    this.#prune(queue);
    this.#schedule(queue);
    // Another durable or none: nothing was delivered to this one, so everything stored waits for it.
    if (queue.durable?.name !== durable) return { pending: queue.messages.size, inFlight: 0, lastSeq: queue.lastSeq };
    let inFlight = 0;
    for (const entry of queue.messages.values()) if (entry.deliveries > 0) inFlight++;
    return { pending: queue.messages.size - inFlight, inFlight, lastSeq: queue.lastSeq };
  }

  close(): void {
    this.#closed = true;
    for (const queue of this.#queues.values()) {
      for (const entry of queue.messages.values()) if (entry.delivery) clearTimeout(entry.delivery.timer);
      for (const subscriber of queue.durable?.subscribers ?? []) subscriber.active = false;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error("the bus is closed");
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = { retainMs: undefined, messages: new Map(), ids: new Map(), fresh: [], freshHead: 0, again: new Set(), lastSeq: 0, durable: undefined, scheduled: false };
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Delivery runs on its own turn of the event loop: never inside publish, ack or nak. */
  #schedule(queue: Queue): void {
    if (queue.scheduled || this.#closed) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      this.#dispatch(queue);
    });
  }

  #dispatch(queue: Queue): void {
    if (this.#closed) return;
    this.#prune(queue);
    const durable = queue.durable;
    if (!durable) return;
    for (;;) {
      const entry = this.#ready(queue);
      if (!entry) return;
      const subscriber = nextFree(durable);
      if (!subscriber) return;
      if (entry.deliveries === 0) queue.freshHead++;
      else queue.again.delete(entry);
      this.#deliver(queue, durable, entry, subscriber);
    }
  }

  /** The next message to hand out, without taking it: redeliveries first, then the oldest fresh one. */
  #ready(queue: Queue): Entry | undefined {
    for (const entry of queue.again) return entry;
    while (queue.freshHead < queue.fresh.length && !queue.fresh[queue.freshHead]?.stored) queue.freshHead++;
    if (queue.freshHead > COMPACT_AFTER && queue.freshHead * 2 > queue.fresh.length) {
      queue.fresh = queue.fresh.slice(queue.freshHead);
      queue.freshHead = 0;
    }
    return queue.fresh[queue.freshHead];
  }

  #deliver(queue: Queue, durable: Durable, entry: Entry, subscriber: Subscriber): void {
    entry.deliveries++;
    const timer = setTimeout(() => this.#takeBack(queue, entry, delivery), durable.ackWaitMs);
    timer.unref();
    const delivery: Delivery = { subscriber, timer };
    entry.delivery = delivery;
    subscriber.inFlight++;
    const message: TrafficMessage = {
      data: entry.data.slice(),
      seq: entry.seq,
      deliveries: entry.deliveries,
      // Any delivery's ack counts, even a late one after a redelivery (JetStream's acks name the message).
      ack: () => {
        if (!entry.stored) return;
        this.#remove(queue, entry);
        this.#schedule(queue);
      },
      nak: () => this.#takeBack(queue, entry, delivery),
      working: () => {
        if (entry.delivery === delivery) timer.refresh();
      },
    };
    try {
      subscriber.handler(message);
    } catch {
      // Left unacked: redelivered after the ack wait, as with NatsBus.
    }
  }

  /** Ends `delivery` (nak, or the ack wait passed) and makes the message due again. */
  #takeBack(queue: Queue, entry: Entry, delivery: Delivery): void {
    if (entry.delivery !== delivery) return;
    this.#endDelivery(entry);
    if (entry.stored) queue.again.add(entry);
    this.#schedule(queue);
  }

  #endDelivery(entry: Entry): void {
    const delivery = entry.delivery;
    if (!delivery) return;
    clearTimeout(delivery.timer);
    delivery.subscriber.inFlight--;
    entry.delivery = undefined;
  }

  #remove(queue: Queue, entry: Entry): void {
    entry.stored = false;
    queue.messages.delete(entry.seq);
    queue.again.delete(entry);
    this.#endDelivery(entry);
  }

  /** Drops messages older than the retention, delivered or not, as JetStream's max_age does. */
  #prune(queue: Queue, now = performance.now()): void {
    if (queue.retainMs === undefined) return;
    for (const entry of queue.messages.values()) {
      if (now - entry.storedAt < queue.retainMs) break;
      this.#remove(queue, entry);
    }
  }
}

/** The next subscriber with a free slot, round robin. */
function nextFree(durable: Durable): Subscriber | undefined {
  const count = durable.subscribers.length;
  for (let i = 0; i < count; i++) {
    const at = (durable.next + i) % count;
    const subscriber = durable.subscribers[at];
    if (subscriber?.active && subscriber.inFlight < subscriber.maxInFlight) {
      durable.next = (at + 1) % count;
      return subscriber;
    }
  }
  return undefined;
}
