// A RunResult as Prometheus text exposition format 0.0.4 (what `parallax shadow --metrics` serves): every counter is
// read from the result, so rendered from the same cumulative result as report.json, the two agree exactly.
import { createLatencyHistogram, decodeHistogram, latencySummaryMs, valueAtPercentileMs, type LatencyHistogram } from "@parallax/metrics";
import { thresholdKey, type RunResult, type ShadowThresholdEvent, type TargetName } from "@parallax/protocol";
import { targetsOf } from "./format.js";

/** Upper bounds of the latency buckets, seconds: Prometheus' defaults, stretched to a minute. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);

/** The endpoint label of requests no endpoint accounts for, so that each target's series add up to its total. */
export const OTHER_ENDPOINT = "(other)";

type Labels = ReadonlyArray<readonly [name: string, value: string]>;

interface Sample {
  readonly suffix?: string;
  readonly labels: Labels;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly samples: readonly Sample[];
}

export function renderPrometheus(result: RunResult): string {
  const families: Family[] = [
    ...trafficFamilies(result),
    latencyFamily(result),
    endpointLatencyFamily(result),
    ...diffFamilies(result),
    ...streamFamilies(result),
    ...verdictFamilies(result),
  ];
  return families
    .filter((f) => f.samples.length > 0)
    .map((f) => [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map((s) => sampleLine(f.name, s))].join("\n"))
    .join("\n")
    .concat("\n");
}

/** Requests, responses and errors per target and endpoint; what no endpoint accounts for goes to `(other)`, so sum by (target) is the target's total. */
function trafficFamilies(result: RunResult): Family[] {
  const field = (name: string, help: string, pick: (t: { requests: number; responses: number; errors: number }) => number): Family => {
    const samples: Sample[] = [];
    for (const [target, totals] of targetsOf(result)) {
      let accounted = 0;
      const rows: Array<[string, number]> = [];
      for (const e of result.endpoints) {
        const t = e.targets[target];
        if (t === undefined) continue;
        accounted += pick(t);
        rows.push([e.endpoint, pick(t)]);
      }
      const rest = pick(totals) - accounted;
      if (rest > 0 || rows.length === 0) rows.push([OTHER_ENDPOINT, Math.max(0, rest)]);
      for (const [endpoint, value] of rows.sort(([a], [b]) => compare(a, b))) samples.push({ labels: [["target", target], ["endpoint", endpoint]], value });
    }
    return { name, type: "counter", help, samples };
  };
  return [
    field("parallax_requests_total", "Requests sent to the target (production: captured by the tap).", (t) => t.requests),
    field("parallax_responses_total", "Responses received, any status.", (t) => t.responses),
    field("parallax_errors_total", "Transport failures plus 5xx responses.", (t) => t.errors),
  ];
}

/**
 * Each target's response time from its merged HDR histogram. A value counts in a bucket when the highest value of its
 * HDR bucket (3 significant digits) is within the bound, as the report's percentiles read it; `_sum` is the count
 * times the histogram's mean (µs resolution).
 */
function latencyFamily(result: RunResult): Family {
  const samples: Sample[] = [];
  const bounds = LATENCY_BUCKETS_SECONDS.map((s) => s * 1000);
  for (const [target, t] of targetsOf(result)) {
    const h = histogramOf(target, t.histogram);
    const total = h.totalCount;
    const counts = cumulativeCounts(h, bounds);
    LATENCY_BUCKETS_SECONDS.forEach((le, i) => samples.push({ suffix: "_bucket", labels: [["target", target], ["le", number(le)]], value: counts[i] ?? 0 }));
    samples.push({ suffix: "_bucket", labels: [["target", target], ["le", "+Inf"]], value: total });
    samples.push({ suffix: "_sum", labels: [["target", target]], value: total === 0 ? 0 : seconds(latencySummaryMs(h).mean * total) });
    samples.push({ suffix: "_count", labels: [["target", target]], value: total });
  }
  return {
    name: "parallax_latency_seconds",
    type: "histogram",
    help: "Response time per target from the merged HDR histogram (production's measured by the tap in a shadow run, the others' by the agents).",
    samples,
  };
}

