import type { Outcome } from "@parallax/diff";
import { phaseAt, segmentIndices, type OpenPlan, type Phase, type Segment } from "@parallax/scenario";
import { sleep, type Clock } from "./clock.js";
import type { Sink } from "./interval-sink.js";
import type { PreparedRequest, Target } from "./target.js";

export interface OpenLoopOptions {
  readonly plan: OpenPlan;
  readonly segment: Segment;
  /** Prepared requests by recording index. */
  readonly requests: readonly PreparedRequest[];
  /** Production first, then candidate, then secondary when present. */
  readonly targets: readonly Target[];
  readonly sink: Sink;
  readonly clock: Clock;
  /** Monotonic instant at which plan offset 0 is due. */
  readonly startAt: number;
  /** Aborting stops sending at once; requests already sent still complete. */
  readonly signal: AbortSignal;
}

export interface OpenLoopResult {
  /** Items of the segment dispatched or held back. */
  readonly done: number;
  /** Items of the segment never reached because the run was stopped. */
  readonly notSent: number;
}

/** The last stretch before a due time is waited out by yielding, not by a timer that may fire a ms late. */
const SPIN_MS = 1.5;
/** When behind schedule, dispatch at most this many late items before yielding to the event loop. */
const CATCH_UP_BATCH = 64;

/**
 * Open-loop (arrival-rate) scheduler: item i of the segment is sent to every target at its
 * intended instant, whether or not earlier requests have answered, so a slow target cannot
 * slow the arrivals down. Latency is measured from the intended instant (coordinated omission
 * is not possible); a send that leaves late is counted by the sink, never skipped.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { plan, requests, sink, clock, startAt, signal } = options;
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  const fail = (error: unknown) => void (failure ??= error);
  let done = 0;
  let planned = 0;
  let sinceYield = 0;
  for (const i of segmentIndices(options.segment, plan.total)) {
    planned++;
    if (signal.aborted || failure !== undefined) continue;
    const due = startAt + plan.intendedOffsetMs(i);
    if (await waitUntil(clock, due, signal)) sinceYield = 0;
    else if (++sinceYield >= CATCH_UP_BATCH) {
      // Behind schedule nothing waits, so let responses, heartbeats and snapshots through now and then.
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (signal.aborted) continue;
    const request = requests[plan.recordingIndex(i)];
    if (!request) throw new Error(`plan item ${i} points outside the recording`);
    done++;
    if (request.heldBack !== undefined) {
      sink.heldBack(request.heldBack);
      continue;
    }
    sink.dispatched(clock.now() - due);
    const pending = sendPair(request, due, plan.phases.length ? plan.phaseOf(i) : -1, options, startAt)
      .catch(fail)
      .finally(() => inflight.delete(pending));
    inflight.add(pending);
  }
  await Promise.all(inflight);
  if (failure !== undefined) throw failure;
  return { done, notSent: planned - done };
}

/** Returns whether it waited (yielded to the event loop) at all. */
async function waitUntil(clock: Clock, due: number, signal: AbortSignal): Promise<boolean> {
  let remaining = due - clock.now();
  if (remaining <= 0) return false;
  if (remaining > SPIN_MS) {
    await sleep(remaining - SPIN_MS, signal);
    remaining = due - clock.now();
  }
  while (remaining > 0 && !signal.aborted) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    remaining = due - clock.now();
  }
  return true;
}

async function sendPair(request: PreparedRequest, due: number, phase: number, options: OpenLoopOptions, startAt: number): Promise<void> {
  const { targets, sink, clock, plan } = options;
  const outcomes = await Promise.all(
    targets.map(async (target) => {
      sink.sent(target.name, request.endpoint, phase);
      const sentAt = clock.now();
      const outcome = await target.send(request);
      const now = clock.now();
      sink.response(target.name, request.endpoint, outcome, (now - due) * 1000, (now - sentAt) * 1000, phase, completedIn(plan.phases, now - startAt, options.signal));
      return outcome;
    }),
  );
  const byName: Partial<Record<string, Outcome>> = {};
  targets.forEach((target, k) => (byName[target.name] = outcomes[k]));
  const production = byName["production"];
  const candidate = byName["candidate"];
  if (!production || !candidate) return;
  const secondary = byName["secondary"];
  sink.pair(
    secondary
      ? { endpoint: request.endpoint, request: request.source, production, candidate, secondary }
      : { endpoint: request.endpoint, request: request.source, production, candidate },
  );
}

/** Answers after a stop belong to no step: the stopped step's throughput counts up to the stop only. */
function completedIn(phases: readonly Phase[], offsetMs: number, signal: AbortSignal): number {
  return phases.length && !signal.aborted ? phaseAt(phases, offsetMs) : -1;
}
