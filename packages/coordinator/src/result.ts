// Merged snapshots → RunResult: per-target figures, diffs with noise, endpoints, comparisons and
// the verdict of the thresholds. Shared by runs (coordinator.ts) and shadow windows (shadow/).
import { summarize, summarizeComparisons } from "@parallax/diff";
import { encodeHistogram, latencySummaryMs } from "@parallax/metrics";
import {
  REPORT_SCHEMA_VERSION,
  TARGET_NAMES,
  emptyTargetCounts,
  type AgentResult,
  type CapacityResult,
  type ComparisonReport,
  type LoadModelName,
  type RunEvent,
  type RunMode,
  type RunResult,
  type RunStatus,
  type ShadowResult,
  type TargetName,
  type TargetResult,
} from "@parallax/protocol";
import type { Scenario } from "@parallax/scenario";
import { endpointDiffs, endpointResults, endpointScope } from "./endpoints.js";
import type { MergedTarget, SnapshotMerger } from "./merge.js";
import type { MetricsScope } from "./metrics-scope.js";
import { evaluateVerdict } from "./verdict.js";

export interface RunResultInput {
  readonly runId: string;
  readonly mode: RunMode;
  readonly status: RunStatus;
  /** ISO timestamps of what the result covers. */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly scenario: Scenario;
  /** Everything the result counts. */
  readonly merger: SnapshotMerger;
  readonly traffic: RunResult["run"]["traffic"];
  readonly load: string;
  readonly loadModel: LoadModelName;
  readonly planned: number;
  /** The time throughput is computed over (ms, at least 1). */
  readonly measuredMs: number;
  /** False for the closed model, which pairs nothing by design (no "nothing compared" reason). */
  readonly paired: boolean;
  readonly agents: readonly AgentResult[];
  readonly events: readonly RunEvent[];
  /** Reasons of the run itself (aborted, agents lost), put before the thresholds'. */
  readonly reasons: readonly string[];
  /** Warnings of the caller's own, after those read from the figures. */
  readonly warnings?: readonly string[];
  readonly capacity?: CapacityResult;
  readonly shadow?: ShadowResult;
}

/** The RunResult of what `merger` holds; the verdict passes only when every threshold does and the status is `completed`. */
export function buildRunResult(input: RunResultInput): RunResult {
  const { merger, scenario, status } = input;
  const targets: Partial<Record<TargetName, TargetResult>> = {};
  for (const name of TARGET_NAMES) {
    const spec = scenario.targets[name];
    if (spec) targets[name] = targetResult(spec.url, merger.targets.get(name), input.measuredMs);
  }
  const diff = summarize(merger.diff, scenario.compare.noise);
  const production = targets.production as TargetResult;
  const candidate = targets.candidate as TargetResult;
  const comparisons: ComparisonReport[] = summarizeComparisons(merger.diff, scenario.compare.rules);
  const diffs = endpointDiffs(merger.diff, diff);
  const runScope: MetricsScope = {
    target: (name) => {
      const m = merger.targets.get(name);
      return m && { requests: m.requests, responses: m.responses, errors: m.errors, latency: m.latency, rps: targets[name]?.throughputRps ?? 0 };
    },
    diff: { compared: diff.compared, different: diff.different },
    comparisons,
  };
  const scopeOf = (endpoint: string | undefined) => (endpoint === undefined ? runScope : endpointScope(endpoint, merger.endpoints, diffs, comparisons));
  const verdict = evaluateVerdict(scenario.thresholds, scopeOf, { production, candidate }, diff, { paired: input.paired });
  const warnings = input.agents
    .filter((a) => a.generator?.bottleneck)
    .map((a) => `the load generator on agent ${a.id} was the bottleneck (${a.generator?.reasons.join("; ")}): latency figures include its delay and are not trustworthy; lower the rate or add agents`);
  const secondary = targets.secondary;
  if (secondary && secondary.requests > 0 && secondary.responses < secondary.requests / 2) {
    warnings.push(`the secondary answered ${secondary.responses} of ${secondary.requests} requests: noise could not be measured, so differences it would have cancelled count as real`);
  }
  if (merger.diff.rejectedStates) warnings.push(`${merger.diff.rejectedStates} comparison state(s) from agents were malformed and left out: model-output figures are short by them`);
  warnings.push(...(input.warnings ?? []));
  const skippedCount = Object.values(merger.skipped).reduce((n, v) => n + v, 0);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    run: {
      id: input.runId,
      startedAt: input.startedAt,
      endedAt: input.endedAt,
      mode: input.mode,
      status,
      scenario: scenario.file ? { name: scenario.name, file: scenario.file } : { name: scenario.name },
      traffic: input.traffic,
      load: input.load,
      loadModel: input.loadModel,
      planned: input.planned,
      agents: [...input.agents],
      events: [...input.events],
    },
    targets: { ...targets, production, candidate },
    diff,
    verdict: { pass: verdict.pass && status === "completed", reasons: [...input.reasons, ...verdict.reasons], checks: verdict.checks, warnings, thresholds: verdict.thresholds },
    endpoints: endpointResults(merger.endpoints, diffs, scenario.compare.latency),
    comparisons,
    skipped: { count: skippedCount, reasons: { ...merger.skipped } },
    ...(input.capacity === undefined ? {} : { capacity: input.capacity }),
    ...(input.shadow === undefined ? {} : { shadow: input.shadow }),
  };
}

const NO_LATENCY = Object.freeze({ p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 });

export function targetResult(url: string, merged: MergedTarget | undefined, measuredMs: number): TargetResult {
  if (!merged) {
    return {
      url,
      ...emptyTargetCounts(),
      latencyMs: NO_LATENCY,
      histogram: "",
      serviceTimeMs: NO_LATENCY,
      serviceHistogram: "",
      throughputRps: 0,
    };
  }
  return {
    url,
    requests: merged.requests,
    responses: merged.responses,
    errors: merged.errors,
    transportErrors: merged.transportErrors,
    errorKinds: merged.errorKinds,
    statusCodes: merged.statusCodes,
    latencyMs: latencySummaryMs(merged.latency),
    histogram: encodeHistogram(merged.latency),
    serviceTimeMs: latencySummaryMs(merged.service),
    serviceHistogram: encodeHistogram(merged.service),
    throughputRps: Math.round((merged.responses * 1000 * 1000) / measuredMs) / 1000,
  };
}