/**
 * Each target's response time per endpoint template, from the endpoint's merged HDR histogram, read like
 * `latencyFamily`. Endpoints folded into `(other endpoints)` are one series; a result without per-endpoint
 * histograms (written before they existed) gives none.
 */
function endpointLatencyFamily(result: RunResult): Family {
  const samples: Sample[] = [];
  const bounds = LATENCY_BUCKETS_SECONDS.map((s) => s * 1000);
  for (const e of [...result.endpoints].sort((a, b) => compare(a.endpoint, b.endpoint))) {
    for (const [target] of targetsOf(result)) {
      const encoded = e.targets[target]?.histogram;
      if (encoded === undefined) continue;
      const h = histogramOf(target, encoded);
      const total = h.totalCount;
      const labels: Array<[string, string]> = [["target", target], ["endpoint", e.endpoint]];
      const counts = cumulativeCounts(h, bounds);
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => samples.push({ suffix: "_bucket", labels: [...labels, ["le", number(le)]], value: counts[i] ?? 0 }));
      samples.push({ suffix: "_bucket", labels: [...labels, ["le", "+Inf"]], value: total });
      samples.push({ suffix: "_sum", labels, value: total === 0 ? 0 : seconds(latencySummaryMs(h).mean * total) });
      samples.push({ suffix: "_count", labels, value: total });
    }
  }
  return { name: "parallax_endpoint_latency_seconds", type: "histogram", help: "Response time per target and endpoint template from the endpoint's merged HDR histogram.", samples };
}

/**
 * Counters only for figures that never fall. Whether a signature is noise is decided again at every
 * window from all pairs so far (a signature the secondary starts to show later becomes noise), so
 * the split of differing pairs into different and noise is served as gauges, and a signature's
 * counter carries no noise label: a label that changes would end one series and start another.
 */
function diffFamilies(result: RunResult): Family[] {
  const d = result.diff;
  const one = (name: string, type: "counter" | "gauge", help: string, value: number): Family => ({ name, type, help, samples: [{ labels: [], value }] });
  const groups = [...d.groups].sort((a, b) => compare(a.endpoint, b.endpoint) || compare(a.path, b.path) || compare(a.kind, b.kind));
  const signature = (g: (typeof groups)[number]): Labels => [["endpoint", g.endpoint], ["path", g.path], ["kind", g.kind]];
  return [
    one("parallax_diffs_compared_total", "counter", "Pairs compared (production's answer with the candidate's).", d.compared),
    one("parallax_diffs_identical_total", "counter", "Compared pairs without any difference.", d.identical),
    one("parallax_diffs_different", "gauge", "Compared pairs with a difference beyond noise, as classified now (a signature found to be noise later moves its pairs to parallax_diffs_noise).", d.different),
    one("parallax_diffs_noise", "gauge", "Compared pairs whose differences were all noise, as classified now.", d.noise),
    one("parallax_diffs_not_comparable_total", "counter", "Pairs that could not be compared (a one-sided failure or timeout).", d.notComparable),
    {
      name: "parallax_diff_pairs_total",
      type: "counter",
      help: "Compared pairs differing at a signature (endpoint, JSON path, kind).",
      samples: groups.map((g) => ({ labels: signature(g), value: g.count })),
    },
    {
      name: "parallax_diff_signature_noise",
      type: "gauge",
      help: "1 when a signature is noise (the secondary differs there as often), else 0, as classified now.",
      samples: groups.map((g) => ({ labels: signature(g), value: g.noise ? 1 : 0 })),
    },
  ];
}

