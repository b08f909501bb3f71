// What a threshold or abort expression reads (`candidate.p99`, `diff.rate`, `label.agreement`),
// for the whole run or one endpoint, from merged histograms and counts.
import { addHistogram, createLatencyHistogram, latencySummaryMs, valueAtPercentileMs, type LatencyHistogram } from "@parallax/metrics";
import { TARGET_NAMES, type TargetName } from "@parallax/protocol";

export interface ScopeTarget {
  readonly requests: number;
  readonly responses: number;
  readonly errors: number;
  readonly latency: LatencyHistogram;
  /** Requests per second over the run; absent for an endpoint scope. */
  readonly rps?: number;
}

/** A finished comparison report (see @parallax/diff summarizeComparisons), read by field name. */
export type ComparisonFigures = { readonly kind: string; readonly endpoint: string } & Readonly<Record<string, unknown>>;

export interface MetricsScope {
  target(name: TargetName): ScopeTarget | undefined;
  readonly diff: { readonly compared: number; readonly different: number };
  readonly comparisons: readonly ComparisonFigures[];
}

const QUANTILE: Readonly<Record<string, number>> = { p50: 50, p90: 90, p95: 95, p99: 99, p999: 99.9 };

/** A canonical metric's value: ms for durations, fractions for ratios; undefined when not measured. */
export function resolveMetric(scope: MetricsScope, metric: string): number | undefined {
  const [head = "", ...rest] = metric.split(".");
  const field = rest.join(".");
  if ((TARGET_NAMES as readonly string[]).includes(head)) return targetMetric(scope.target(head as TargetName), field);
  if (head === "diff") {
    const { compared, different } = scope.diff;
    if (field === "count") return different;
    if (field === "compared") return compared;
    if (field === "rate") return compared > 0 ? different / compared : undefined;
    return undefined;
  }
  return comparisonMetric(scope.comparisons.filter((c) => c.kind === head), field);
}

function targetMetric(t: ScopeTarget | undefined, field: string): number | undefined {
  if (!t) return undefined;
  switch (field) {
    case "requests":
      return t.requests;
    case "responses":
      return t.responses;
    case "errors":
      return t.errors;
    case "errors.rate":
      return t.requests > 0 ? t.errors / t.requests : undefined;
    case "rps":
      return t.rps;
  }
  if (t.latency.totalCount === 0) return undefined;
  const q = QUANTILE[field];
  if (q !== undefined) return valueAtPercentileMs(t.latency, q);
  const summary = latencySummaryMs(t.latency);
  return field === "max" ? summary.max : field === "mean" ? summary.mean : field === "min" ? summary.min : undefined;
}

/** Over several comparisons of one kind (endpoints, paths): pooled rates, the worst of maxima. */
function comparisonMetric(reports: readonly ComparisonFigures[], field: string): number | undefined {
  const num = (r: ComparisonFigures, key: string) => (typeof r[key] === "number" ? (r[key] as number) : undefined);
  const pooled = (value: string, weight: string) => {
    let sum = 0;
    let total = 0;
    for (const r of reports) {
      const v = num(r, value);
      const w = num(r, weight);
      if (v === undefined || w === undefined || w === 0) continue;
      sum += v * w;
      total += w;
    }
    return total > 0 ? sum / total : undefined;
  };
  const worst = (key: string) => {
    const values = reports.map((r) => num(r, key)).filter((v): v is number => v !== undefined);
    return values.length ? Math.max(...values) : undefined;
  };
  switch (field) {
    case "agreement":
      return pooled("agreement", "compared");
    case "maxAbsDiff":
      return worst("maxAbsDiff");
    case "meanAbsDiff":
      return pooled("meanAbsDiff", "compared");
    case "topkOverlap":
      return pooled("topKOverlap", "compared");
    case "mismatchRate": {
      // Outputs that failed any check, over every output either side had. An output failing two
      // checks (dtype and values) counts twice; the rate is capped at 1.
      let failed = 0;
      let outputs = 0;
      for (const r of reports) {
        const missing = (num(r, "missingOutputs") ?? 0) + (num(r, "extraOutputs") ?? 0);
        failed += (num(r, "shapeMismatches") ?? 0) + (num(r, "dtypeMismatches") ?? 0) + (num(r, "valueMismatches") ?? 0) + missing;
        outputs += (num(r, "compared") ?? 0) + missing;
      }
      return outputs > 0 ? Math.min(1, failed / outputs) : undefined;
    }
    case "elementMismatchRate": {
      let mismatched = 0;
      let compared = 0;
      for (const r of reports) {
        mismatched += num(r, "elementsMismatched") ?? 0;
        compared += num(r, "elementsCompared") ?? 0;
      }
      return compared > 0 ? mismatched / compared : undefined;
    }
    case "psi":
      return worst("psi");
    case "ks":
      return worst("ks");
    default:
      return undefined;
  }
}

/** Several endpoints' figures as one (a template without a method matches every method). */
export function combineTargets(parts: ReadonlyArray<Omit<ScopeTarget, "rps">>): ScopeTarget | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const latency = createLatencyHistogram();
  let requests = 0;
  let responses = 0;
  let errors = 0;
  for (const p of parts) {
    requests += p.requests;
    responses += p.responses;
    errors += p.errors;
    addHistogram(latency, p.latency);
  }
  return { requests, responses, errors, latency };
}
