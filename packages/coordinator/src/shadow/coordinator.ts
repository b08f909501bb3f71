import { randomInt } from "node:crypto";
import {
  InfrastructureError,
  InvalidInputError,
  SUBJECTS,
  decodeMessage,
  encodeBundle,
  encodeMessage,
  systemClock,
  type Clock,
  type Logger,
  type RunEvent,
  type RunResult,
  type ShadowThresholdEvent,
  type Snapshot,
} from "@parallax/protocol";
import { toScenarioDocument } from "@parallax/scenario";
import type { Bus, StreamMessage, Subscription } from "@parallax/transport";
import { prepareAgent, waitForAgents } from "../agents.js";
import { delay } from "../delay.js";
import { SnapshotMerger } from "../merge.js";
import { AgentRegistry, type KnownAgent } from "../registry.js";
import { StreamTally } from "./accounting.js";
import { CountedIds, countedRetentionMs } from "./counted.js";
import { active, complete, enlistment, markMerged, merged, transition, type Enlistment } from "./enlistment.js";
import { validateShadowOptions, withShadowDefaults, type ResolvedShadowOptions, type ShadowCoordinatorOptions, type ShadowProgress } from "./options.js";
import { WHOLE, iso, shadowRunResult, type JobFacts, type ResultScope } from "./result.js";
import { ThresholdStates, dropOldestButLatest } from "./thresholds.js";
import { Windows, type ShadowWindowSlot } from "./windows.js";

// Liveness and pacing, together.
const TICK_MS = 200;
const LEASE_RENEW_MS = 1000;
const PROGRESS_MS = 1000;
/** After an agent's final snapshot, how long a missing earlier one may take to arrive. */
const GAP_GRACE_MS = 5000;
/** After the stop, on top of the ack wait (in-flight comparisons finish first), how long agents get to send their final snapshot. */
const STOP_GRACE_MS = 5000;
/** A window closes this long after its end, so snapshots of its last seconds can still arrive (agents send one a second). */
export const WINDOW_SETTLE_MS = 2000;
/** Heartbeats received this soon after an agent answered ready may have been sent before it prepared. */
const HEARTBEAT_GRACE_MS = 1000;
/** An agent that refused or could not prepare is asked again after this long, doubling up to the maximum. */
const RETRY_ENLIST_MS = 10_000;
const MAX_RETRY_ENLIST_MS = 5 * 60_000;
/** The object store drops bundles a day after upload; one older than this is stored again before a late enlistment. */
const BUNDLE_REFRESH_MS = 60 * 60_000;
const BACKLOG_TIMEOUT_MS = 2000;
/** Run events and threshold events a cumulative result keeps (the most recent). */
const MAX_EVENTS = 1000;
/** Snapshots are merged under their enlistment's key (agent id and epoch), so one merger epoch serves all. */
const MERGE_EPOCH = 1;

interface WindowContents {
  readonly merger: SnapshotMerger;
  readonly tally: StreamTally;
  /** As merged here; added to the cumulative merger when the window closes. */
  readonly snapshots: Snapshot[];
  /** Snapshots that ended in an earlier window, already closed when they arrived. */
  late: number;
}

interface HeardBeat {
  readonly at: number;
  readonly runId: string | undefined;
  readonly epoch: number | undefined;
}

/**
 * Drives a continuous shadow comparison (`parallax shadow`): enlists agents to consume the
 * traffic stream as one work queue, merges their snapshots into rolling windows and a cumulative
 * total, answers their questions about redelivered exchanges, emits an event whenever a
 * threshold changes state from one window to the next, and on `signal` stops the agents, merges
 * their final snapshots and returns the cumulative RunResult (status `degraded` when an agent was
 * lost). See windows.ts for which window a snapshot counts in.
 */
export async function runShadowCoordinator(options: ShadowCoordinatorOptions): Promise<RunResult> {
  const resolved = withShadowDefaults(options);
  const issues = validateShadowOptions(resolved);
  if (issues.length > 0) throw new InvalidInputError(issues);
  return new ShadowJob(resolved).run();
}

