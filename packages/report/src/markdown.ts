// report.md: the run as a PR comment — verdict first, then the figures a reviewer checks, each traceable to counts.
import type { DiffGroup, Exemplar, RunResult } from "@parallax/protocol";
import { counts, durationText, generatorWarning, jsonText, latencyText, orderedGroups, pValueText, percent, ratio, signature, signaturePath, targetsOf, verdictReason } from "./format.js";
import { cell, code, table } from "./markdown-text.js";

/** Diff groups shown in full (non-noise, largest first); the rest are counted. */
export const MAX_GROUPS = 10;
/** Differing paths shown per exemplar. */
const MAX_DIFFERENCES = 10;
/** Characters of a production or candidate value in an exemplar table. */
const MAX_VALUE_CHARS = 80;

export function renderMarkdown(result: RunResult): string {
  const sections = [
    verdictLine(result),
    runFacts(result),
    targetsSection(result),
    diffSection(result),
    groupsSection(result),
    skippedSection(result),
    checksSection(result),
    agentsSection(result),
    eventsSection(result),
  ];
  return `${sections.filter((s) => s !== "").join("\n\n")}\n`;
}

function verdictLine(result: RunResult): string {
  const line = `## ${result.verdict.pass ? "✅ PASS" : "❌ FAIL"}: ${cell(verdictReason(result.verdict))}`;
  const warning = generatorWarning(result.run);
  return warning === undefined ? line : `${line}\n\n> ⚠️ ${warning}`;
}

function runFacts(result: RunResult): string {
  const { run } = result;
  const scenario = run.scenario.file === undefined ? run.scenario.name : `${run.scenario.name} (${code(run.scenario.file)})`;
  const rows: string[][] = [
    ["Run", code(run.id)],
    ["Scenario", scenario],
    ["Mode", run.mode],
    ["Status", run.status],
    ["Planned requests", `${run.planned} (each sent to every target)`],
    ["Load", run.load],
    ["Traffic", `${code(run.traffic.file)} (${run.traffic.format}, ${run.traffic.requests} requests)`],
    ["Started", run.startedAt],
    ["Ended", run.endedAt],
    ["Duration", durationText(run)],
  ];
  return `### Run\n\n${table(["fact", "value"], rows)}`;
}

function targetsSection(result: RunResult): string {
  const rows = targetsOf(result).map(([name, t]) => {
    const errors = t.transportErrors > 0 ? `${t.errors} (transport ${t.transportErrors}: ${counts(t.errorKinds)})` : String(t.errors);
    const l = t.latencyMs;
    const lat = (v: number) => latencyText(t, v);
    return [name, String(t.requests), String(t.responses), errors, ratio(t.errors, t.requests), lat(l.p50), lat(l.p90), lat(l.p99), lat(l.p999), lat(l.max), lat(l.mean), counts(t.statusCodes)];
  });
  const header = ["target", "requests", "responses", "errors", "error rate", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms", "status codes"];
  const urls = targetsOf(result).map(([name, t]) => `${name} ${code(t.url)}`).join(" · ");
  return `### Targets\n\n${table(header, rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"])}\n\n${urls}\n\nLatency from the intended send time to the end of the response body; errors are transport failures plus 5xx.`;
}

function diffSection(result: RunResult): string {
  const d = result.diff;
  const rows = [[String(d.compared), String(d.identical), String(d.different), String(d.noise), String(d.notComparable), ratio(d.different, d.compared)]];
  const lines = [`### Diffs\n\n${table(["compared", "identical", "different", "noise", "not comparable", "diff rate"], rows, ["r", "r", "r", "r", "r", "r"])}`];
  if (d.notComparable > 0) lines.push(`Not comparable: ${cell(counts(d.notComparableReasons))}.`);
  lines.push(`Noise method: ${d.noiseMethod}.`);
  return lines.join("\n\n");
}

function groupsSection(result: RunResult): string {
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

function checksSection(result: RunResult): string {
  const { checks } = result.verdict;
  if (checks.length === 0) return "### Verdict checks\n\nNo checks configured.";
  const rows = checks.map((c) => [c.name, String(c.observed), String(c.limit), c.pass ? "✅ pass" : "❌ fail"]);
  return `### Verdict checks\n\n${table(["check", "observed", "limit", "pass"], rows, ["l", "r", "r", "l"])}`;
}

function agentsSection(result: RunResult): string {
  const rows = result.run.agents.map((a) => [code(a.id), a.state, a.segment, String(a.planned), String(a.requests), String(a.late), String(a.maxLagMs), String(a.snapshots)]);
  return `### Agents\n\n${table(["agent", "state", "segment", "planned", "requests", "late", "max lag ms", "snapshots"], rows, ["l", "l", "l", "r", "r", "r", "r", "r"])}`;
}

function eventsSection(result: RunResult): string {
  const { events } = result.run;
  if (events.length === 0) return "";
  const rows = events.map((e) => [e.at, e.type, e.agentId === undefined ? "" : code(e.agentId), e.message]);
  return `### Events\n\n${table(["at", "type", "agent", "message"], rows)}`;
}
