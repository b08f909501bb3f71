// report.md: the run as a PR comment — verdict first, then the figures a reviewer checks, each traceable to counts.
import type { AgentResult, CapacityResult, CapacityStep, DiffGroup, Exemplar, RunResult, ShadowResult, TargetName, ThresholdResult, UslResult } from "@parallax/protocol";
import { endpointsSection, regressionsLine } from "./endpoints.js";
import {
  counts,
  durationText,
  jsonText,
  kneeRatioText,
  kneeText,
  latencyText,
  ms,
  orderedGroups,
  pValueText,
  percent,
  quantity,
  ratio,
  rps,
  signature,
  signaturePath,
  share,
  sloText,
  stoppedText,
  targetsOf,
  trim,
  verdictReason,
} from "./format.js";
import { cell, code, table } from "./markdown-text.js";
import { modelOutputsSection } from "./model-outputs.js";

/** Diff groups shown in full (non-noise, largest first); the rest are counted. */
export const MAX_GROUPS = 10;
/** Differing paths shown per exemplar. */
const MAX_DIFFERENCES = 10;
/** Characters of a production or candidate value in an exemplar table. */
const MAX_VALUE_CHARS = 80;

export function renderMarkdown(result: RunResult): string {
  const sections = [
    verdictLine(result),
    thresholdsSection(result.verdict.thresholds),
    runFacts(result),
    shadowSection(result),
    targetsSection(result),
    latencySection(result),
    endpointsSection(result.endpoints),
    capacitySection(result),
    diffSection(result),
    groupsSection(result),
    modelOutputsSection(result.comparisons),
    skippedSection(result),
    agentsSection(result),
    eventsSection(result),
  ];
  return `${sections.filter((s) => s !== "").join("\n\n")}\n`;
}

function verdictLine(result: RunResult): string {
  const line = `## ${result.verdict.pass ? "✅ PASS" : "❌ FAIL"}: ${cell(verdictReason(result.verdict))}`;
  // Right under the verdict: a pass whose figures cannot be trusted must not read as a clean pass.
  const warnings = result.verdict.warnings.map((w) => `> ⚠️ **Warning:** ${cell(w)}`);
  const regressions = regressionsLine(result.endpoints);
  return [line, ...warnings, ...(regressions === "" ? [] : [regressions])].join("\n\n");
}

/** Every threshold with both sides in its own unit; one that could not be evaluated says why. */
function thresholdsSection(thresholds: readonly ThresholdResult[]): string {
  if (thresholds.length === 0) return "### Thresholds\n\nNo thresholds set.";
  const rows = thresholds.map((t) => [
    code(t.expression),
    t.endpoint === undefined ? "whole run" : code(t.endpoint),
    quantity(t.observed, t.dimension),
    quantity(t.limit, t.dimension),
    t.pass ? "✓" : t.reason === undefined ? "✗" : `✗ not evaluated: ${t.reason}`,
  ]);
  return `### Thresholds\n\n${table(["threshold", "scope", "observed", "limit", "pass"], rows, ["l", "l", "r", "r", "l"])}`;
}

function runFacts(result: RunResult): string {
  const { run } = result;
  const scenario = run.scenario.file === undefined ? run.scenario.name : `${run.scenario.name} (${code(run.scenario.file)})`;
  // Live traffic has no plan: the exchanges taken are what the stream gave.
  const shadow = result.shadow !== undefined;
  const rows: string[][] = [
    ["Run", code(run.id)],
    ["Scenario", scenario],
    ["Mode", run.mode],
    ["Status", run.status],
    shadow ? ["Exchanges sent", `${run.planned} (to the candidate${result.targets.secondary === undefined ? "" : " and the secondary"}, or held back)`] : ["Planned requests", `${run.planned} (each sent to every target)`],
    ["Load", shadow ? run.load : `${run.load} (${run.loadModel} model)`],
    ["Traffic", `${code(run.traffic.file)} (${run.traffic.format}, ${run.traffic.requests} ${shadow ? "exchanges" : "requests"})`],
    ["Started", run.startedAt],
    ["Ended", run.endedAt],
    ["Duration", durationText(run)],
  ];
  return `### Run\n\n${table(["fact", "value"], rows)}`;
}

