import { randomInt } from "node:crypto";
import { createComparison, sampleTally, summarizeComparisons } from "@parallax/diff";
import { emptyHistogramEncoded, type LoggedInterval } from "@parallax/metrics";
import {
  SUBJECTS,
  TARGET_NAMES,
  decodeMessage,
  encodeBundle,
  encodeMessage,
  systemClock,
  type AgentResult,
  type Clock,
  type Logger,
  type Progress,
  type RecordedRequest,
  type RunEvent,
  type RunMode,
  type RunResult,
  type RunStatus,
  type TargetName,
} from "@parallax/protocol";
import { encodeJsonl } from "@parallax/recording";
import { formatSegment, planForRecording, segmentSize, splitEvenly, toScenarioDocument, type Scenario, type Segment } from "@parallax/scenario";
import type { Bus, Subscription } from "@parallax/transport";
import { prepareAll, waitForAgents } from "./agents.js";
import { analyseCapacity, brokenTargets } from "./capacity/analysis.js";
import { delay } from "./delay.js";
import { generatorHealth } from "./generator.js";
import { SnapshotMerger } from "./merge.js";
import { AgentRegistry, type KnownAgent } from "./registry.js";
import { endpointScope } from "./endpoints.js";
import type { MetricsScope } from "./metrics-scope.js";
import { buildRunResult } from "./result.js";
import { evaluateThreshold, observedText } from "./verdict.js";

// Liveness and pacing, together.
export const LEASE_MS = 5000;
const LEASE_RENEW_MS = 1000;
const TICK_MS = 200;
const PROGRESS_MS = 1000;
/** After a stop, how long agents get to send their final snapshot. */
const STOP_GRACE_MS = 10_000;
/** How long a missing snapshot may trail its agent's final one before the gap is reported. */
const GAP_GRACE_MS = 5000;
/** Beyond the plan's last due time and the slowest target timeout, how long to wait for agents. */
const FINISH_GRACE_MS = 30_000;
/** Abort rules are checked this often, once their scope has seen this many requests. */
const ABORT_CHECK_MS = 1000;
const ABORT_MIN_REQUESTS = 20;
/** After a step ends, how long its answers get to arrive in snapshots before the step is judged (on top of the SLO's p99). */
const STEP_SETTLE_MS = 1500;


export interface CoordinatorOptions {
  readonly bus: Bus;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly mode: RunMode;
  readonly runId: string;
  readonly scenario: Scenario;
  readonly recording: { readonly requests: readonly RecordedRequest[]; readonly format: string; readonly file: string };
  /** For recordings with gRPC calls: the resolved protos as protobufjs JSON, shipped to agents with the recording. */
  readonly protos?: unknown;
  /** How many agents take part. */
  readonly agents: number;
  /** The coordinator's version: agents of another major version are refused. */
  readonly version?: string;
  /** When an agent is lost mid-run: go on with the others (`continue`, the run ends degraded) or stop the run (`abort`). */
  readonly onAgentLoss?: "continue" | "abort";
  /** How long to wait for that many agents to be available and ready. */
  readonly agentsTimeoutMs: number;
  /** Delay between the start message and the shared start instant (time for it to reach every agent). */
  readonly startDelayMs?: number;
  readonly leaseMs?: number;
  /** Aborting stops the run: agents are told to stop and the partial result is returned, status `aborted`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  /** At the end: each target's latency per second of the run (for interval logs), from the shared start instant. */
  readonly onIntervals?: (intervals: RunIntervals) => void;
}

export interface RunIntervals {
  /** Wall-clock epoch ms of the shared start instant; interval offsets count from it. */
  readonly startTimeMs: number;
  readonly targets: Partial<Record<TargetName, LoggedInterval[]>>;
}

/**
 * Drives one run: finds agents, ships the bundle, prepares every agent's exact segment, starts
 * them at one instant, merges their snapshots as they come, watches their liveness, and returns
 * the `RunResult` (never renders it).
 */
