// The RunResult of a shadow window or of the whole job so far: a run's contract plus the stream accounting.
import { formatSegment, type Scenario, type Segment } from "@parallax/scenario";
import type { AgentResult, RunEvent, RunResult, RunStatus, ShadowThresholdEvent } from "@parallax/protocol";
import { generatorHealth } from "../generator.js";
import type { SnapshotMerger } from "../merge.js";
import { buildRunResult } from "../result.js";
import type { StreamTally } from "./accounting.js";
import type { Enlistment } from "./enlistment.js";

/** A shadow agent's share: all of the stream, through the shared durable consumer. */
export const WHOLE: Segment = { from: [0, 1], to: [1, 1] };

export interface JobFacts {
  readonly runId: string;
  readonly scenario: Scenario;
  readonly stream: string;
  readonly durable: string;
  readonly sample: number;
}

export interface ResultScope {
  /** Wall-clock epoch ms the result covers (a window, or the job from its first start instant). */
  readonly fromMs: number;
  readonly toMs: number;
  /** The last result of the job: what happened at its very end (`toMs`) belongs to it too. */
  readonly final: boolean;
  /** What `run.startedAt` says: the window's start, or when the job began (agents not yet found). */
  readonly startedAtMs: number;
  readonly merger: SnapshotMerger;
  readonly tally: StreamTally;
  /** Enlistments that took part in the scope. */
  readonly enlistments: readonly Enlistment[];
  readonly events: readonly RunEvent[];
  readonly thresholdEvents: readonly ShadowThresholdEvent[];
  readonly backlog: { readonly pending: number; readonly inFlight: number };
  readonly warnings: readonly string[];
}

/** Ended within the scope (one that ended later was still working then). */
function endedIn(e: Enlistment, scope: ResultScope): boolean {
  return e.endedAtMs !== undefined && (e.endedAtMs < scope.toMs || (scope.final && e.endedAtMs === scope.toMs));
}

function lostIn(e: Enlistment, scope: ResultScope): boolean {
  return e.state === "lost" && endedIn(e, scope);
}

export function shadowRunResult(job: JobFacts, scope: ResultScope): RunResult {
  const { tally, merger } = scope;
  const status: RunStatus = scope.enlistments.some((e) => lostIn(e, scope)) ? "degraded" : "completed";
  const agents: AgentResult[] = scope.enlistments.map((e) => {
    const p = merger.agents.get(e.key);
    const requests = tally.byAgent.get(e.key) ?? 0;
    const late = p?.late ?? 0;
    const left = e.state === "finished" && !e.stopAsked && endedIn(e, scope);
    return {
      id: e.label,
      state: lostIn(e, scope) ? "lost" : left ? "stopped" : "completed",
      segment: formatSegment(WHOLE),
      // No plan: an agent takes what the stream gives it.
      planned: requests,
      requests,
      late,
      maxLagMs: Math.round((p?.maxLagMs ?? 0) * 1000) / 1000,
      snapshots: p?.snapshots ?? 0,
      ...(p ? { generator: generatorHealth(p.generator, late, 0) } : {}),
    };
  });
  const reasons = agents.filter((a) => a.state === "lost").map((a) => `agent ${a.id} lost: the exchanges it held unacknowledged were redelivered to the other agents`);
  const warnings = [...scope.warnings];
  if (tally.recounted > 0) {
    warnings.push(
      `${tally.recounted} exchange(s) were counted twice: an agent held them past the ack wait and another took them over before the first one's snapshot was stored (raise the ack wait above the candidate's slowest answers)`,
    );
  }
  if (tally.withoutSection > 0) {
    warnings.push(`${tally.withoutSection} snapshot(s) carried no stream accounting (an agent without shadow support?): received and compared are short by their exchanges`);
  }
  const { secondary } = job.scenario.targets;
  return buildRunResult({
    runId: job.runId,
    mode: "shadow",
    status,
    startedAt: iso(scope.startedAtMs),
    endedAt: iso(scope.toMs),
    scenario: job.scenario,
    merger,
    traffic: { file: `stream:${job.stream}`, format: "tap", requests: tally.received },
    load: `live traffic from stream ${job.stream}${job.sample < 1 ? `, ${round(job.sample * 100)} % sampled` : ""}`,
    // Live traffic comes at its own pace: the closest of the load models.
    loadModel: "replay",
    planned: tally.compared + tally.heldBack,
    measuredMs: Math.max(1, scope.toMs - scope.fromMs),
    paired: true,
    agents,
    events: scope.events,
    reasons,
    warnings,
    shadow: {
      stream: job.stream,
      durable: job.durable,
      measuredAt: { production: "tap", candidate: "agent", ...(secondary === undefined ? {} : { secondary: "agent" as const }) },
      sample: job.sample,
      window: { from: iso(scope.fromMs), to: iso(scope.toMs), lengthMs: Math.max(0, Math.round(scope.toMs - scope.fromMs)) },
      received: tally.received,
      compared: tally.compared,
      heldBack: tally.heldBack,
      sampledOut: tally.sampledOut,
      malformed: tally.malformed,
      redelivered: tally.redelivered,
      duplicates: tally.duplicates,
      backlog: scope.backlog,
      events: [...scope.thresholdEvents],
    },
  });
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