/** A shadow run's stream accounting, sample, backlog, where latency was measured, and the thresholds' state changes. */
function shadowSection(result: RunResult): string {
  const s = result.shadow;
  if (s === undefined) return "";
  const sample = s.sample >= 1 ? "every exchange compared" : `${share(s.sample)} of exchanges compared, chosen by exchange id (the same choice on every agent)`;
  const parts = [
    "### Shadow",
    `Stream ${code(s.stream)} through the durable consumer ${code(s.durable)}, from ${s.window.from} to ${s.window.to} (${seconds(s.window.lengthMs)}). Sample: ${sample}.`,
    table(
      ["received", "compared", "held back", "sampled out", "malformed", "redelivered", "duplicates"],
      [[s.received, s.compared, s.heldBack, s.sampledOut, s.malformed, s.redelivered, s.duplicates].map(String)],
      ["r", "r", "r", "r", "r", "r", "r"],
    ),
    "Every exchange taken from the stream counts once in exactly one of compared, held back, sampled out or malformed (received is their sum); a redelivery of an exchange already counted is a duplicate, counted nowhere else.",
    `Backlog when written: ${s.backlog.pending} exchange(s) not yet delivered to an agent, ${s.backlog.inFlight} delivered and not yet acknowledged.`,
    `Latency measured: ${measuredText(s)}.`,
    thresholdEvents(result, s),
  ];
  return parts.join("\n\n");
}

function measuredText(s: ShadowResult): string {
  const where = (name: string, at: "tap" | "agent") =>
    at === "tap" ? `${name} by the tap (from the request's arrival to the end of production's answer)` : `${name} by the agent that sent the request`;
  return [where("production", s.measuredAt.production), where("candidate", s.measuredAt.candidate), ...(s.measuredAt.secondary === undefined ? [] : [where("secondary", s.measuredAt.secondary)])].join(", ");
}

function thresholdEvents(result: RunResult, s: ShadowResult): string {
  if (s.events.length === 0) return "Threshold events: none.";
  // An event carries no unit: the threshold's own result has it.
  const dimension = (e: ShadowResult["events"][number]) =>
    result.verdict.thresholds.find((t) => t.expression === e.expression && t.endpoint === e.endpoint)?.dimension ?? "number";
  const rows = s.events.map((e) => [e.at, e.window, code(e.expression), e.endpoint === undefined ? "whole window" : code(e.endpoint), e.state === "pass" ? "✓ holds" : "✗ fails", quantity(e.observed, dimension(e)), quantity(e.limit, dimension(e))]);
  return `Threshold events (a threshold started or stopped holding in the window that starts at \`window\`):\n\n${table(["at", "window", "threshold", "scope", "state", "observed", "limit"], rows, ["l", "l", "l", "l", "l", "r", "r"])}`;
}

function seconds(ms: number): string {
  return `${trim(ms / 1000, 3)} s`;
}

function targetsSection(result: RunResult): string {
  const rows = targetsOf(result).map(([name, t]) => {
    const errors = t.transportErrors > 0 ? `${t.errors} (transport ${t.transportErrors}: ${counts(t.errorKinds)})` : String(t.errors);
    return [name, String(t.requests), String(t.responses), errors, ratio(t.errors, t.requests), rps(t.throughputRps), counts(t.statusCodes)];
  });
  const header = ["target", "requests", "responses", "errors", "error rate", "throughput rps", "status codes"];
  const urls = targetsOf(result).map(([name, t]) => `${name} ${code(t.url)}`).join(" · ");
  return `### Targets\n\n${table(header, rows, ["l", "r", "r", "r", "r", "r", "l"])}\n\n${urls}\n\nErrors are transport failures plus 5xx; throughput is responses per second over the run's measured time.`;
}