function streamFamilies(result: RunResult): Family[] {
  const s = result.shadow;
  if (s === undefined) return [];
  // One shadow job consumes one stream: the scrape's own job and instance labels tell jobs apart.
  const labels: Labels = [];
  const one = (name: string, type: "counter" | "gauge", help: string, value: number): Family => ({ name, type, help, samples: [{ labels, value }] });
  return [
    one("parallax_stream_received_total", "counter", "Distinct exchanges taken from the traffic stream and counted (compared, held back, sampled out or malformed).", s.received),
    one("parallax_stream_compared_total", "counter", "Exchanges sent to the candidate and compared with production's captured answer.", s.compared),
    one("parallax_stream_held_back_total", "counter", "Exchanges not sent: unsafe for the candidate without an allowance.", s.heldBack),
    one("parallax_stream_sampled_out_total", "counter", "Exchanges acked without comparing: not in the sample.", s.sampledOut),
    one("parallax_stream_malformed_total", "counter", "Stream messages that were not captured exchanges.", s.malformed),
    one("parallax_stream_redelivered_total", "counter", "Deliveries of an exchange after the first (an agent died or stalled before acking).", s.redelivered),
    one("parallax_stream_duplicates_total", "counter", "Redeliveries of exchanges already counted: acked, not counted again.", s.duplicates),
    one("parallax_stream_backlog_pending", "gauge", "Exchanges stored in the stream and not yet delivered to an agent, when the result was built.", s.backlog.pending),
    one("parallax_stream_backlog_in_flight", "gauge", "Exchanges delivered to an agent and not yet acked, when the result was built.", s.backlog.inFlight),
  ];
}

function verdictFamilies(result: RunResult): Family[] {
  const scoped = (expression: string, endpoint: string | undefined): Labels => [["expression", expression], ["endpoint", endpoint ?? ""]];
  const families: Family[] = [
    { name: "parallax_verdict_pass", type: "gauge", help: "1 when the verdict passes (every threshold holds and the run is complete), else 0.", samples: [{ labels: [], value: result.verdict.pass ? 1 : 0 }] },
    {
      name: "parallax_threshold_pass",
      type: "gauge",
      help: "1 when the threshold holds over the whole result (since the start), else 0; a threshold that could not be evaluated is 0.",
      samples: result.verdict.thresholds.map((t) => ({ labels: scoped(t.expression, t.endpoint), value: t.pass ? 1 : 0 })),
    },
  ];
  if (result.shadow !== undefined) {
    // The latest state change of each threshold is its state in the last window that could evaluate it.
    const latest = new Map<string, ShadowThresholdEvent>();
    for (const e of result.shadow.events) latest.set(thresholdKey(e), e);
    families.push({
      name: "parallax_window_threshold_pass",
      type: "gauge",
      help: "1 when the threshold held in the last window that could evaluate it, else 0.",
      samples: [...latest.values()].map((e) => ({ labels: scoped(e.expression, e.endpoint), value: e.state === "pass" ? 1 : 0 })),
    });
  }
  return families;
}

/** The coordinator writes "" for a target nothing was recorded for: an empty histogram, not a corrupt one. */
function histogramOf(target: TargetName, encoded: string): LatencyHistogram {
  if (encoded === "") return createLatencyHistogram();
  try {
    return decodeHistogram(encoded);
  } catch (error) {
    throw new Error(`${target}: latency histogram of the result cannot be decoded`, { cause: error });
  }
}

/**
 * How many values are within each bound (ms, ascending): the largest rank whose value is within it. The HDR value at
 * rank r is the highest value of the bucket holding the r-th smallest value, so a binary search over ranks with the
 * public percentile reading finds it exactly; percentile 100·(r − ½)/n names rank r without rounding doubt.
 */
function cumulativeCounts(h: LatencyHistogram, boundsMs: readonly number[]): number[] {
  const total = h.totalCount;
  const valueAtRank = (rank: number) => valueAtPercentileMs(h, (100 * (rank - 0.5)) / total);
  const maxMs = total === 0 ? 0 : valueAtRank(total);
  const counts: number[] = [];
  let floor = 0;
  for (const bound of boundsMs) {
    // Each reading walks the counts array: a bound at or above the largest value needs none.
    if (bound >= maxMs) {
      counts.push(total);
      continue;
    }
    let lo = floor;
    let hi = total;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (valueAtRank(mid) <= bound) lo = mid;
      else hi = mid - 1;
    }
    counts.push(lo);
    floor = lo;
  }
  return counts;
}

function sampleLine(name: string, s: Sample): string {
  const labels = s.labels.length === 0 ? "" : `{${s.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
  return `${name}${s.suffix ?? ""}${labels} ${number(s.value)}`;
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Milliseconds (3 decimals) as seconds, without binary floating-point noise (0.0301, not 0.030100000000000002). */
function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1e6;
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
