// Per-endpoint figures for report.md and the terminal: each target's counts and latency, the diff rate, and the
// candidate's latency change at each quantile.
import type { EndpointResult, EndpointTargetResult, LatencyComparison, QuantileComparison, TargetName } from "@parallax/protocol";
import { ms, percent, quantileChange, share, trim } from "./format.js";
import { code, table } from "./markdown-text.js";

/** Endpoints shown in report.md's table; the rest are counted (all are in report.json). */
export const MAX_ENDPOINTS = 50;
/** Endpoints named in a "latency regressions" line. */
const MAX_REGRESSIONS = 5;

const TARGET_ORDER: readonly TargetName[] = ["production", "candidate", "secondary"];
const QUANTILE_ORDER: ReadonlyArray<QuantileComparison["quantile"]> = ["p50", "p90", "p99"];

/** Endpoints with a latency regression first (they are what a reviewer looks for), otherwise in the result's order. */
function orderedEndpoints(endpoints: readonly EndpointResult[]): EndpointResult[] {
  return [...endpoints.filter((e) => e.latency?.regression === true), ...endpoints.filter((e) => e.latency?.regression !== true)];
}

/** `+4.1 ms (+8.2 %) [2.9, 5.3]` followed by its marker. */
function markedChange(q: QuantileComparison): string {
  const marker = q.regression ? " ⚠ regression" : q.improvement ? " ✓ improvement" : "";
  return `${quantileChange(q)}${marker}`;
}

/** The regressed quantiles of one endpoint, `p99 +20.4 ms (+18.3 %) [12.1, 28.9]`, comma-separated. */
export function regressionText(latency: LatencyComparison): string {
  return latency.quantiles
    .filter((q) => q.regression)
    .map((q) => `${q.quantile} ${quantileChange(q)}`)
    .join(", ");
}

/** An endpoint with a latency comparison. */
type Compared = EndpointResult & { readonly latency: LatencyComparison };

export function regressedEndpoints(endpoints: readonly EndpointResult[]): Compared[] {
  return endpoints.filter((e): e is Compared => e.latency?.regression === true);
}

/** The line under the verdict naming the endpoints whose latency regressed; "" when none did. */
export function regressionsLine(endpoints: readonly EndpointResult[]): string {
  const regressed = regressedEndpoints(endpoints);
  if (regressed.length === 0) return "";
  const named = regressed.slice(0, MAX_REGRESSIONS).map((e) => `${code(e.endpoint)} ${regressionText(e.latency)}`);
  const more = regressed.length > MAX_REGRESSIONS ? ` · …and ${regressed.length - MAX_REGRESSIONS} more (see Endpoints)` : "";
  return `**⚠ Latency regressions:** ${named.join(" · ")}${more}`;
}

export function endpointsSection(endpoints: readonly EndpointResult[]): string {
  if (endpoints.length === 0) return "";
  const ordered = orderedEndpoints(endpoints);
  const shown = ordered.slice(0, MAX_ENDPOINTS);
  const names = TARGET_ORDER.filter((name) => endpoints.some((e) => e.targets[name] !== undefined));
  const rows = shown.map((e) => [
    code(e.endpoint),
    perTarget(e, names, (t) => String(t.requests)),
    perTarget(e, names, (t) => String(t.errors)),
    perTarget(e, names, (t) => (t.responses === 0 ? "–" : ms(t.latencyMs.p50))),
    perTarget(e, names, (t) => (t.responses === 0 ? "–" : ms(t.latencyMs.p99))),
    e.diff.compared > 0 ? percent(e.diff.rate) : "n/a",
  ]);
  const parts = [
    "### Endpoints",
    table(["endpoint", "requests", "errors", "p50 ms", "p99 ms", "diff rate"], rows, ["l", "r", "r", "r", "r", "r"]),
    `Each cell: ${names.join(" / ")}; – where a target had no responses. Diff rate: differing pairs (noise excluded) over compared pairs of the endpoint.`,
  ];
  if (ordered.length > MAX_ENDPOINTS) parts.push(`…and ${ordered.length - MAX_ENDPOINTS} more endpoints (all in report.json).`);
  const compared = shown.filter((e): e is Compared => e.latency !== undefined);
  if (compared.length > 0) parts.push(changeTable(compared), ...methodLines(compared.map((e) => e.latency)));
  return parts.join("\n\n");
}

/** One figure per target of the table, `a / b / c`; a dash for a target the endpoint did not have. */
function perTarget(e: EndpointResult, names: readonly TargetName[], pick: (t: EndpointTargetResult) => string): string {
  return names
    .map((name) => {
      const t = e.targets[name];
      return t === undefined ? "–" : pick(t);
    })
    .join(" / ");
}

/** The candidate's latency change per endpoint and quantile. */
function changeTable(endpoints: readonly Compared[]): string {
  const quantiles = QUANTILE_ORDER.filter((q) => endpoints.some((e) => e.latency.quantiles.some((c) => c.quantile === q)));
  const rows = endpoints.map((e) => [
    code(e.endpoint),
    ...quantiles.map((name) => {
      const q = e.latency.quantiles.find((c) => c.quantile === name);
      return q === undefined ? "–" : markedChange(q);
    }),
    `${e.latency.n.production} / ${e.latency.n.candidate}`,
  ]);
  return table(["endpoint", ...quantiles.map((q) => `${q} change`), "n"], rows, ["l", ...quantiles.map((): "l" | "r" => "r"), "r"]);
}

/** How the change was computed, once per distinct setting (one, unless results were merged from different runs). */
function methodLines(comparisons: readonly LatencyComparison[]): string[] {
  const lines = comparisons.map(
    (c) =>
      `Latency change: candidate − production response time at each quantile, ms, with its ${share(c.confidence)} confidence interval in brackets (${c.method}). ` +
      `⚠ regression / ✓ improvement: the interval excludes 0 and the change is at least ${share(c.minEffect.relative)} and ${trim(c.minEffect.absoluteMs, 3)} ms. n: responses behind production / candidate.`,
  );
  return [...new Set(lines)];
}
