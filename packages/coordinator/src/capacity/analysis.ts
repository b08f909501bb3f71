// A step run's figures per step and target, the knee of each target and the scalability fit.
import { latencySummaryMs } from "@parallax/metrics";
import { type CapacityResult, type CapacityStep, type TargetName, type UslResult } from "@parallax/protocol";
import type { Phase, Slo } from "@parallax/scenario";
import type { MergedPhase } from "../merge.js";
import { findKnee, kneeIsLowerBound, kneeRatio, meetsSlo } from "./knee.js";
import { fitUsl, type UslFit } from "./usl.js";

export interface CapacityInput {
  readonly phases: readonly Phase[];
  readonly merged: ReadonlyMap<number, ReadonlyMap<TargetName, MergedPhase>>;
  readonly slo: Slo;
  readonly targets: readonly TargetName[];
  /** Where the run stopped, ms after its start; steps after it never ran, the one it falls in is partial. */
  readonly stoppedAtMs: number | undefined;
  readonly stopped: CapacityResult["stopped"];
}

export function analyseCapacity(input: CapacityInput): CapacityResult {
  const steps: CapacityStep[] = [];
  input.phases.forEach((phase, index) => {
    const stop = input.stoppedAtMs;
    if (stop !== undefined && stop <= phase.startMs) return;
    const complete = stop === undefined || stop >= phase.endMs;
    const durationMs = Math.round((complete ? phase.endMs : (stop as number)) - phase.startMs);
    const step: { [K in keyof CapacityStep]: CapacityStep[K] } = {
      offeredRps: phase.offeredRps,
      complete,
      durationMs,
      achievedRps: {},
      latencyMs: {},
      errorRate: {},
      sloMet: {},
      concurrency: {},
      counts: {},
    };
    for (const name of input.targets) {
      const m = input.merged.get(index)?.get(name);
      const requests = m?.requests ?? 0;
      const responses = m?.responses ?? 0;
      const errors = m?.errors ?? 0;
      const latency = m ? latencySummaryMs(m.latency) : { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 };
      const achieved = durationMs > 0 ? ((m?.completed ?? 0) * 1000) / durationMs : 0;
      const errorRate = requests > 0 ? errors / requests : 0;
      const meanLatencyS = responses > 0 ? (m?.latencySumMicros ?? 0) / responses / 1e6 : 0;
      step.achievedRps[name] = round(achieved);
      step.latencyMs[name] = latency;
      step.errorRate[name] = round(errorRate);
      step.sloMet[name] = meetsSlo({ p99Ms: latency.p99, errorRate, responses }, input.slo);
      step.concurrency[name] = round(achieved * meanLatencyS);
      step.counts[name] = { requests, responses, errors };
    }
    steps.push(step);
  });
  const knee: Partial<Record<TargetName, number | null>> = {};
  const kneeAtLeast: Partial<Record<TargetName, boolean>> = {};
  const usl: Partial<Record<TargetName, UslResult | null>> = {};
  for (const name of input.targets) {
    const outcomes = steps.map((s) => ({ offeredRps: s.offeredRps, sloMet: s.sloMet[name] ?? false, complete: s.complete }));
    knee[name] = findKnee(outcomes);
    kneeAtLeast[name] = kneeIsLowerBound(outcomes);
    // Below one request in flight the law says nothing about contention: such steps are left out,
    // and without three others there is no fit (rather than a curve through noise).
    const points = steps
      .filter((s) => s.complete && (s.concurrency[name] ?? 0) >= 1)
      .map((s) => ({ concurrency: s.concurrency[name] ?? 0, throughput: s.achievedRps[name] ?? 0 }));
    usl[name] = toResult(fitUsl(points));
  }
  const production = knee.production ?? null;
  const candidate = knee.candidate ?? null;
  return {
    slo: { ...input.slo },
    steps,
    knee: { ...knee, production, candidate },
    kneeAtLeast,
    // Both knees only lower bounds: their ratio says nothing about the targets, so there is none.
    ratio: kneeRatio(production, candidate) === null || (kneeAtLeast.production && kneeAtLeast.candidate) ? null : round(kneeRatio(production, candidate) as number),
    usl,
    stopped: input.stopped,
  };
}

/**
 * The step-run decision the coordinator takes while the run goes on: a target has broken its
 * SLO once a complete step failed it. Requests still unanswered this long after their step
 * ended are counted as over the latency bound (they are, or they failed).
 */
export function brokenTargets(input: Omit<CapacityInput, "stoppedAtMs" | "stopped">, decidedSteps: number): TargetName[] {
  const broken: TargetName[] = [];
  for (const name of input.targets) {
    for (let index = 0; index < decidedSteps; index++) {
      const m = input.merged.get(index)?.get(name);
      if (!m || m.requests === 0) continue;
      const outstanding = m.requests - m.responses - m.errors;
      const p99Ms = latencySummaryMs(m.latency).p99;
      const overdue = input.slo.p99Ms !== undefined && outstanding > 0.01 * m.requests;
      const met = meetsSlo({ p99Ms, errorRate: m.errors / m.requests, responses: m.responses }, input.slo);
      if (!met || overdue) {
        broken.push(name);
        break;
      }
    }
  }
  return broken;
}

function toResult(fit: UslFit | undefined): UslResult | null {
  if (!fit) return null;
  const finite = (x: number) => (Number.isFinite(x) ? round(x) : null);
  return {
    sigma: round(fit.sigma),
    kappa: round(fit.kappa),
    lambda: round(fit.lambda),
    peakRps: finite(fit.peakRps),
    peakConcurrency: finite(fit.peakConcurrency),
    r2: round(fit.r2),
    points: fit.points,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
