// Keeps the start of a body that streams past, up to a limit, without holding on to the rest.

/** Collects chunks up to `limit` bytes and counts everything after it. */
export class BoundedCapture {
  readonly #limit: number;
  readonly #chunks: Uint8Array[] = [];
  #kept = 0;
  #seen = 0;

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`capture limit must be a whole number of bytes >= 0, got ${limit}`);
    this.#limit = limit;
  }

  /** Bytes seen in all, kept or not. */
  get size(): number {
    return this.#seen;
  }

  /** More bytes went past than the limit: what is kept is only the start. */
  get truncated(): boolean {
    return this.#seen > this.#limit;
  }

  /** Keeps a view of `chunk` up to the limit (the chunk itself is not copied); beyond it, only counts. */
  add(chunk: Uint8Array): void {
    this.#seen += chunk.byteLength;
    const room = this.#limit - this.#kept;
    if (room <= 0 || chunk.byteLength === 0) return;
    const kept = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
    this.#chunks.push(kept);
    this.#kept += kept.byteLength;
  }

  /** The kept bytes in one array (one copy, at most `limit` bytes), or undefined when none went past. */
  bytes(): Uint8Array | undefined {
    if (this.#kept === 0) return undefined;
    if (this.#chunks.length === 1) return copy(this.#chunks[0] as Uint8Array);
    const out = new Uint8Array(this.#kept);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}

/**
 * A chunk from a socket is a view into a larger buffer that outlives it in the publish queue
 * otherwise; one copy keeps only what was captured alive.
 */
function copy(chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(chunk.byteLength);
  out.set(chunk);
  return out;
}
