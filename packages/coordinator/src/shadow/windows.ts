/**
 * Rolling windows of a shadow job, by wall clock.
 *
 * Window i covers [origin + i·length, origin + (i+1)·length), origin being the first start
 * instant. A snapshot belongs to the window its interval ended in: the start instant its agent
 * was given plus the snapshot's `window.toMs` (its arrival time when it has no window), never
 * later than its arrival. Window i closes `settleMs` after its end, so the snapshots of its last
 * seconds can still arrive; a snapshot whose window has closed goes to the oldest open one and
 * is counted there as late. Once the job is stopping, the window open at the stop takes every
 * snapshot that follows and ends when the job does.
 */
export interface ShadowWindowSlot<W> {
  readonly index: number;
  /** Wall-clock epoch ms. */
  readonly fromMs: number;
  /** The nominal end; the last window of a stopped job ends when the job does. */
  readonly toMs: number;
  readonly contents: W;
}

export class Windows<W> {
  readonly #open = new Map<number, ShadowWindowSlot<W>>();
  /** The first window not closed yet. */
  #next = 0;
  #stopIndex: number | undefined;

  constructor(
    readonly originMs: number,
    readonly lengthMs: number,
    readonly settleMs: number,
    readonly create: (index: number, fromMs: number) => W,
  ) {}

  indexAt(wallMs: number): number {
    return Math.max(0, Math.floor((wallMs - this.originMs) / this.lengthMs));
  }

  get stopping(): boolean {
    return this.#stopIndex !== undefined;
  }

  /** Open windows, oldest first (for live totals). */
  open(): ShadowWindowSlot<W>[] {
    return [...this.#open.values()].sort((a, b) => a.index - b.index);
  }

  /** The window a snapshot whose interval ended at `endMs` (undefined: unknown) goes to, seen at `nowMs`; `late` when its own window had closed. */
  place(endMs: number | undefined, nowMs: number): { readonly slot: ShadowWindowSlot<W>; readonly late: boolean } {
    const own = this.indexAt(Math.min(endMs ?? nowMs, nowMs));
    let index = Math.max(own, this.#next);
    if (this.#stopIndex !== undefined) index = Math.min(index, this.#stopIndex);
    return { slot: this.#slot(index), late: own < this.#next };
  }

  /** Windows due to close at `nowMs`, oldest first, taken out of the open set (empty ones too). The stop window is never due. */
  takeDue(nowMs: number): ShadowWindowSlot<W>[] {
    const due: ShadowWindowSlot<W>[] = [];
    while (this.#next !== this.#stopIndex && nowMs >= this.originMs + (this.#next + 1) * this.lengthMs + this.settleMs) due.push(this.#take(this.#next));
    return due;
  }

  /** From now on, every snapshot goes to the window open at `nowMs` (or the oldest open one). */
  stop(nowMs: number): void {
    this.#stopIndex ??= Math.max(this.indexAt(nowMs), this.#next);
  }

  /** At the end of a stopped job: every window left, through the stop window. */
  takeRest(): ShadowWindowSlot<W>[] {
    if (this.#stopIndex === undefined) throw new Error("takeRest before stop");
    const rest: ShadowWindowSlot<W>[] = [];
    while (this.#next <= this.#stopIndex) rest.push(this.#take(this.#next));
    return rest;
  }

  #slot(index: number): ShadowWindowSlot<W> {
    let slot = this.#open.get(index);
    if (!slot) {
      const fromMs = this.originMs + index * this.lengthMs;
      slot = { index, fromMs, toMs: fromMs + this.lengthMs, contents: this.create(index, fromMs) };
      this.#open.set(index, slot);
    }
    return slot;
  }

  #take(index: number): ShadowWindowSlot<W> {
    const slot = this.#slot(index);
    this.#open.delete(index);
    this.#next = index + 1;
    return slot;
  }
}
