// Per-endpoint results: each target's counts and latency, diffs (noise excluded), and the
// statistical latency comparison; and the metric scopes thresholds are evaluated in.
import { ruleApplies } from "@parallax/diff";
import { compareLatency, encodeHistogram, latencySummaryMs } from "@parallax/metrics";
import { signatureKey, type DiffSummary, type DiffTally, type EndpointResult, type EndpointTargetResult, type TargetName } from "@parallax/protocol";
import type { Scenario } from "@parallax/scenario";
import type { MergedEndpointTarget } from "./merge.js";
import { combineTargets, type ComparisonFigures, type MetricsScope } from "./metrics-scope.js";

/** Compared and differing pairs per endpoint, a pair counting as different when any of its signatures is not noise. */
export function endpointDiffs(tally: DiffTally, summary: DiffSummary): Map<string, { compared: number; different: number }> {
  const noise = new Set(summary.groups.filter((g) => g.noise).map((g) => signatureKey(g)));
  const out = new Map<string, { compared: number; different: number }>();
  for (const [endpoint, e] of Object.entries(tally.endpoints)) out.set(endpoint, { compared: e.compared, different: 0 });
  for (const [combo, pairs] of Object.entries(tally.combos)) {
    const keys = combo.split("\n");
    const endpoint = keys[0]?.split("\u001f")[0];
    const entry = endpoint === undefined ? undefined : out.get(endpoint);
    if (entry && keys.some((k) => !noise.has(k))) entry.different += pairs;
  }
  return out;
}

export function endpointResults(
  merged: ReadonlyMap<string, ReadonlyMap<TargetName, MergedEndpointTarget>>,
  diffs: ReadonlyMap<string, { compared: number; different: number }>,
  latency: Scenario["compare"]["latency"],
): EndpointResult[] {
  const results: EndpointResult[] = [];
  for (const [endpoint, byTarget] of merged) {
    const targets: Partial<Record<TargetName, EndpointTargetResult>> = {};
    for (const [name, t] of byTarget) targets[name] = { requests: t.requests, responses: t.responses, errors: t.errors, latencyMs: latencySummaryMs(t.latency), histogram: encodeHistogram(t.latency) };
    const d = diffs.get(endpoint) ?? { compared: 0, different: 0 };
    const production = byTarget.get("production")?.latency;
    const candidate = byTarget.get("candidate")?.latency;
    const comparison = production && candidate ? compareLatency(production, candidate, { confidence: latency.confidence, minEffect: latency.minEffect }) : undefined;
    results.push({
      endpoint,
      targets,
      diff: { compared: d.compared, different: d.different, rate: d.compared > 0 ? Math.round((d.different / d.compared) * 1e6) / 1e6 : 0 },
      ...(comparison ? { latency: comparison } : {}),
    });
  }
  // Busiest first: the endpoints that carry the traffic lead the report.
  return results.sort((a, b) => (b.targets.production?.requests ?? 0) - (a.targets.production?.requests ?? 0) || a.endpoint.localeCompare(b.endpoint));
}

/** The figures an endpoint-scoped threshold reads; undefined when no endpoint matches the template. */
export function endpointScope(
  template: string,
  merged: ReadonlyMap<string, ReadonlyMap<TargetName, MergedEndpointTarget>>,
  diffs: ReadonlyMap<string, { compared: number; different: number }>,
  comparisons: readonly ComparisonFigures[],
): MetricsScope | undefined {
  // The comparator's own rule for which endpoints a scoped template names.
  const names = [...merged.keys()].filter((e) => ruleApplies(template, e));
  if (names.length === 0) return undefined;
  let compared = 0;
  let different = 0;
  for (const name of names) {
    compared += diffs.get(name)?.compared ?? 0;
    different += diffs.get(name)?.different ?? 0;
  }
  return {
    target: (target) => combineTargets(names.flatMap((n) => merged.get(n)?.get(target) ?? [])),
    diff: { compared, different },
    comparisons: comparisons.filter((c) => names.includes(c.endpoint)),
  };
}
