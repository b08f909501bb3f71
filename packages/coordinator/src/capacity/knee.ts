// The capacity knee of a step-load run: the highest offered rate the target served within its SLO.
import type { Slo } from "@parallax/scenario";

export interface StepOutcome {
  readonly offeredRps: number;
  readonly sloMet: boolean;
  /** False when the step was cut short (run aborted, agents lost): too few samples to judge. */
  readonly complete: boolean;
}

/**
 * The highest offered rate whose step met the SLO, counting only complete steps before the first
 * failing complete step; null when the first complete step already failed or there are none.
 *
 * Steps after the first failure are not counted even if they pass: a saturated server's queue
 * carries into the next steps, so a later "pass" is a fluke of that queue draining (or of the
 * load generator falling behind), not capacity. Incomplete steps are skipped, neither passing nor
 * failing, since a cut-short step has too few samples to say either.
 */
export function findKnee(steps: readonly StepOutcome[]): number | null {
  let knee: number | null = null;
  for (const step of steps) {
    if (!step.complete) continue;
    if (!step.sloMet) break;
    // The highest, not the last: steps normally ascend, but nothing here depends on it.
    if (knee === null || step.offeredRps > knee) knee = step.offeredRps;
  }
  return knee;
}

/** Whether no complete step failed while one passed: the knee is then only a lower bound of capacity. */
export function kneeIsLowerBound(steps: readonly StepOutcome[]): boolean {
  const complete = steps.filter((s) => s.complete);
  return complete.length > 0 && complete.every((s) => s.sloMet);
}

export interface StepMeasure {
  readonly p99Ms: number;
  readonly errorRate: number;
  readonly responses: number;
}

/**
 * Whether a step met the SLO: p99 <= p99Ms and errorRate <= errorRate (each only when set). A step
 * with no responses did not meet it: silence is not evidence of good service, and its p99 and
 * error rate would be 0 for want of data. A NaN measure fails its limit for the same reason.
 */
export function meetsSlo(measure: StepMeasure, slo: Slo): boolean {
  if (!(measure.responses > 0)) return false;
  if (slo.p99Ms !== undefined && !(measure.p99Ms <= slo.p99Ms)) return false;
  if (slo.errorRate !== undefined && !(measure.errorRate <= slo.errorRate)) return false;
  return true;
}

/**
 * Candidate knee / production knee: above 1 the candidate holds more load. Null when either knee
 * is null (one side failed its first step, so there is no rate to compare) or production's is 0.
 */
export function kneeRatio(production: number | null, candidate: number | null): number | null {
  if (production === null || candidate === null || production === 0) return null;
  return candidate / production;
}
