import type { DiffSummary, TargetResult, VerdictCheck } from "@parallax/protocol";
import type { Scenario } from "@parallax/scenario";

export interface Verdict {
  readonly pass: boolean;
  readonly reasons: string[];
  readonly checks: VerdictCheck[];
}

/**
 * The scenario's thresholds, each evaluated from merged counts. A rate with nothing to divide
 * by is 0 (no compared pairs: no diffs); a latency ratio with no production latency is not checked.
 */
export function evaluateVerdict(
  thresholds: Scenario["thresholds"],
  targets: { readonly production: TargetResult; readonly candidate: TargetResult },
  diff: DiffSummary,
  /** `paired: false` for the closed model, which sends no pairs and so compares nothing by design. */
  options: { readonly paired: boolean } = { paired: true },
): Verdict {
  const checks: VerdictCheck[] = [];
  const check = (name: string, observed: number, limit: number) => checks.push({ name, observed: round(observed), limit, pass: observed <= limit });
  if (thresholds.maxDiffRate !== undefined) check("diff rate", ratio(diff.different, diff.compared), thresholds.maxDiffRate);
  if (thresholds.maxErrorRate !== undefined) check("candidate error rate", ratio(targets.candidate.errors, targets.candidate.requests), thresholds.maxErrorRate);
  if (thresholds.maxLatencyRatio !== undefined && targets.production.latencyMs.p99 > 0) {
    check("candidate p99 / production p99", targets.candidate.latencyMs.p99 / targets.production.latencyMs.p99, thresholds.maxLatencyRatio);
  }
  const reasons = [...(options.paired ? nothingToJudge(targets, diff) : []), ...checks.filter((c) => !c.pass).map((c) => `${c.name} ${c.observed} exceeds ${c.limit}`)];
  return { pass: reasons.length === 0, reasons, checks };
}

/**
 * A run that sent requests but could compare none has not shown the candidate is fine, whatever
 * the thresholds say: "every check passed" would be a lie. Say which side failed.
 */
function nothingToJudge(targets: { readonly production: TargetResult; readonly candidate: TargetResult }, diff: DiffSummary): string[] {
  const sent = Math.max(targets.production.requests, targets.candidate.requests);
  if (sent === 0 || diff.compared > 0) return [];
  const failed = (name: string, t: TargetResult) =>
    t.transportErrors > 0 ? `${name} failed ${t.transportErrors} of ${t.requests} (${Object.entries(t.errorKinds).map(([k, n]) => `${k}: ${n}`).join(", ")})` : undefined;
  const sides = [failed("production", targets.production), failed("candidate", targets.candidate)].filter(Boolean);
  return [`no pair could be compared: ${sides.join("; ") || "no responses"}`];
}

function ratio(n: number, d: number): number {
  return d === 0 ? 0 : n / d;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
