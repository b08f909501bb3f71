// Small text helpers shared by the Markdown, terminal and progress renderers.
import type { CapacityResult, DiffGroup, QuantileComparison, TargetName, TargetResult, RunResult, ThresholdResult } from "@parallax/protocol";

/** A share (0..1) as a percentage with 2 decimals, `2.38 %` as `share` writes it; tiny non-zero shares do not round down to a misleading 0. */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return "n/a";
  if (share > 0 && share < 0.00005) return "<0.01 %";
  return `${(share * 100).toFixed(2)} %`;
}

/** `part / whole` as a percentage; "n/a" when there is nothing to divide by. */
export function ratio(part: number, whole: number): string {
  return whole > 0 ? percent(part / whole) : "n/a";
}

/** Milliseconds as given (already rounded to µs by metrics); no thousands separators, so figures stay greppable. */
export function ms(value: number): string {
  return String(value);
}

/** Wall-clock length of the run from its ISO timestamps. */
export function durationText(run: RunResult["run"]): string {
  const elapsed = Date.parse(run.endedAt) - Date.parse(run.startedAt);
  if (!Number.isFinite(elapsed) || elapsed < 0) return "unknown";
  return `${(elapsed / 1000).toFixed(3)} s`;
}

/** Entries of a count map, largest first (ties by key), rendered `key: n`. */
export function counts(map: Record<string, number>, separator = ", "): string {
  const entries = Object.entries(map).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "none" : entries.map(([k, n]) => `${k}: ${n}`).join(separator);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A JSON value as compact text for a table or a terminal line. */
export function jsonText(value: unknown, max: number): string {
  if (value === undefined) return "(absent)";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncate(text, max);
}

/** `endpoint · path · kind`, the way a diff signature is read aloud. */
export function signature(group: Pick<DiffGroup, "endpoint" | "path" | "kind">): string {
  return `${group.endpoint} · ${group.path} · ${group.kind}`;
}

/** Targets in their fixed order, only those present. */
export function targetsOf(result: RunResult): Array<[TargetName, TargetResult]> {
  const out: Array<[TargetName, TargetResult]> = [
    ["production", result.targets.production],
    ["candidate", result.targets.candidate],
  ];
  if (result.targets.secondary !== undefined) out.push(["secondary", result.targets.secondary]);
  return out;
}

/** Groups in reading order: real diffs before noise, then by count, then by signature for a stable order. */
export function orderedGroups(groups: readonly DiffGroup[]): { real: DiffGroup[]; noise: DiffGroup[] } {
  const sorted = [...groups].sort((a, b) => b.count - a.count || (signature(a) < signature(b) ? -1 : signature(a) > signature(b) ? 1 : 0));
  return { real: sorted.filter((g) => !g.noise), noise: sorted.filter((g) => g.noise) };
}

/** Why the verdict is what it is, in one line. */
export function verdictReason(verdict: RunResult["verdict"]): string {
  if (verdict.reasons.length > 0) return verdict.reasons.join("; ");
  if (!verdict.pass) return "no reason given";
  return verdict.thresholds.length > 0 ? "every threshold passed" : "no thresholds set";
}

/** `value` with at most `decimals` decimals and no trailing zeros. */
export function trim(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

/**
 * A share as `98.5 %` (at most `decimals` decimals). A share that is neither 0 nor 1 never reads as one: 12 flips
 * in a million must not show as 100 %.
 */
export function share(value: number, decimals = 2): string {
  if (!Number.isFinite(value)) return "n/a";
  const text = trim(value * 100, decimals);
  // Written out: 10 ** -4 is 0.00009999999999999999 in binary floating point.
  const smallest = decimals === 0 ? "1" : `0.${"0".repeat(decimals - 1)}1`;
  if (value > 0 && text === "0") return `<${smallest} %`;
  if (value < 1 && text === "100") return `>${trim(100 - Number(smallest), decimals)} %`;
  return `${text} %`;
}

/** A threshold's value in its dimension: `180 ms`, `0.5 %`, `12`, `850/s`; a dash when it was not evaluated. */
export function quantity(value: number | null, dimension: ThresholdResult["dimension"]): string {
  if (value === null) return "–";
  if (!Number.isFinite(value)) return String(value);
  switch (dimension) {
    case "duration":
      return `${trim(value, 3)} ms`;
    case "ratio":
      return share(value, 4);
    case "rate":
      return `${trim(value, 2)}/s`;
    case "count":
      return trim(value, 3);
    case "number":
      return trim(value, 6);
  }
}

/** A computed figure (a difference, a mean, a statistic): 3 decimals from 1 up, 4 significant digits below. */
export function decimal(value: number | null): string {
  if (value === null) return "–";
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1 ? trim(value, 3) : String(Number(value.toPrecision(4)));
}

/** A signed number: `+4.1`, `-0.3`, `0`. */
function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text;
}

/** The candidate's change at one quantile: `+4.1 ms (+8.2 %) [2.9, 5.3]`, the interval being the delta's. */
export function quantileChange(q: QuantileComparison): string {
  const relative = q.relative === null ? "n/a" : `${signed(trim(q.relative * 100, 1), q.relative)} %`;
  return `${signed(ms(q.deltaMs), q.deltaMs)} ms (${relative}) [${ms(q.intervalMs[0])}, ${ms(q.intervalMs[1])}]`;
}

/** A rate in requests per second, to at most 3 decimals (the result already rounds; this only trims float noise). */
export function rps(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/**
 * The step run's knee for one target: the offered rate, "≥ rate" when the target never broke the
 * SLO (its capacity lies above the rates tried), or "none" when no complete step met it.
 */
export function kneeText(knee: number | null | undefined, atLeast = false): string {
  if (knee === null || knee === undefined) return "none";
  return atLeast ? `≥ ${rps(knee)}/s (never broke the SLO)` : `${rps(knee)}/s`;
}

/**
 * Candidate knee over production knee, with what it means; "n/a" when either knee is missing. A
 * knee that is only a lower bound makes the ratio one too: at most (production's) or at least
 * (the candidate's), or unknown when both held every rate tried.
 */
export function kneeRatioText(ratio: number | null, atLeast: { readonly production?: boolean; readonly candidate?: boolean } = {}): string {
  if (atLeast.production && atLeast.candidate) return "unknown (both held every rate tried; raise the maximum rate)";
  if (ratio === null) return "n/a (a target has no knee)";
  const reading = ratio > 1 ? "the candidate holds more load" : ratio < 1 ? "the candidate holds less load" : "both hold the same load";
  if (atLeast.production) return `at most ${ratio} (production held every rate tried)`;
  if (atLeast.candidate) return `at least ${ratio} (the candidate held every rate tried)`;
  return `${ratio} (${reading})`;
}

/** The SLO of a step run in words. */
export function sloText(slo: CapacityResult["slo"]): string {
  const parts = [...(slo.p99Ms === undefined ? [] : [`p99 ≤ ${ms(slo.p99Ms)} ms`]), ...(slo.errorRate === undefined ? [] : [`error rate ≤ ${percent(slo.errorRate)}`])];
  return parts.length === 0 ? "none (every step with responses meets it)" : parts.join(" and ");
}

/** Why a step run ended, in words. */
export function stoppedText(stopped: CapacityResult["stopped"]): string {
  switch (stopped) {
    case "all-steps":
      return "every step ran";
    case "slo-broken":
      return "every target broke its SLO, so the remaining steps were skipped";
    case "interrupted":
      return "the run was interrupted before its last step";
  }
}

/** Latency cells: a dash when the target never answered (0 would read as "instant"). */
export function latencyText(target: TargetResult, value: number): string {
  return target.responses === 0 ? "–" : ms(value);
}

/** p-values to 3 significant digits. */
export function pValueText(p: number): string {
  return p === 0 || p >= 1e-4 ? String(Number(p.toPrecision(3))) : p.toExponential(2);
}

/** A concrete JSON path with its indices folded to `[*]`, as signatures write it. */
export function signaturePath(path: string): string {
  return path.replace(/\[\d+\]/g, "[*]");
}