class ShadowJob {
  readonly #o: ResolvedShadowOptions;
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #facts: JobFacts;
  readonly #registry: AgentRegistry;
  readonly #subscriptions: Subscription[] = [];
  readonly #baseEpoch = randomInt(1, 2 ** 31);
  readonly #bundleKey: string;
  readonly #bundle: { readonly bytes: Uint8Array; readonly digest: string };
  #bundleStoredAt = 0;
  readonly #enlistments: Enlistment[] = [];
  readonly #byEpoch = new Map<number, Enlistment>();
  readonly #retry = new Map<string, { at: number; delayMs: number; reason: string }>();
  readonly #beats = new Map<string, HeardBeat>();
  /** Enlistments whose agent's heartbeats have named another job (or none) since then (monotonic ms). */
  readonly #elsewhereSince = new Map<string, number>();
  readonly #counted: CountedIds;
  readonly #cumulative: SnapshotMerger;
  readonly #tally = new StreamTally();
  readonly #thresholds = new ThresholdStates();
  readonly #events: Array<RunEvent & { readonly ms: number }> = [];
  #droppedEvents = 0;
  readonly #thresholdEvents: ShadowThresholdEvent[] = [];
  #droppedThresholdEvents = 0;
  #windows: Windows<WindowContents> | undefined;
  #backlog = { pending: 0, inFlight: 0 };
  #backlogProblem: string | undefined;
  readonly #startedAtMs: number;
  #last: RunResult | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;

  constructor(o: ResolvedShadowOptions) {
    this.#o = o;
    this.#bus = o.bus;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger.child({ component: "shadow-coordinator", runId: o.runId });
    this.#facts = { runId: o.runId, scenario: o.scenario, stream: o.stream, durable: o.durable, sample: o.sample };
    this.#registry = new AgentRegistry(o.version);
    this.#bundleKey = `${o.runId}.${this.#baseEpoch}`;
    // No recording: the stream is the traffic.
    this.#bundle = encodeBundle({ scenario: toScenarioDocument(o.scenario), recording: "", ...(o.protos === undefined ? {} : { protos: o.protos }) });
    this.#counted = new CountedIds(countedRetentionMs(o.ackWaitMs, o.windowMs));
    this.#cumulative = this.#merger();
    this.#startedAtMs = this.#clock.wallNow();
  }