/** Response and service time of each target on adjacent rows, so the gap between them (time spent waiting to be sent) shows. */
function latencySection(result: RunResult): string {
  const rows = targetsOf(result).flatMap(([name, t]) => {
    const lat = (v: number) => latencyText(t, v);
    return [
      [name, "response time", ...[t.latencyMs.p50, t.latencyMs.p90, t.latencyMs.p99, t.latencyMs.p999, t.latencyMs.max, t.latencyMs.mean].map(lat)],
      [name, "service time", ...[t.serviceTimeMs.p50, t.serviceTimeMs.p90, t.serviceTimeMs.p99, t.serviceTimeMs.p999, t.serviceTimeMs.max, t.serviceTimeMs.mean].map(lat)],
    ];
  });
  const header = ["target", "measured", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms"];
  const parts = [
    "### Latency",
    table(header, rows, ["l", "l", "r", "r", "r", "r", "r", "r"]),
    "Response time runs from the intended send time to the end of the response body (what a user waits, including any delay in sending); service time from the actual send (what the target took).",
  ];
  const n = result.verdict.warnings.length;
  if (n > 0) parts.splice(1, 0, `> ⚠️ ${n === 1 ? "The warning" : `The ${n} warnings`} at the top of this report ${n === 1 ? "applies" : "apply"} to these figures.`);
  return parts.join("\n\n");
}

function capacitySection(result: RunResult): string {
  const capacity = result.capacity;
  if (capacity === undefined) return "";
  const names = targetsOf(result).map(([name]) => name);
  const parts = ["### Capacity", `SLO: ${sloText(capacity.slo)}. Stopped: ${stoppedText(capacity.stopped)}.`];
  parts.push(stepsTable(capacity, names));
  if (capacity.steps.some((s) => !s.complete)) parts.push("(partial) The run stopped during this step: it is shown, but does not count for the knee or the fit.");
  const knees = names.map((name) => `${name} ${kneeText(capacity.knee[name], capacity.kneeAtLeast[name])}`).join(" · ");
  parts.push(`Knee (the highest offered rate whose step met the SLO, before the first complete step that did not): ${knees}.`);
  parts.push(`Knee ratio candidate / production: ${kneeRatioText(capacity.ratio, capacity.kneeAtLeast)}.`);
  parts.push(uslTable(capacity, names));
  return parts.join("\n\n");
}

function stepsTable(capacity: CapacityResult, names: readonly TargetName[]): string {
  const header = ["offered rps", ...names.flatMap((name) => [`${name} rps`, `${name} p99 ms`, `${name} error rate`, `${name} SLO`])];
  const rows = capacity.steps.map((step) => [
    step.complete ? rps(step.offeredRps) : `${rps(step.offeredRps)} (partial, ${step.durationMs} ms)`,
    ...names.flatMap((name) => stepCells(step, name)),
  ]);
  return table(header, rows, ["r", ...names.flatMap((): Array<"l" | "r"> => ["r", "r", "r", "l"])]);
}

function stepCells(step: CapacityStep, name: TargetName): string[] {
  const achieved = step.achievedRps[name];
  const latency = step.latencyMs[name];
  const errorRate = step.errorRate[name];
  const met = step.sloMet[name];
  const answered = (step.counts[name]?.responses ?? 0) > 0;
  return [
    achieved === undefined ? "–" : rps(achieved),
    latency === undefined || !answered ? "–" : ms(latency.p99),
    errorRate === undefined ? "–" : percent(errorRate),
    met === undefined ? "–" : met ? "✓" : "✗",
  ];
}

function uslTable(capacity: CapacityResult, names: readonly TargetName[]): string {
  const rows = names.map((name) => {
    const fit: UslResult | null | undefined = capacity.usl[name];
    if (fit === null || fit === undefined) return [name, "–", "–", "–", "–", "not fitted (needs 3 complete steps with distinct concurrency)"];
    // κ = 0: throughput never falls, so the "peak" is the ceiling λ/σ it approaches; with σ = 0 too there is none.
    const peak = fit.peakRps === null ? "no limit (σ = κ = 0)" : fit.kappa === 0 ? `${rps(fit.peakRps)} (ceiling, κ = 0)` : rps(fit.peakRps);
    return [name, String(fit.sigma), String(fit.kappa), peak, String(fit.r2), `${fit.points} steps`];
  });
  const explain =
    "Universal Scalability Law fit of throughput against concurrency: σ is contention (the share of work that queues for one shared resource), κ is coherency (the cost of concurrent requests coordinating, which makes throughput fall past its peak); peak rps is the most throughput the fit predicts; r² near 1 means the fit follows the measured steps closely.";
  return `${table(["target", "σ", "κ", "peak rps", "r²", "fitted on"], rows, ["l", "r", "r", "r", "r", "l"])}\n\n${explain}`;
}

function diffSection(result: RunResult): string {
  if (result.run.loadModel === "closed") {
    const throughput = targetsOf(result).map(([name, t]) => `${name} ${rps(t.throughputRps)} rps`).join(" · ");
    return `### Diffs\n\nNot paired: the closed model drives each target with its own connections as fast as it answers, so responses are not paired and there is no diff. Throughput per target: ${throughput}.`;
  }
  const d = result.diff;
  const rows = [[String(d.compared), String(d.identical), String(d.different), String(d.noise), String(d.notComparable), ratio(d.different, d.compared)]];
  const lines = [`### Diffs\n\n${table(["compared", "identical", "different", "noise", "not comparable", "diff rate"], rows, ["r", "r", "r", "r", "r", "r"])}`];
  if (d.notComparable > 0) lines.push(`Not comparable: ${cell(counts(d.notComparableReasons))}.`);
  lines.push(`Noise method: ${d.noiseMethod}.`);
  return lines.join("\n\n");
}

function groupsSection(result: RunResult): string {
  if (result.run.loadModel === "closed") return "";
  const { real, noise } = orderedGroups(result.diff.groups);
  if (real.length === 0 && noise.length === 0) return "";
  const parts = ["### Top diff groups"];
  if (real.length === 0) parts.push("No differences beyond noise.");
  const noisePaths = new Set(noise.map((g) => `${g.endpoint} ${g.path}`));
  real.slice(0, MAX_GROUPS).forEach((g, i) => parts.push(groupBlock(g, i + 1, noisePaths)));
  if (real.length > MAX_GROUPS) parts.push(`…and ${real.length - MAX_GROUPS} more diff groups (all in report.json).`);
  if (noise.length > 0) {
    parts.push(`${noise.length} noise ${noise.length === 1 ? "group" : "groups"} cancelled (production differs from the secondary there as often as from the candidate; not counted).`);
    const rows = noise.map((g) => [code(signature(g)), String(g.count), percent(g.rate), g.secondaryCount === undefined ? "n/a" : String(g.secondaryCount), g.secondaryRate === undefined ? "n/a" : percent(g.secondaryRate), g.pValue === undefined ? "n/a" : pValueText(g.pValue)]);
    parts.push(`<details><summary>Noise groups (${noise.length})</summary>\n\n${table(["signature", "candidate", "rate", "secondary", "secondary rate", "p-value"], rows, ["l", "r", "r", "r", "r", "r"])}\n\n</details>`);
  }
  return parts.join("\n\n");
}

function groupBlock(g: DiffGroup, rank: number, noisePaths: ReadonlySet<string>): string {
  const facts = [`${g.count} pairs (${percent(g.rate)} of compared pairs of the endpoint)`];
  if (g.secondaryCount !== undefined) facts.push(`secondary ${g.secondaryCount}${g.secondaryRate === undefined ? "" : ` (${percent(g.secondaryRate)})`}`);
  if (g.pValue !== undefined) facts.push(`p-value ${pValueText(g.pValue)}`);
  const head = `**${rank}. ${code(g.endpoint)} · ${code(g.path)} · ${g.kind}**: ${facts.join(", ")}`;
  const exemplar = g.examples[0];
  return exemplar === undefined ? `${head}\n\nNo exemplar kept.` : `${head}\n\n${exemplarBlock(exemplar, g.endpoint, noisePaths)}`;
}

/** One exemplar; its differences at noise paths are left out (counted) so the real change stands out. */
function exemplarBlock(e: Exemplar, endpoint: string, noisePaths: ReadonlySet<string>): string {
  const requestLine = `Example: ${code(`${e.request.method} ${e.request.path}`)}`;
  if (e.differences.length === 0) {
    const statuses = (["production", "candidate", "secondary"] as const)
      .flatMap((name) => {
        const r = e.responses[name];
        if (r === undefined) return [];
        return [`${name} ${r.status ?? r.error ?? "no response"}`];
      })
      .join(", ");
    return `${requestLine} (${statuses})`;
  }
  const shown = e.differences.filter((d) => !noisePaths.has(`${endpoint} ${signaturePath(d.path)}`));
  const hidden = e.differences.length - shown.length;
  const rows = shown
    .slice(0, MAX_DIFFERENCES)
    .map((d) => [code(d.path), d.kind, code(jsonText(d.production, MAX_VALUE_CHARS)), code(jsonText(d.candidate, MAX_VALUE_CHARS))]);
  const notes = [
    ...(shown.length > MAX_DIFFERENCES ? [`…and ${shown.length - MAX_DIFFERENCES} more differing paths.`] : []),
    ...(hidden > 0 ? [`(${hidden} differing ${hidden === 1 ? "path" : "paths"} at noise signatures not shown.)`] : []),
  ];
  return `${requestLine}\n\n${table(["path", "kind", "production", "candidate"], rows)}${notes.length ? `\n\n${notes.join(" ")}` : ""}`;
}

function skippedSection(result: RunResult): string {
  const { count, reasons } = result.skipped;
  if (count === 0) return "### Skipped requests\n\nNone.";
  const rows = Object.entries(reasons)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([reason, n]) => [reason, String(n)]);
  return `### Skipped requests\n\n${count} requests were not sent to any target.\n\n${table(["reason", "requests"], rows, ["l", "r"])}`;
}

