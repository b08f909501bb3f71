// The terminal summary (stderr): the verdict and the few figures that decide it, in about 20 lines.
import type { RunResult, ShadowResult, ThresholdResult } from "@parallax/protocol";
import { regressedEndpoints, regressionText } from "./endpoints.js";
import {
  counts,
  durationText,
  kneeRatioText,
  kneeText,
  latencyText,
  orderedGroups,
  percent,
  quantity,
  ratio,
  rps,
  share,
  signature,
  sloText,
  stoppedText,
  targetsOf,
  truncate,
  verdictReason,
} from "./format.js";
import { comparisonLines } from "./model-outputs.js";

export interface SummaryOptions {
  /** ANSI colours; only when true (the CLI decides from the TTY and NO_COLOR). */
  readonly color?: boolean;
}

const TOP_GROUPS = 5;
const TOP_REGRESSIONS = 5;
const TOP_COMPARISONS = 5;
const MAX_LINE = 110;

type Paint = (text: string) => string;
const plain: Paint = (text) => text;
const ansi = (open: number, close: number): Paint => (text) => `\u001b[${open}m${text}\u001b[${close}m`;

export function renderSummary(result: RunResult, options: SummaryOptions = {}): string {
  const on = options.color === true;
  const green = on ? ansi(32, 39) : plain;
  const red = on ? ansi(31, 39) : plain;
  const yellow = on ? ansi(33, 39) : plain;
  const bold = on ? ansi(1, 22) : plain;
  const dim = on ? ansi(2, 22) : plain;

  const { run, verdict, diff, skipped } = result;
  const lines: string[] = [];
  lines.push(`${bold(verdict.pass ? green("✔ PASS") : red("✘ FAIL"))}  ${verdictReason(verdict)}`);
  // Before the latency lines they qualify.
  for (const warning of verdict.warnings) lines.push(yellow(`⚠ ${warning}`));
  lines.push(dim(`run ${run.id} · ${run.mode} · ${run.status} · ${run.planned} ${result.shadow ? "sent" : "planned"} · ${run.load} · ${durationText(run)}`));
  if (result.shadow) lines.push(...shadowLines(result.shadow));

  const closed = run.loadModel === "closed";
  const width = Math.max(...targetsOf(result).map(([name]) => name.length));
  for (const [name, t] of targetsOf(result)) {
    const l = t.latencyMs;
    const errors = `${t.errors} err (${ratio(t.errors, t.requests)})`;
    const throughput = closed ? `  ${rps(t.throughputRps)} rps` : "";
    lines.push(
      `${name.padEnd(width)}  ${t.requests} req${throughput}  ${t.errors > 0 ? red(errors) : errors}  p50 ${latencyText(t, l.p50)}  p90 ${latencyText(t, l.p90)}  p99 ${latencyText(t, l.p99)}  p99.9 ${latencyText(t, l.p999)}  max ${latencyText(t, l.max)} ms`,
    );
  }

  const regressed = regressedEndpoints(result.endpoints);
  for (const e of regressed.slice(0, TOP_REGRESSIONS)) lines.push(yellow(`latency regression  ${e.endpoint}  ${regressionText(e.latency)}`));
  if (regressed.length > TOP_REGRESSIONS) lines.push(dim(`  …and ${regressed.length - TOP_REGRESSIONS} more endpoints with a latency regression`));

  const { capacity } = result;
  if (capacity !== undefined) {
    lines.push(`capacity  SLO ${sloText(capacity.slo)} · ${stoppedText(capacity.stopped)}`);
    for (const [name] of targetsOf(result)) lines.push(`  ${name.padEnd(width)}  knee ${kneeText(capacity.knee[name], capacity.kneeAtLeast[name])}`);
    lines.push(`  knee ratio candidate/production ${kneeRatioText(capacity.ratio, capacity.kneeAtLeast)}`);
  }

  if (closed) lines.push(dim("diffs  none: responses are not paired in the closed model"));
  else {
    const different = `${diff.different} different (${ratio(diff.different, diff.compared)})`;
    lines.push(`diffs  ${diff.compared} compared · ${diff.identical} identical · ${diff.different > 0 ? yellow(different) : different} · ${diff.noise} noise · ${diff.notComparable} not comparable`);
    if (diff.notComparable > 0) lines.push(dim(`  not comparable: ${counts(diff.notComparableReasons)}`));

    const { real, noise } = orderedGroups(diff.groups);
    if (real.length > 0) {
      lines.push("top diff groups");
      for (const g of real.slice(0, TOP_GROUPS)) lines.push(truncate(`  ${String(g.count).padStart(7)}  ${percent(g.rate).padStart(7)}  ${signature(g)}`, MAX_LINE));
      if (real.length > TOP_GROUPS) lines.push(dim(`  …and ${real.length - TOP_GROUPS} more`));
    }
    if (noise.length > 0) lines.push(dim(`${noise.length} noise ${noise.length === 1 ? "group" : "groups"} cancelled`));
  }

  lines.push(...comparisonLines(result.comparisons, TOP_COMPARISONS));
  if (skipped.count > 0) lines.push(`skipped ${skipped.count}: ${counts(skipped.reasons)}`);
  const failed = verdict.thresholds.filter((t) => !t.pass);
  const passed = verdict.thresholds.length - failed.length;
  if (verdict.thresholds.length > 0) lines.push(failed.length === 0 ? `thresholds  all ${passed} passed` : `thresholds  ${failed.length} of ${verdict.thresholds.length} failed, ${passed} passed`);
  for (const t of failed) lines.push(red(`  ✗ ${thresholdText(t)}`));
  const lost = run.agents.filter((a) => a.state !== "completed");
  if (lost.length > 0) lines.push(yellow(`agents not completed: ${lost.map((a) => `${a.id} (${a.state})`).join(", ")}`));
  return `${lines.join("\n")}\n`;
}

/** The stream accounting in one line; the latest threshold change in another, when there was one. */
function shadowLines(s: ShadowResult): string[] {
  const sample = s.sample >= 1 ? "" : ` · sample ${share(s.sample)}`;
  const lines = [
    `shadow  ${s.stream} · ${s.received} received: ${s.compared} compared, ${s.heldBack} held back, ${s.sampledOut} sampled out, ${s.malformed} malformed · ${s.duplicates} duplicates of ${s.redelivered} redelivered · backlog ${s.backlog.pending} waiting, ${s.backlog.inFlight} in flight${sample}`,
  ];
  const last = s.events.at(-1);
  if (last !== undefined) {
    const scope = last.endpoint === undefined ? "" : `[${last.endpoint}] `;
    lines.push(`threshold events  ${s.events.length}; latest: ${scope}${last.expression} ${last.state === "pass" ? "holds" : "fails"} in the window from ${last.window}`);
  }
  return lines;
}

/** `[endpoint] expression  observed 180 ms, limit 165 ms`, or why it could not be evaluated. */
function thresholdText(t: ThresholdResult): string {
  const scope = t.endpoint === undefined ? "" : `[${t.endpoint}] `;
  const figures =
    t.reason !== undefined ? `not evaluated: ${t.reason}` : t.observed === null || t.limit === null ? "not evaluated" : `observed ${quantity(t.observed, t.dimension)}, limit ${quantity(t.limit, t.dimension)}`;
  return `${scope}${t.expression}  ${figures}`;
}
