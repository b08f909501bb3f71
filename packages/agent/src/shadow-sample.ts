// Which captured exchanges a shadow job compares: a pure function of the exchange id, so every
// agent (and a restarted one) decides the same for the same exchange.
import { createHash } from "node:crypto";

/** The exchange's place in [0, 1): the first 48 bits of the sha256 of its id. */
export function sampleKey(id: string): number {
  return createHash("sha256").update(id).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** Whether the exchange is in a sample of this fraction (0 < sample <= 1). */
export function shadowSampled(id: string, sample: number): boolean {
  return sample >= 1 || sampleKey(id) < sample;
}
