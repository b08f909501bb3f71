// Uniform samples of bounded size: Algorithm R per offer, and a weighted merge of two samples.

/**
 * Algorithm R. `seen` counts offers including this one. Returns the slot the new item goes to
 * (`sampleLength` means append), or -1 when it is not kept; the caller builds the item only then.
 */
export function reservoirSlot(sampleLength: number, seen: number, size: number, random: () => number): number {
  if (sampleLength < size) return sampleLength;
  const j = Math.floor(random() * seen);
  return j < size ? j : -1;
}

/**
 * Merges two uniform samples, of `seenA` and `seenB` offers, into one uniform sample of at most
 * `size` of the `seenA + seenB`. How many come from each side follows the hypergeometric law
 * (each draw takes side A with probability remaining-A / remaining-total, without replacement);
 * which ones is uniform within each side's sample. A side whose sample runs short (it was kept
 * smaller) gives way to the other.
 */
export function mergeReservoirs<T>(a: readonly T[], seenA: number, b: readonly T[], seenB: number, size: number, random: () => number): T[] {
  const poolA = a.slice();
  const poolB = b.slice();
  const out: T[] = [];
  let restA = Math.max(seenA, poolA.length);
  let restB = Math.max(seenB, poolB.length);
  while (out.length < size && (poolA.length > 0 || poolB.length > 0)) {
    let fromA = random() * (restA + restB) < restA;
    if (fromA && poolA.length === 0) fromA = false;
    else if (!fromA && poolB.length === 0) fromA = true;
    const pool = fromA ? poolA : poolB;
    if (fromA) restA--;
    else restB--;
    const i = Math.floor(random() * pool.length);
    // Swap-remove: order inside a reservoir carries no meaning.
    out.push(pool[i] as T);
    pool[i] = pool[pool.length - 1] as T;
    pool.pop();
  }
  return out;
}
