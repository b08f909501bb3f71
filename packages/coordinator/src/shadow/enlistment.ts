// One agent process taking part in a shadow job, from prepare to its end. Each enlistment has an
// epoch of its own: a restarted agent (same name, its seq back at 0) is a new enlistment whose
// snapshots neither collide with the old ones in the stream nor in the merge, and whose lease,
// start and stop are its own.

export const ENLISTMENT_STATES = ["preparing", "running", "finished", "lost", "refused"] as const;
export type EnlistmentState = (typeof ENLISTMENT_STATES)[number];

const TRANSITIONS: Readonly<Record<EnlistmentState, readonly EnlistmentState[]>> = {
  // Finished from preparing: the job stopped before the agent could start.
  preparing: ["running", "refused", "finished"],
  running: ["finished", "lost"],
  finished: [],
  lost: [],
  refused: [],
};

export interface Enlistment {
  /** Who it is to the merger: agent id and epoch. */
  readonly key: string;
  readonly agentId: string;
  readonly name: string;
  /** How the report names it: the agent's name; `name#2`, `name#3`… for later enlistments of the same name (set at its start). */
  label: string;
  readonly epoch: number;
  state: EnlistmentState;
  /** Wall-clock ms: its start instant (windows place its snapshots from it) and when it ended. */
  startAtMs: number | undefined;
  endedAtMs: number | undefined;
  /** Monotonic ms when it answered ready; heartbeats before that may predate the prepare. */
  readyAt: number | undefined;
  /** This coordinator asked it to stop: finishing is then completion, not leaving. */
  stopAsked: boolean;
  snapshots: number;
  lastSeq: number;
  /** Every seq up to this one has been merged; `ahead`: those merged beyond it (out of order). A redelivery is one of these. */
  through: number;
  readonly ahead: Set<number>;
  /** Monotonic ms its final snapshot arrived. */
  finalAt: number | undefined;
}

export function enlistment(agentId: string, name: string, epoch: number): Enlistment {
  return {
    key: `${agentId}#${epoch}`,
    agentId,
    name,
    label: name,
    epoch,
    state: "preparing",
    startAtMs: undefined,
    endedAtMs: undefined,
    readyAt: undefined,
    stopAsked: false,
    snapshots: 0,
    lastSeq: -1,
    through: -1,
    ahead: new Set(),
    finalAt: undefined,
  };
}

/** The one place an enlistment changes state; an illegal transition is a bug. */
export function transition(e: Enlistment, next: EnlistmentState): void {
  if (!TRANSITIONS[e.state].includes(next)) throw new Error(`enlistment ${e.label}: illegal transition ${e.state} → ${next}`);
  e.state = next;
}

/** Holds (or may yet hold) exchanges of the stream: preparing or running. */
export function active(e: Enlistment): boolean {
  return e.state === "preparing" || e.state === "running";
}

/** Whether snapshot `seq` of the enlistment was merged already. */
export function merged(e: Enlistment, seq: number): boolean {
  return seq <= e.through || e.ahead.has(seq);
}

/** Records snapshot `seq` as merged, in memory bounded by how far snapshots arrive out of order. */
export function markMerged(e: Enlistment, seq: number, final: boolean, now: number): void {
  e.ahead.add(seq);
  while (e.ahead.delete(e.through + 1)) e.through++;
  e.snapshots++;
  e.lastSeq = Math.max(e.lastSeq, seq);
  if (final) e.finalAt ??= now;
}

/** Every snapshot from seq 0 to the final one has arrived. */
export function complete(e: Enlistment): boolean {
  return e.finalAt !== undefined && e.through === e.lastSeq;
}
