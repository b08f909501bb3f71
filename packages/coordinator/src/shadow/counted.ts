/**
 * Exchange ids counted in merged snapshots, for answering agents' `counted-query` about
 * redeliveries. Kept in time slices, oldest first: an id stays at least `retainMs` after it was
 * added and at most one slice longer, so memory is bounded by the ids counted in that time.
 */
export class CountedIds {
  readonly #retainMs: number;
  readonly #sliceMs: number;
  readonly #slices: Array<{ readonly start: number; readonly ids: Set<string> }> = [];
  #size = 0;

  /** `retainMs` is split into `slices` slices; more slices free memory sooner, at the cost of more lookups per query. */
  constructor(retainMs: number, slices = 8) {
    if (!(retainMs > 0)) throw new RangeError(`retainMs must be > 0, got ${retainMs}`);
    this.#retainMs = retainMs;
    this.#sliceMs = Math.max(1, Math.ceil(retainMs / slices));
  }

  /** How long ids are kept at least. */
  get retainMs(): number {
    return this.#retainMs;
  }

  get size(): number {
    return this.#size;
  }

  /** Records `id` as counted at `now`; false when it was counted already (a recount). */
  add(id: string, now: number): boolean {
    this.prune(now);
    if (this.has(id)) return false;
    let slice = this.#slices[this.#slices.length - 1];
    if (slice === undefined || now >= slice.start + this.#sliceMs) {
      slice = { start: now, ids: new Set() };
      this.#slices.push(slice);
    }
    slice.ids.add(id);
    this.#size++;
    return true;
  }

  has(id: string): boolean {
    for (const slice of this.#slices) if (slice.ids.has(id)) return true;
    return false;
  }

  /** Drops the slices whose every id is older than `retainMs`. */
  prune(now: number): void {
    for (;;) {
      const oldest = this.#slices[0];
      if (oldest === undefined || oldest.start + this.#sliceMs > now - this.#retainMs) return;
      this.#slices.shift();
      this.#size -= oldest.ids.size;
    }
  }
}

/** How long counted ids are kept: many ack waits (each redelivery comes one ack wait after the last) and two windows. */
export function countedRetentionMs(ackWaitMs: number, windowMs: number): number {
  return Math.max(10 * ackWaitMs, 2 * windowMs);
}