export async function runCoordinator(options: CoordinatorOptions): Promise<RunResult> {
  const { bus, scenario, runId } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: "coordinator", runId });
  const startedAt = new Date(clock.wallNow());
  const events: RunEvent[] = [];
  const event = (type: string, message: string, agentId?: string) => {
    events.push(agentId ? { at: new Date(clock.wallNow()).toISOString(), type, message, agentId } : { at: new Date(clock.wallNow()).toISOString(), type, message });
    log.info({ type, agentId }, message);
  };

  const plan = planForRecording(scenario.load, options.recording.requests);
  const { bytes, digest } = encodeBundle({
    scenario: toScenarioDocument(scenario),
    recording: new TextDecoder().decode(encodeJsonl(options.recording.requests)),
    ...(options.protos === undefined ? {} : { protos: options.protos }),
  });

  const registry = new AgentRegistry(options.version);
  const subscriptions: Subscription[] = [
    bus.subscribe(SUBJECTS.hello, (m) => {
      const d = decodeMessage(m.data);
      if (d.ok && d.message.type === "parallax.v1.hello") registry.hello(d.message, clock.now());
    }),
    bus.subscribe(SUBJECTS.heartbeats, (m) => {
      const d = decodeMessage(m.data);
      if (d.ok && d.message.type === "parallax.v1.heartbeat") registry.heartbeat(d.message, clock.now());
    }),
  ];
  // Each invocation gets its own epoch: a rerun with the same run id, or a second coordinator,
  // can never take over this run's agents, leases or snapshots (fencing).
  const epoch = randomInt(1, 2 ** 31);
  const merger = new SnapshotMerger(runId, epoch, { exemplars: scenario.compare.exemplars, rules: scenario.compare.rules });
  const bundleKey = `${runId}.${epoch}`;
  await bus.blobs.put(bundleKey, bytes);
  let chosen: KnownAgent[] = [];
  const segments = new Map<string, Segment>();
  const endStates = new Map<string, AgentResult["state"]>();
  let status: RunStatus = "completed";
  // Monotonic instant the agents start at; a step run that found every knee stops early, by design.
  let startInstant = clock.now();
  let decidedSteps = 0;
  let capacityStopAtMs: number | undefined;
  let capacityStop: "slo-broken" | undefined;
  let endedAt = clock.now();
  let startWall: number | undefined;
  let abortReason: string | undefined;
  let lastAbortCheck = 0;
  /**
   * Abort rules on the merged data so far, about once a second. A rule waits for
   * ABORT_MIN_REQUESTS requests at its scope, so one early error is not "100 % errors".
   */
  const firedAbortRule = (now: number): string | undefined => {
    if (now - lastAbortCheck < ABORT_CHECK_MS) return undefined;
    lastAbortCheck = now;
    const differing = Object.values(merger.diff.combos).reduce((n, v) => n + v, 0) + merger.diff.overflowPairs;
    const live: MetricsScope = {
      target: (name) => merger.targets.get(name),
      // Before noise is known, a pair with any difference counts.
      diff: { compared: merger.diff.compared, different: differing },
      comparisons: [],
    };
    const liveDiffs = new Map(Object.entries(merger.diff.endpoints).map(([e, t]) => [e, { compared: t.compared, different: 0 }]));
    for (const rule of scenario.abort) {
      const scope = rule.endpoint === undefined ? live : endpointScope(rule.endpoint, merger.endpoints, liveDiffs, []);
      const seen = Math.max(scope?.target("production")?.requests ?? 0, scope?.target("candidate")?.requests ?? 0);
      if (!scope || seen < ABORT_MIN_REQUESTS) continue;
      const result = evaluateThreshold(rule, () => scope);
      if (result.pass) return `${rule.endpoint === undefined ? "" : `[${rule.endpoint}] `}${rule.expression} (${observedText(result)})`;
    }
    return undefined;
  };
  const cleanup = async () => {
    for (const s of subscriptions.splice(0)) s.unsubscribe();
    await bus.stream.purge(SUBJECTS.runSnapshots(runId)).catch(() => {});
    await bus.blobs.delete(bundleKey).catch(() => {});
  };

  const renewLease = () => bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.lease", { runId, epoch }));
  let leaseTimer: NodeJS.Timeout | undefined;
  try {
    chosen = await waitForAgents(bus, registry, clock, options.agents, options.agentsTimeoutMs, options.signal);
    splitEvenly(chosen.length).forEach((segment, k) => segments.set((chosen[k] as KnownAgent).id, segment));
    // The lease runs from prepare on, so agents left ready by a vanished coordinator free themselves.
    leaseTimer = setInterval(renewLease, LEASE_RENEW_MS);
    subscriptions.push(
      bus.stream.consume(SUBJECTS.runSnapshots(runId), `coordinator-${runId}-${epoch}`, (m) => {
        const d = decodeMessage(m.data);
        if (!d.ok || d.message.type !== "parallax.v1.snapshot") {
          log.warn({ error: d.ok ? `unexpected ${d.message.type}` : d.error }, "ignored stream message");
          m.ack();
          return;
        }
        try {
          merger.add(d.message);
          // A snapshot is a sign of life as good as a heartbeat.
          registry.seen(d.message.agentId, clock.now());
          m.ack();
        } catch (error) {
          // Redelivering it would fail the same way: drop it, and the reconciliation reports the gap.
          log.error({ err: error, agentId: d.message.agentId, seq: d.message.seq }, "snapshot could not be merged; dropped");
          m.ack();
        }
      }),
    );
    await prepareAll(bus, chosen, segments, { runId, epoch, key: bundleKey, digest, size: bytes.length, leaseMs: options.leaseMs ?? LEASE_MS, timeoutMs: options.agentsTimeoutMs });
    warmUpMerging(runId, epoch, scenario);
    // Every agent holds its copy: the bundle (scenario, target headers included) need not stay on the server.
    await bus.blobs.delete(bundleKey).catch(() => {});
    event("prepared", `${chosen.length} agent(s) ready; plan: ${plan.description}`);

    const startDelayMs = options.startDelayMs ?? 250;
    const startAt = clock.wallNow() + startDelayMs;
    startWall = startAt;
    bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.start", { runId, epoch, startAt }));
    event("started", `start instant ${new Date(startAt).toISOString()}`);

    const runStart = clock.now();
    startInstant = runStart + startDelayMs;
    // Past this, an agent that still has not finished (heartbeating but stuck) is given up on.
    const lastDueMs = plan.kind === "closed" ? plan.durationMs : plan.total > 0 ? plan.intendedOffsetMs(plan.total - 1) : 0;
    const slowestTimeoutMs = Math.max(...Object.values(scenario.targets).map((t) => t?.timeoutMs ?? 0));
    const deadline = runStart + startDelayMs + lastDueMs + slowestTimeoutMs + FINISH_GRACE_MS;
    const finalSeenAt = new Map<string, number>();
    let stopRequestedAt: number | undefined;
    let lastProgress = clock.now();
    let lastDone = 0;
    const settled = (id: string) => merger.complete(id) || endStates.has(id);
    let offline = false;
    for (;;) {
      await delay(TICK_MS);
      const now = clock.now();
      if (!bus.isConnected()) {
        // Our own outage: nobody's silence counts until we are back.
        if (!offline) event("bus-disconnected", "connection to the message bus lost; waiting for it to come back");
        offline = true;
        continue;
      }
      if (offline) {
        offline = false;
        registry.forgiveSilence(now);
        event("bus-reconnected", "connection to the message bus restored");
      }
      for (const agent of chosen) {
        if (settled(agent.id)) continue;
        if (merger.agents.get(agent.id)?.final) {
          // The final snapshot came but an earlier one has not (yet): give redelivery a moment.
          const since = finalSeenAt.get(agent.id) ?? now;
          finalSeenAt.set(agent.id, since);
          if (now - since > GAP_GRACE_MS) endStates.set(agent.id, "completed");
          continue;
        }
        if (registry.liveness(agent.id, now) === "lost") {
          endStates.set(agent.id, "lost");
          merger.fence(agent.id);
          if (status === "completed") status = "degraded";
          event("agent-lost", `agent ${agent.name} lost (silent for ${Math.round(now - agent.lastSeen)} ms); its data up to its last snapshot is kept`, agent.id);
          if (options.onAgentLoss === "abort" && stopRequestedAt === undefined) {
            stopRequestedAt = now;
            status = "aborted";
            event("aborted", `run aborted: agent ${agent.name} lost and --on-agent-loss is abort; agents told to stop`);
            bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.stop", { runId, epoch, reason: "agent lost" }));
          }
        }
      }
      if (scenario.load.model === "steps" && stopRequestedAt === undefined) {
        // Judge each step once its answers are in; stop when every target has broken the SLO.
        const offset = now - startInstant;
        const settle = (scenario.load.slo.p99Ms ?? 0) + STEP_SETTLE_MS;
        const decided = plan.phases.filter((p) => p.endMs + settle <= offset).length;
        if (decided > decidedSteps) {
          decidedSteps = decided;
          const judged = ["production", "candidate"] as const;
          const broken = brokenTargets({ phases: plan.phases, merged: merger.phases, slo: scenario.load.slo, targets: judged }, decided);
          if (judged.every((name) => broken.includes(name)) && decided < plan.phases.length) {
            stopRequestedAt = now;
            capacityStopAtMs = offset;
            capacityStop = "slo-broken";
            event("capacity-stop", `every target broke its SLO by step ${decided} (${plan.phases[decided - 1]?.offeredRps}/s): stopping the step run`);
            bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.stop", { runId, epoch, reason: "capacity found" }));
          }
        }
      }
      if (scenario.abort.length > 0 && stopRequestedAt === undefined) {
        const fired = firedAbortRule(now);
        if (fired) {
          stopRequestedAt = now;
          status = "aborted";
          abortReason = `run aborted by the abort rule ${fired}: figures are partial`;
          event("abort-rule", `abort rule ${fired}: agents told to stop`);
          bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.stop", { runId, epoch, reason: "abort rule" }));
        }
      }
      if (options.signal?.aborted && stopRequestedAt === undefined) {
        stopRequestedAt = now;
        status = "aborted";
        event("interrupted", "run interrupted: agents told to stop");
        bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.stop", { runId, epoch, reason: "interrupted" }));
      }
      if (chosen.every((a) => settled(a.id))) break;
      if (stopRequestedAt !== undefined && now - stopRequestedAt > STOP_GRACE_MS) {
        for (const a of chosen) if (!settled(a.id)) endStates.set(a.id, "lost");
        event("stop-timeout", "some agents sent no final snapshot after the stop");
        break;
      }
      if (now > deadline) {
        for (const a of chosen) {
          if (settled(a.id)) continue;
          endStates.set(a.id, "lost");
          event("agent-overdue", `agent ${a.name} did not finish by the end of the plan plus ${Math.round((slowestTimeoutMs + FINISH_GRACE_MS) / 1000)} s`, a.id);
        }
        status = status === "aborted" ? status : "degraded";
        bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.stop", { runId, epoch, reason: "overdue" }));
        break;
      }
      if (now - lastProgress >= PROGRESS_MS && options.onProgress) {
        const done = merger.done;
        const rps = ((done - lastDone) * 1000) / (now - lastProgress);
        lastProgress = now;
        lastDone = done;
        options.onProgress({
          elapsedMs: now - runStart,
          done,
          planned: plan.total,
          rps,
          errors: merger.targets.get("candidate")?.errors ?? 0,
          diffs: Object.values(merger.diff.combos).reduce((n, v) => n + v, 0),
        });
      }
    }
  } catch (error) {
    clearInterval(leaseTimer);
    await cleanup();
    if (chosen.length) bus.publish(SUBJECTS.runControl(runId), encodeMessage("parallax.v1.stop", { runId, epoch, reason: "coordinator failed" }));
    throw error;
  }
  clearInterval(leaseTimer);
  endedAt = clock.now();
  await cleanup();

  for (const agent of chosen) {
    const progress = merger.agents.get(agent.id);
    if (progress && progress.snapshots !== progress.lastSeq + 1) {
      event("snapshot-gap", `agent ${agent.name}: received ${progress.snapshots} of ${progress.lastSeq + 1} snapshots; its totals are short by the missing intervals`, agent.id);
      if (status === "completed") status = "degraded";
    }
  }
  for (const agent of chosen) {
    const progress = merger.agents.get(agent.id);
    const segment = segments.get(agent.id);
    if (status === "aborted" || capacityStop !== undefined || endStates.get(agent.id) === "lost" || !progress?.final || !segment) continue;
    const planned = segmentSize(segment, plan.total);
    if (progress.done < planned) {
      // It finished early without being asked to (lease lost, stopped by its operator).
      endStates.set(agent.id, "stopped");
      if (status === "completed") status = "degraded";
      event("agent-stopped", `agent ${agent.name} stopped early: ${planned - progress.done} requests of its segment were never sent`, agent.id);
    }
  }
  if (options.onIntervals) {
    const intervals: Partial<Record<TargetName, LoggedInterval[]>> = {};
    for (const [name, merged] of merger.targets) intervals[name] = merged.timeline.intervals();
    options.onIntervals({ startTimeMs: Math.round(startWall ?? clock.wallNow()), targets: intervals });
  }
  return buildResult();

  function buildResult(): RunResult {
    // Throughput is over the time load was offered: the closed model's duration, else start to finish.
    const measuredMs = plan.kind === "closed" ? plan.durationMs : Math.max(1, endedAt - startInstant);
    const agents: AgentResult[] = chosen.map((agent) => {
      const p = merger.agents.get(agent.id);
      const segment = segments.get(agent.id);
      const planned = segment ? segmentSize(segment, plan.total) : 0;
      const requests = p?.done ?? 0;
      const late = p?.late ?? 0;
      return {
        id: agent.name,
        state: endStates.get(agent.id) ?? (status === "aborted" ? "stopped" : "completed"),
        segment: segment ? formatSegment(segment) : "",
        planned,
        requests,
        late,
        maxLagMs: Math.round((p?.maxLagMs ?? 0) * 1000) / 1000,
        snapshots: p?.snapshots ?? 0,
        // A step run stopped on purpose skipped its remaining steps; nothing was dropped.
        ...(p ? { generator: generatorHealth(p.generator, late, capacityStop ? 0 : Math.max(0, planned - requests)) } : {}),
      };
    });
    const reasons: string[] = [];
    if (status === "aborted") reasons.unshift(abortReason ?? "run aborted before completion: figures are partial");
    for (const a of agents) {
      if (a.state === "lost") reasons.unshift(`agent ${a.id} lost: ${a.planned - a.requests} requests of its segment were never sent`);
      else if (a.state === "stopped" && status !== "aborted") reasons.unshift(`agent ${a.id} stopped early: ${a.planned - a.requests} requests of its segment were never sent`);
    }
    return buildRunResult({
      runId,
      mode: options.mode,
      status,
      startedAt: startedAt.toISOString(),
      endedAt: new Date(clock.wallNow()).toISOString(),
      scenario,
      merger,
      traffic: { file: options.recording.file, format: options.recording.format, requests: options.recording.requests.length },
      load: plan.description,
      loadModel: scenario.load.model,
      planned: plan.total,
      measuredMs,
      paired: plan.kind === "open",
      agents,
      events,
      reasons,
      ...(scenario.load.model === "steps"
        ? {
            capacity: analyseCapacity({
              phases: plan.phases,
              merged: merger.phases,
              slo: scenario.load.slo,
              targets: TARGET_NAMES.filter((name) => scenario.targets[name] !== undefined),
              stoppedAtMs: capacityStopAtMs ?? (status === "aborted" ? endedAt - startInstant : undefined),
              stopped: capacityStop ?? (status === "aborted" ? "interrupted" : "all-steps"),
            }),
          }
        : {}),
    });
  }
}

