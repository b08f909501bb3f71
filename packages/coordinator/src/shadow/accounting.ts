// Stream accounting of a shadow job: the snapshots' `shadow` sections summed, per window and in total.
import type { Snapshot } from "@parallax/protocol";

type ShadowSection = NonNullable<Snapshot["shadow"]>;

/**
 * Sums of the snapshots' stream accounting. Every exchange an agent takes is counted once in
 * exactly one of compared, heldBack, sampledOut or malformed; a redelivery of one already
 * counted is a duplicate and counted nowhere else.
 */
export class StreamTally {
  /** Exchange ids the snapshots listed: compared or held back. */
  exchanges = 0;
  /** Held back (unsafe to send): the snapshots' skipped requests. */
  heldBack = 0;
  sampledOut = 0;
  malformed = 0;
  redelivered = 0;
  duplicates = 0;
  /** Messages the agents took from the stream, whatever became of them (their own `received`). */
  taken = 0;
  /** Ids listed again after a merged snapshot had counted them: an agent held them past the ack wait. */
  recounted = 0;
  /** Snapshots merged, and those of them without a stream section (not from a shadow job). */
  snapshots = 0;
  withoutSection = 0;
  /** Exchanges (compared or held back) per enlistment. */
  readonly byAgent = new Map<string, number>();

  get compared(): number {
    return Math.max(0, this.exchanges - this.heldBack);
  }

  /** Distinct exchanges taken and counted. */
  get received(): number {
    return this.compared + this.heldBack + this.sampledOut + this.malformed;
  }

  add(key: string, section: ShadowSection | undefined, skipped: Readonly<Record<string, number>>, recounted: number): void {
    this.snapshots++;
    for (const n of Object.values(skipped)) this.heldBack += n;
    if (section === undefined) {
      this.withoutSection++;
      return;
    }
    this.exchanges += section.exchanges.length;
    this.sampledOut += section.sampledOut;
    this.malformed += section.malformed;
    this.redelivered += section.redelivered;
    this.duplicates += section.duplicates;
    this.taken += section.received;
    this.recounted += recounted;
    this.byAgent.set(key, (this.byAgent.get(key) ?? 0) + section.exchanges.length);
  }

  addTally(other: StreamTally): void {
    this.exchanges += other.exchanges;
    this.heldBack += other.heldBack;
    this.sampledOut += other.sampledOut;
    this.malformed += other.malformed;
    this.redelivered += other.redelivered;
    this.duplicates += other.duplicates;
    this.taken += other.taken;
    this.recounted += other.recounted;
    this.snapshots += other.snapshots;
    this.withoutSection += other.withoutSection;
    for (const [key, n] of other.byAgent) this.byAgent.set(key, (this.byAgent.get(key) ?? 0) + n);
  }
}