  async run(): Promise<RunResult> {
    const bus = this.#bus;
    try {
      this.#listen();
      await this.#storeBundle();
      if (this.#o.retainMs !== undefined) await bus.traffic.ensure(this.#o.stream, { retainMs: this.#o.retainMs, keepExisting: this.#o.keepRetention === true });
      const found = await waitForAgents(bus, this.#registry, this.#clock, this.#o.agents, this.#o.agentsTimeoutMs, this.#o.signal, 1);
      this.#leaseTimer = setInterval(() => this.#renewLeases(), LEASE_RENEW_MS);
      const prepared = await Promise.all(found.map((agent) => this.#prepare(agent)));
      const ready = prepared.filter((e): e is Enlistment => e !== undefined);
      if (ready.length === 0) {
        const why = [...this.#retry.entries()].map(([id, r]) => `${id}: ${r.reason}`);
        throw new InfrastructureError(`no agent became ready for the shadow job (${why.join("; ")})`);
      }
      const startAt = this.#clock.wallNow() + this.#o.startDelayMs;
      this.#windows = new Windows<WindowContents>(startAt, this.#o.windowMs, WINDOW_SETTLE_MS, () => ({ merger: this.#merger(), tally: new StreamTally(), snapshots: [], late: 0 }));
      for (const e of ready) this.#start(e, startAt);
      const short = this.#o.agents - ready.length;
      this.#event("started", `${ready.length} agent(s) consuming stream ${this.#o.stream} (durable ${this.#o.durable}) from ${iso(startAt)}${short > 0 ? `; ${short} more will be enlisted as they appear` : ""}`);
      await this.#loop(this.#windows);
    } catch (error) {
      clearInterval(this.#leaseTimer);
      for (const e of this.#enlistments) if (active(e)) this.#stopAgent(e, "coordinator failed");
      await this.#cleanup();
      throw error;
    }
    clearInterval(this.#leaseTimer);
    await this.#cleanup();
    if (this.#last === undefined) throw new Error("shadow job ended without a result");
    return this.#last;
  }

  #merger(): SnapshotMerger {
    // Redelivered snapshots are recognised per enlistment before they get here (see #merge).
    return new SnapshotMerger(this.#o.runId, MERGE_EPOCH, { exemplars: this.#o.scenario.compare.exemplars, rules: this.#o.scenario.compare.rules, dedupe: false });
  }

  #listen(): void {
    const bus = this.#bus;
    const { runId } = this.#o;
    this.#subscriptions.push(
      bus.subscribe(SUBJECTS.hello, (m) => {
        const d = decodeMessage(m.data);
        if (d.ok && d.message.type === "parallax.v1.hello") this.#registry.hello(d.message, this.#clock.now());
      }),
      bus.subscribe(SUBJECTS.heartbeats, (m) => {
        const d = decodeMessage(m.data);
        if (!d.ok || d.message.type !== "parallax.v1.heartbeat") return;
        const now = this.#clock.now();
        this.#registry.heartbeat(d.message, now);
        this.#beats.set(d.message.agentId, { at: now, runId: d.message.runId, epoch: d.message.epoch });
      }),
      bus.subscribe(SUBJECTS.shadowCounted(runId), (m) => {
        const d = decodeMessage(m.data);
        if (!d.ok || d.message.type !== "parallax.v1.counted-query" || d.message.runId !== runId || !m.respond) return;
        const ids = d.message.ids.filter((id) => this.#counted.has(id));
        m.respond(encodeMessage("parallax.v1.counted", { runId, ids }));
      }),
      bus.stream.consume(SUBJECTS.runSnapshots(runId), `shadow-${runId}-${this.#baseEpoch}`, (m) => this.#onStreamMessage(m)),
    );
  }

  async #storeBundle(): Promise<void> {
    await this.#bus.blobs.put(this.#bundleKey, this.#bundle.bytes);
    this.#bundleStoredAt = this.#clock.now();
  }

  #onStreamMessage(m: StreamMessage): void {
    const d = decodeMessage(m.data);
    if (!d.ok || d.message.type !== "parallax.v1.snapshot") {
      this.#log.warn({ error: d.ok ? `unexpected ${d.message.type}` : d.error }, "ignored stream message");
      m.ack();
      return;
    }
    try {
      this.#merge(d.message);
    } catch (error) {
      // Redelivering it would fail the same way: drop it (its exchanges stay uncounted and are redelivered to the agents).
      this.#log.error({ err: error, agentId: d.message.agentId, seq: d.message.seq }, "snapshot could not be merged; dropped");
    }
    m.ack();
  }

  /** Merges a snapshot into its window, and counts its exchanges at once (agents may ask about them from now on). */
  #merge(s: Snapshot): void {
    const e = this.#byEpoch.get(s.epoch);
    // Another job's, or from before this coordinator (fencing: epochs are ours alone).
    if (s.runId !== this.#o.runId || e === undefined || e.agentId !== s.agentId || this.#windows === undefined) return;
    const now = this.#clock.now();
    this.#registry.seen(s.agentId, now);
    if (merged(e, s.seq)) return;
    // The interval's place is the window's business; the merger's per-second timeline would grow without end.
    const { window: interval, ...rest } = s;
    const renamed: Snapshot = { ...rest, agentId: e.key, epoch: MERGE_EPOCH };
    const endMs = interval !== undefined && e.startAtMs !== undefined ? e.startAtMs + interval.toMs : undefined;
    const { slot, late } = this.#windows.place(endMs, this.#clock.wallNow());
    const w = slot.contents;
    // Throws (changing nothing) on a snapshot that cannot be decoded.
    w.merger.add(renamed);
    markMerged(e, s.seq, s.final, now);
    w.snapshots.push(renamed);
    if (late) w.late++;
    let recounted = 0;
    for (const id of s.shadow?.exchanges ?? []) if (!this.#counted.add(id, now)) recounted++;
    w.tally.add(e.key, s.shadow, s.skipped, recounted);
  }

  async #loop(windows: Windows<WindowContents>): Promise<void> {
    let offline = false;
    let stopRequestedAt: number | undefined;
    let lastProgress = this.#clock.now();
    for (;;) {
      await delay(TICK_MS);
      const now = this.#clock.now();
      if (!this.#bus.isConnected()) {
        // Our own outage: nobody's silence counts until we are back.
        if (!offline) this.#event("bus-disconnected", "connection to the message bus lost; waiting for it to come back");
        offline = true;
        continue;
      }
      if (offline) {
        offline = false;
        this.#registry.forgiveSilence(now);
        this.#event("bus-reconnected", "connection to the message bus restored");
      }
      this.#checkAgents(now);
      if (stopRequestedAt === undefined) this.#enlistMore(now);
      for (const slot of windows.takeDue(this.#clock.wallNow())) await this.#close(slot, slot.toMs, false);
      if (this.#o.onProgress && now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        this.#o.onProgress(this.#progress(windows));
      }
      if (this.#o.signal?.aborted && stopRequestedAt === undefined) {
        stopRequestedAt = now;
        windows.stop(this.#clock.wallNow());
        this.#event("stopping", "stop requested: agents told to stop; merging their final snapshots");
        for (const e of this.#enlistments) {
          // One still preparing is released when its answer comes (see #prepare).
          if (e.state === "preparing") this.#end(e, "finished");
          else if (e.state === "running") this.#stopAgent(e, "shadow job stopped");
        }
      }
      if (stopRequestedAt !== undefined) {
        if (!this.#enlistments.some(active)) break;
        if (now - stopRequestedAt > this.#o.ackWaitMs + STOP_GRACE_MS) {
          for (const e of this.#enlistments.filter(active)) {
            this.#end(e, "lost");
            this.#event("stop-timeout", `agent ${e.label} sent no final snapshot within ${this.#o.ackWaitMs + STOP_GRACE_MS} ms of the stop`, e.agentId);
          }
          break;
        }
      }
    }
    const rest = windows.takeRest();
    for (const [i, slot] of rest.entries()) {
      const last = i === rest.length - 1;
      await this.#close(slot, last ? Math.max(slot.fromMs, this.#clock.wallNow()) : slot.toMs, last);
    }
  }

  /** Agents that finished, left, were replaced by a restarted process, or went silent. */
  #checkAgents(now: number): void {
    for (const e of this.#enlistments) {
      if (e.state !== "running") continue;
      if (e.finalAt !== undefined) {
        // The final snapshot came but an earlier one has not (yet): give redelivery a moment.
        if (complete(e) || now - e.finalAt > GAP_GRACE_MS) {
          this.#end(e, "finished");
          if (!complete(e)) this.#event("snapshot-gap", `agent ${e.label}: received ${e.snapshots} of ${e.lastSeq + 1} snapshots; the exchanges of the missing ones were never acked and go to the other agents`, e.agentId);
          if (!e.stopAsked) this.#event("agent-left", `agent ${e.label} ended its part without being asked (stopped by its operator, or its lease ran out)`, e.agentId);
        }
        continue;
      }
      // Its heartbeats name another job or none: a restarted process under the same id, or one that dropped the job.
      // Its final snapshot may still be on its way through the stream, so that must last a while.
      const beat = this.#beats.get(e.agentId);
      const elsewhere = beat !== undefined && e.readyAt !== undefined && beat.at > e.readyAt + HEARTBEAT_GRACE_MS && (beat.runId !== this.#o.runId || beat.epoch !== e.epoch);
      if (!elsewhere) this.#elsewhereSince.delete(e.key);
      else {
        const since = this.#elsewhereSince.get(e.key) ?? now;
        this.#elsewhereSince.set(e.key, since);
        if (now - since > GAP_GRACE_MS) {
          this.#lose(e, `agent ${e.label} is no longer on this job (it restarted, or dropped it) and sent no final snapshot; the stream redelivers what it held to the other agents`);
          continue;
        }
      }
      if (this.#registry.liveness(e.agentId, now) === "lost") {
        const agent = this.#registry.get(e.agentId);
        const silent = agent === undefined ? "" : ` (silent for ${Math.round(now - agent.lastSeen)} ms)`;
        this.#lose(e, `agent ${e.label} lost${silent}; the stream redelivers the exchanges it held unacknowledged to the other agents`);
      }
    }
  }

  #lose(e: Enlistment, message: string): void {
    this.#end(e, "lost");
    this.#event("agent-lost", message, e.agentId);
    // Should it be alive after all (a partition), it stops: its lease is no longer renewed either.
    this.#stopAgent(e, "agent lost");
  }

  #end(e: Enlistment, state: "finished" | "lost"): void {
    transition(e, state);
    e.endedAtMs = this.#clock.wallNow();
    this.#elsewhereSince.delete(e.key);
  }

  /** While fewer than `agents` are enlisted, enlist agents that appear (new ones, restarted ones, ones done with another job). */
  #enlistMore(now: number): void {
    const enlisted = new Set(this.#enlistments.filter(active).map((e) => e.agentId));
    let wanted = this.#o.agents - enlisted.size;
    if (wanted <= 0) return;
    for (const agent of this.#registry.available(now).sort((a, b) => a.id.localeCompare(b.id))) {
      if (wanted <= 0) return;
      if (enlisted.has(agent.id) || (this.#retry.get(agent.id)?.at ?? 0) > now) continue;
      wanted--;
      void this.#prepare(agent, true).catch((error: unknown) => this.#log.error({ err: error, agentId: agent.id }, "enlisting failed"));
    }
  }

  /** Prepares `agent` under a new epoch; with `start`, starts it as soon as it is ready. Undefined when it did not become ready. */
  async #prepare(agent: KnownAgent, start = false): Promise<Enlistment | undefined> {
    let epoch: number;
    do epoch = randomInt(1, 2 ** 31);
    while (this.#byEpoch.has(epoch) || epoch === this.#baseEpoch);
    const e = enlistment(agent.id, agent.name, epoch);
    this.#enlistments.push(e);
    this.#byEpoch.set(epoch, e);
    if (start && this.#clock.now() - this.#bundleStoredAt > BUNDLE_REFRESH_MS) await this.#storeBundle();
    const failure = await prepareAgent(this.#bus, agent, WHOLE, {
      runId: this.#o.runId,
      epoch,
      key: this.#bundleKey,
      digest: this.#bundle.digest,
      size: this.#bundle.bytes.length,
      leaseMs: this.#o.leaseMs,
      timeoutMs: this.#o.agentsTimeoutMs,
      shadow: { stream: this.#o.stream, durable: this.#o.durable, sample: this.#o.sample, ackWaitMs: this.#o.ackWaitMs, maxInFlight: this.#o.maxInFlight },
    });
    if (e.state !== "preparing") {
      // The job stopped meanwhile: a ready agent is released.
      if (failure === undefined) this.#stopAgent(e, "shadow job stopped");
      return undefined;
    }
    if (failure !== undefined) {
      transition(e, "refused");
      const previous = this.#retry.get(agent.id);
      const delayMs = previous === undefined ? RETRY_ENLIST_MS : Math.min(MAX_RETRY_ENLIST_MS, previous.delayMs * 2);
      this.#retry.set(agent.id, { at: this.#clock.now() + delayMs, delayMs, reason: failure });
      // Said once per reason: an agent that keeps refusing must not flood the events.
      if (previous?.reason !== failure) this.#event("agent-refused", `${failure}; asking again in ${Math.round(delayMs / 1000)} s and later`, agent.id);
      return undefined;
    }
    this.#retry.delete(agent.id);
    e.readyAt = this.#clock.now();
    if (start) this.#start(e, this.#clock.wallNow() + this.#o.startDelayMs);
    return e;
  }

  #start(e: Enlistment, startAt: number): void {
    transition(e, "running");
    const earlier = this.#enlistments.filter((other) => other !== e && other.name === e.name && other.startAtMs !== undefined).length;
    if (earlier > 0) e.label = `${e.name}#${earlier + 1}`;
    e.startAtMs = startAt;
    this.#bus.publish(SUBJECTS.runControl(this.#o.runId), encodeMessage("parallax.v1.start", { runId: this.#o.runId, epoch: e.epoch, startAt }));
    if (this.#windows !== undefined && startAt > this.#windows.originMs) this.#event("agent-enlisted", `agent ${e.label} enlisted; starts at ${iso(startAt)}`, e.agentId);
  }

  #stopAgent(e: Enlistment, reason: string): void {
    e.stopAsked = true;
    this.#bus.publish(SUBJECTS.runControl(this.#o.runId), encodeMessage("parallax.v1.stop", { runId: this.#o.runId, epoch: e.epoch, reason }));
  }

  #renewLeases(): void {
    for (const e of this.#enlistments) {
      if (active(e)) this.#bus.publish(SUBJECTS.runControl(this.#o.runId), encodeMessage("parallax.v1.lease", { runId: this.#o.runId, epoch: e.epoch }));
    }
  }

  /** Closes a window: adds it to the cumulative totals, builds both results, emits threshold events, hands them over. */
  async #close(slot: ShadowWindowSlot<WindowContents>, toMs: number, final: boolean): Promise<void> {
    const w = slot.contents;
    for (const s of w.snapshots) this.#cumulative.add(s);
    w.snapshots.length = 0;
    this.#tally.addTally(w.tally);
    await this.#refreshBacklog();
    const nowIso = iso(this.#clock.wallNow());
    const warnings = this.#backlogProblem === undefined ? [] : [`the stream's backlog could not be read (${this.#backlogProblem}); the figures shown are the last known`];
    const inWindow = (from: number | undefined, to: number | undefined) => (from ?? Infinity) < toMs && (to ?? Infinity) >= slot.fromMs;
    // The last window takes everything up to the very end (the stop's own events included).
    const until = final ? Infinity : toMs;
    const windowScope: ResultScope = {
      fromMs: slot.fromMs,
      toMs,
      final,
      startedAtMs: slot.fromMs,
      merger: w.merger,
      tally: w.tally,
      enlistments: this.#enlistments.filter((e) => e.state !== "refused" && (w.tally.byAgent.has(e.key) || w.merger.agents.has(e.key) || inWindow(e.startAtMs, e.endedAtMs))),
      events: this.#events.filter((ev) => ev.ms >= slot.fromMs && ev.ms < until).map(withoutMs),
      thresholdEvents: [],
      backlog: this.#backlog,
      warnings: [...warnings, ...(w.late > 0 ? [`${w.late} snapshot(s) of an earlier window arrived after it had closed and are counted in this one`] : [])],
    };
    let window = shadowRunResult(this.#facts, windowScope);
    const events = this.#thresholds.update(window.verdict.thresholds, iso(slot.fromMs), nowIso);
    for (const ev of events) {
      const text = `threshold ${ev.endpoint === undefined ? "" : `[${ev.endpoint}] `}${ev.expression} ${ev.state === "pass" ? "holds" : "fails"} in the window from ${ev.window} (observed ${ev.observed}, limit ${ev.limit})`;
      if (ev.state === "fail") this.#log.warn({ type: "threshold", ...ev }, text);
      else this.#log.info({ type: "threshold", ...ev }, text);
      this.#thresholdEvents.push(ev);
      this.#o.onEvent?.(ev);
    }
    if (this.#thresholdEvents.length > MAX_EVENTS) this.#droppedThresholdEvents += dropOldestButLatest(this.#thresholdEvents, MAX_EVENTS);
    if (events.length > 0 && window.shadow) window = { ...window, shadow: { ...window.shadow, events } };
    const origin = this.#windows?.originMs ?? slot.fromMs;
    const dropped = [
      ...(this.#droppedEvents > 0 ? [`${this.#droppedEvents} older run event(s) left out`] : []),
      ...(this.#droppedThresholdEvents > 0 ? [`${this.#droppedThresholdEvents} older threshold event(s) left out`] : []),
    ];
    const cumulative = shadowRunResult(this.#facts, {
      fromMs: origin,
      toMs,
      final,
      startedAtMs: this.#startedAtMs,
      merger: this.#cumulative,
      tally: this.#tally,
      enlistments: this.#enlistments.filter((e) => e.startAtMs !== undefined),
      events: this.#events.filter((ev) => ev.ms < until).map(withoutMs),
      thresholdEvents: [...this.#thresholdEvents],
      backlog: this.#backlog,
      warnings: [...warnings, ...dropped],
    });
    this.#last = cumulative;
    try {
      await this.#o.onWindow?.({ window, cumulative, final });
    } catch (error) {
      this.#log.error({ err: error, window: iso(slot.fromMs) }, "onWindow failed; the job goes on");
    }
  }

  async #refreshBacklog(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const backlog = await Promise.race([
        this.#bus.traffic.backlog(this.#o.stream, this.#o.durable),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${BACKLOG_TIMEOUT_MS} ms`)), BACKLOG_TIMEOUT_MS);
        }),
      ]);
      this.#backlog = { pending: backlog.pending, inFlight: backlog.inFlight };
      this.#backlogProblem = undefined;
    } catch (error) {
      this.#backlogProblem = error instanceof Error ? error.message : String(error);
      this.#log.warn({ err: error }, "stream backlog could not be read");
    } finally {
      clearTimeout(timer);
    }
  }

  #progress(windows: Windows<WindowContents>): ShadowProgress {
    const tally = new StreamTally();
    tally.addTally(this.#tally);
    let diffs = sumCombos(this.#cumulative);
    let errors = this.#cumulative.targets.get("candidate")?.errors ?? 0;
    for (const { contents } of windows.open()) {
      tally.addTally(contents.tally);
      diffs += sumCombos(contents.merger);
      errors += contents.merger.targets.get("candidate")?.errors ?? 0;
    }
    return {
      elapsedMs: Math.max(0, this.#clock.wallNow() - windows.originMs),
      agents: this.#enlistments.filter((e) => e.state === "running").length,
      received: tally.received,
      compared: tally.compared,
      duplicates: tally.duplicates,
      diffs,
      errors,
    };
  }

  #event(type: string, message: string, agentId?: string): void {
    const ms = this.#clock.wallNow();
    this.#events.push(agentId === undefined ? { ms, at: iso(ms), type, message } : { ms, at: iso(ms), type, message, agentId });
    if (this.#events.length > MAX_EVENTS) this.#droppedEvents += this.#events.splice(0, this.#events.length - MAX_EVENTS).length;
    this.#log.info({ type, agentId }, message);
  }

  async #cleanup(): Promise<void> {
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
    await this.#bus.stream.purge(SUBJECTS.runSnapshots(this.#o.runId)).catch(() => {});
    await this.#bus.blobs.delete(this.#bundleKey).catch(() => {});
  }
}

function sumCombos(merger: SnapshotMerger): number {
  return Object.values(merger.diff.combos).reduce((n, v) => n + v, 0) + merger.diff.overflowPairs;
}

function withoutMs({ ms: _ms, ...event }: RunEvent & { readonly ms: number }): RunEvent {
  return event;
}