/**
 * The first merge pays for compiling its code paths (some 12 ms). In a local run the coordinator
 * shares its event loop with the agents, so pay it before the start instant, on a throwaway merger.
 */
function warmUpMerging(runId: string, epoch: number, scenario: Scenario): void {
  const empty = emptyHistogramEncoded();
  const counts = { requests: 1, responses: 1, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: { "200": 1 }, histogram: empty, service: empty };
  const targets = Object.fromEntries(TARGET_NAMES.filter((name) => scenario.targets[name] !== undefined).map((name) => [name, counts]));
  const diff = sampleTally();
  scenario.compare.rules.forEach(({ endpoint: _scope, ...rule }, index) => {
    diff.comparisons[`${index}\u001fGET /warm-up`] = { rule: index, endpoint: "GET /warm-up", candidate: createComparison(rule).createState() };
  });
  const snapshot = encodeMessage("parallax.v1.snapshot", {
    runId,
    agentId: "warm-up",
    epoch,
    seq: 0,
    final: false,
    done: 1,
    planned: 1,
    targets,
    diff,
    skipped: {},
    scheduler: { late: 0, maxLagMs: 0, dispatched: 1, lag: empty },
    window: { fromMs: 0, toMs: 1000 },
    endpoints: { "GET /warm-up": Object.fromEntries(Object.keys(targets).map((name) => [name, { requests: 1, responses: 1, errors: 0, histogram: empty }])) },
    phases: { "0": { production: { requests: 1, responses: 1, errors: 0, completed: 1, latencySumMicros: 1, histogram: empty } } },
    generator: { eventLoopDelay: empty, cpuMicros: 0, wallMs: 1000 },
  });
  const decoded = decodeMessage(snapshot);
  if (!decoded.ok || decoded.message.type !== "parallax.v1.snapshot") return;
  const merger = new SnapshotMerger(runId, epoch, { exemplars: scenario.compare.exemplars, rules: scenario.compare.rules });
  merger.add(decoded.message);
  summarizeComparisons(merger.diff, scenario.compare.rules);
}