function agentsSection(result: RunResult): string {
  const rows = result.run.agents.map((a) => [
    code(a.id),
    a.state,
    a.segment,
    String(a.planned),
    String(a.requests),
    String(a.late),
    String(a.maxLagMs),
    String(a.snapshots),
    ...generatorCells(a),
  ]);
  const header = ["agent", "state", "segment", "planned", "requests", "late", "max lag ms", "snapshots", "lag p99 ms", "loop delay p99 ms", "CPU mean", "bottleneck"];
  const align: Array<"l" | "r"> = ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "l"];
  const note =
    "Lag: how far sends left behind their intended time. Loop delay: how late a 10 ms timer ran on the agent's event loop. CPU: the agent process's CPU time over wall time (1 = one core). – when the agent did not report it.";
  return `### Agents\n\n${table(header, rows, align)}\n\n${note}`;
}

function generatorCells(agent: AgentResult): string[] {
  const g = agent.generator;
  if (g === undefined) return ["–", "–", "–", "–"];
  return [ms(g.schedulerLagMs.p99), ms(g.eventLoopDelayMs.p99), g.cpu === undefined ? "–" : String(g.cpu.mean), g.bottleneck ? "⚠️ yes" : "no"];
}

function eventsSection(result: RunResult): string {
  const { events } = result.run;
  if (events.length === 0) return "";
  const rows = events.map((e) => [e.at, e.type, e.agentId === undefined ? "" : code(e.agentId), e.message]);
  return `### Events\n\n${table(["at", "type", "agent", "message"], rows)}`;
}
