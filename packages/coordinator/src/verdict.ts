import type { DiffSummary, TargetResult, ThresholdResult, VerdictCheck } from "@parallax/protocol";
import { evaluateExpression, formatQuantity, parseExpression, type ScopedExpression } from "@parallax/scenario";
import { resolveMetric, type MetricsScope } from "./metrics-scope.js";

export interface Verdict {
  readonly pass: boolean;
  readonly reasons: string[];
  readonly checks: VerdictCheck[];
  readonly thresholds: ThresholdResult[];
}

/** Where a threshold is evaluated: the run, or the endpoint it names (undefined when no request matched it). */
export type ScopeOf = (endpoint: string | undefined) => MetricsScope | undefined;

/**
 * Every threshold evaluated on the whole run (or its endpoint). A threshold that cannot be
 * evaluated fails: a gate on a figure that was never measured has not been passed.
 */
export function evaluateThresholds(thresholds: readonly ScopedExpression[], scopeOf: ScopeOf): ThresholdResult[] {
  return thresholds.map((t) => evaluateThreshold(t, scopeOf));
}

export function evaluateThreshold(t: ScopedExpression, scopeOf: ScopeOf): ThresholdResult {
  const parsed = parseExpression(t.expression);
  const where = t.endpoint === undefined ? {} : { endpoint: t.endpoint };
  if (!parsed.ok) return { expression: t.expression, ...where, observed: null, limit: null, pass: false, dimension: "number", reason: parsed.issues.map((i) => i.message).join("; ") };
  const dimension = parsed.expression.dimension;
  const scope = scopeOf(t.endpoint);
  if (!scope) return { expression: t.expression, ...where, observed: null, limit: null, pass: false, dimension, reason: `no request matched endpoint ${t.endpoint ?? ""}` };
  const result = evaluateExpression(parsed.expression, (metric) => resolveMetric(scope, metric));
  const observed = result.observed === undefined ? null : round(result.observed);
  const limit = result.limit === undefined ? null : round(result.limit);
  if (result.pass === undefined) return { expression: t.expression, ...where, observed, limit, pass: false, dimension, reason: result.reason };
  return { expression: t.expression, ...where, observed, limit, pass: result.pass, dimension };
}

/** The verdict of a finished run: its thresholds, and whether it compared anything at all. */
export function evaluateVerdict(
  thresholds: readonly ScopedExpression[],
  scopeOf: ScopeOf,
  targets: { readonly production: TargetResult; readonly candidate: TargetResult },
  diff: DiffSummary,
  /** `paired: false` for the closed model, which sends no pairs and so compares nothing by design. */
  options: { readonly paired: boolean } = { paired: true },
): Verdict {
  const results = evaluateThresholds(thresholds, scopeOf);
  const failed = results.filter((r) => !r.pass).map((r) => `threshold ${scopeText(r)}${r.expression} failed: ${observedText(r)}`);
  const reasons = [...(options.paired ? nothingToJudge(targets, diff) : []), ...failed];
  // `checks` is the older view of the same thresholds, kept for report.json readers.
  const checks = results.flatMap((r) => (r.observed === null || r.limit === null ? [] : [{ name: `${scopeText(r)}${r.expression}`, observed: r.observed, limit: r.limit, pass: r.pass }]));
  return { pass: reasons.length === 0, reasons, checks, thresholds: results };
}

function scopeText(r: ThresholdResult): string {
  return r.endpoint === undefined ? "" : `[${r.endpoint}] `;
}

/** `observed 180ms, limit 165ms` in the expression's own units. */
export function observedText(r: ThresholdResult): string {
  if (r.reason !== undefined) return `not evaluated (${r.reason})`;
  if (r.observed === null || r.limit === null) return "not evaluated";
  return `observed ${formatQuantity(r.observed, r.dimension)}, limit ${formatQuantity(r.limit, r.dimension)}`;
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

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
