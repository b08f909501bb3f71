import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLatencyHistogram, decodeHistogram, encodeHistogram, latencySummaryMs } from "@parallax/metrics";
import type { RunResult, TargetResult } from "@parallax/protocol";
import { LATENCY_BUCKETS_SECONDS, escapeLabel, renderPrometheus } from "../src/index.js";
import { fixtureResult, shadowResult } from "./fixture.js";

function target(url: string, micros: number[], counts: Pick<TargetResult, "requests" | "responses" | "errors" | "transportErrors" | "errorKinds" | "statusCodes">): TargetResult {
  const h = createLatencyHistogram();
  for (const v of micros) h.record(v);
  return { url, ...counts, latencyMs: latencySummaryMs(h), histogram: encodeHistogram(h), serviceTimeMs: latencySummaryMs(h), serviceHistogram: encodeHistogram(h), throughputRps: 0 };
}

function encoded(micros: number[]): string {
  const h = createLatencyHistogram();
  for (const v of micros) h.record(v);
  return encodeHistogram(h);
}

/** A shadow result small enough to check every line by hand. */
function tiny(): RunResult {
  const base = shadowResult();
  const { secondary: _secondary, ...targets } = base.targets;
  const lat = { p50: 2, p90: 120.063, p99: 120.063, p999: 120.063, max: 120.063, mean: 40.856, min: 0.5 };
  return {
    ...base,
    targets: {
      ...targets,
      // 0.5 ms, 2 ms, 120 ms; and 30 ms, 2 s (with one transport failure).
      production: target("http://production.invalid", [500, 2000, 120_000], { requests: 3, responses: 3, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: { "200": 3 } }),
      candidate: target("http://candidate", [30_000, 2_000_000], { requests: 3, responses: 2, errors: 1, transportErrors: 1, errorKinds: { timeout: 1 }, statusCodes: { "200": 2 } }),
    },
    endpoints: [
      {
        endpoint: "GET /a",
        targets: {
          // 2 ms and 120 ms; 30 ms and 2 s.
          production: { requests: 2, responses: 2, errors: 0, latencyMs: lat, histogram: encoded([2000, 120_000]) },
          candidate: { requests: 2, responses: 2, errors: 0, latencyMs: { ...lat, p50: 30.015 }, histogram: encoded([30_000, 2_000_000]) },
        },
        diff: { compared: 2, different: 1, rate: 0.5 },
      },
    ],
    diff: {
      compared: 2,
      identical: 1,
      different: 1,
      noise: 0,
      notComparable: 1,
      notComparableReasons: { "candidate timeout": 1 },
      noiseMethod: "none",
      groups: [{ endpoint: "GET /a", path: '$["a\\"b\\\\c\nd"]', kind: "changed", count: 1, rate: 0.5, noise: false, examples: [] }],
    },
    verdict: { pass: false, reasons: [], checks: [], warnings: [], thresholds: [{ expression: "diff.rate < 10%", observed: 0.5, limit: 0.1, pass: false, dimension: "ratio" }] },
    shadow: {
      ...base.shadow!,
      received: 5,
      compared: 3,
      heldBack: 1,
      sampledOut: 1,
      malformed: 0,
      redelivered: 2,
      duplicates: 1,
      backlog: { pending: 7, inFlight: 2 },
      events: [
        { at: "2026-03-01T10:01:02.000Z", window: "2026-03-01T10:00:00.000Z", expression: "diff.rate < 10%", state: "pass", observed: 0, limit: 0.1 },
        { at: "2026-03-01T10:02:02.000Z", window: "2026-03-01T10:01:00.000Z", expression: "diff.rate < 10%", state: "fail", observed: 0.5, limit: 0.1 },
      ],
    },
  };
}

const GOLDEN = `# HELP parallax_requests_total Requests sent to the target (production: captured by the tap).
# TYPE parallax_requests_total counter
parallax_requests_total{target="production",endpoint="(other)"} 1
parallax_requests_total{target="production",endpoint="GET /a"} 2
parallax_requests_total{target="candidate",endpoint="(other)"} 1
parallax_requests_total{target="candidate",endpoint="GET /a"} 2
# HELP parallax_responses_total Responses received, any status.
# TYPE parallax_responses_total counter
parallax_responses_total{target="production",endpoint="(other)"} 1
parallax_responses_total{target="production",endpoint="GET /a"} 2
parallax_responses_total{target="candidate",endpoint="GET /a"} 2
# HELP parallax_errors_total Transport failures plus 5xx responses.
# TYPE parallax_errors_total counter
parallax_errors_total{target="production",endpoint="GET /a"} 0
parallax_errors_total{target="candidate",endpoint="(other)"} 1
parallax_errors_total{target="candidate",endpoint="GET /a"} 0
# HELP parallax_latency_seconds Response time per target from the merged HDR histogram (production's measured by the tap in a shadow run, the others' by the agents).
# TYPE parallax_latency_seconds histogram
parallax_latency_seconds_bucket{target="production",le="0.001"} 1
parallax_latency_seconds_bucket{target="production",le="0.0025"} 2
parallax_latency_seconds_bucket{target="production",le="0.005"} 2
parallax_latency_seconds_bucket{target="production",le="0.01"} 2
parallax_latency_seconds_bucket{target="production",le="0.025"} 2
parallax_latency_seconds_bucket{target="production",le="0.05"} 2
parallax_latency_seconds_bucket{target="production",le="0.1"} 2
parallax_latency_seconds_bucket{target="production",le="0.25"} 3
parallax_latency_seconds_bucket{target="production",le="0.5"} 3
parallax_latency_seconds_bucket{target="production",le="1"} 3
parallax_latency_seconds_bucket{target="production",le="2.5"} 3
parallax_latency_seconds_bucket{target="production",le="5"} 3
parallax_latency_seconds_bucket{target="production",le="10"} 3
parallax_latency_seconds_bucket{target="production",le="30"} 3
parallax_latency_seconds_bucket{target="production",le="60"} 3
parallax_latency_seconds_bucket{target="production",le="+Inf"} 3
parallax_latency_seconds_sum{target="production"} 0.122532
parallax_latency_seconds_count{target="production"} 3
parallax_latency_seconds_bucket{target="candidate",le="0.001"} 0
parallax_latency_seconds_bucket{target="candidate",le="0.0025"} 0
parallax_latency_seconds_bucket{target="candidate",le="0.005"} 0
parallax_latency_seconds_bucket{target="candidate",le="0.01"} 0
parallax_latency_seconds_bucket{target="candidate",le="0.025"} 0
parallax_latency_seconds_bucket{target="candidate",le="0.05"} 1
parallax_latency_seconds_bucket{target="candidate",le="0.1"} 1
parallax_latency_seconds_bucket{target="candidate",le="0.25"} 1
parallax_latency_seconds_bucket{target="candidate",le="0.5"} 1
parallax_latency_seconds_bucket{target="candidate",le="1"} 1
parallax_latency_seconds_bucket{target="candidate",le="2.5"} 2
parallax_latency_seconds_bucket{target="candidate",le="5"} 2
parallax_latency_seconds_bucket{target="candidate",le="10"} 2
parallax_latency_seconds_bucket{target="candidate",le="30"} 2
parallax_latency_seconds_bucket{target="candidate",le="60"} 2
parallax_latency_seconds_bucket{target="candidate",le="+Inf"} 2
parallax_latency_seconds_sum{target="candidate"} 2.030392
parallax_latency_seconds_count{target="candidate"} 2
# HELP parallax_endpoint_latency_seconds Response time per target and endpoint template from the endpoint's merged HDR histogram.
# TYPE parallax_endpoint_latency_seconds histogram
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.001"} 0
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.0025"} 1
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.005"} 1
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.01"} 1
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.025"} 1
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.05"} 1
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.1"} 1
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.25"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="0.5"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="1"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="2.5"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="5"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="10"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="30"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="60"} 2
parallax_endpoint_latency_seconds_bucket{target="production",endpoint="GET /a",le="+Inf"} 2
parallax_endpoint_latency_seconds_sum{target="production",endpoint="GET /a"} 0.122032
parallax_endpoint_latency_seconds_count{target="production",endpoint="GET /a"} 2
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.001"} 0
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.0025"} 0
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.005"} 0
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.01"} 0
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.025"} 0
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.05"} 1
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.1"} 1
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.25"} 1
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="0.5"} 1
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="1"} 1
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="2.5"} 2
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="5"} 2
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="10"} 2
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="30"} 2
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="60"} 2
parallax_endpoint_latency_seconds_bucket{target="candidate",endpoint="GET /a",le="+Inf"} 2
parallax_endpoint_latency_seconds_sum{target="candidate",endpoint="GET /a"} 2.030392
parallax_endpoint_latency_seconds_count{target="candidate",endpoint="GET /a"} 2
# HELP parallax_diffs_compared_total Pairs compared (production's answer with the candidate's).
# TYPE parallax_diffs_compared_total counter
parallax_diffs_compared_total 2
# HELP parallax_diffs_identical_total Compared pairs without any difference.
# TYPE parallax_diffs_identical_total counter
parallax_diffs_identical_total 1
# HELP parallax_diffs_different Compared pairs with a difference beyond noise, as classified now (a signature found to be noise later moves its pairs to parallax_diffs_noise).
# TYPE parallax_diffs_different gauge
parallax_diffs_different 1
# HELP parallax_diffs_noise Compared pairs whose differences were all noise, as classified now.
# TYPE parallax_diffs_noise gauge
parallax_diffs_noise 0
# HELP parallax_diffs_not_comparable_total Pairs that could not be compared (a one-sided failure or timeout).
# TYPE parallax_diffs_not_comparable_total counter
parallax_diffs_not_comparable_total 1
# HELP parallax_diff_pairs_total Compared pairs differing at a signature (endpoint, JSON path, kind).
# TYPE parallax_diff_pairs_total counter
parallax_diff_pairs_total{endpoint="GET /a",path="$[\\"a\\\\\\"b\\\\\\\\c\\nd\\"]",kind="changed"} 1
# HELP parallax_diff_signature_noise 1 when a signature is noise (the secondary differs there as often), else 0, as classified now.
# TYPE parallax_diff_signature_noise gauge
parallax_diff_signature_noise{endpoint="GET /a",path="$[\\"a\\\\\\"b\\\\\\\\c\\nd\\"]",kind="changed"} 0
# HELP parallax_stream_received_total Distinct exchanges taken from the traffic stream and counted (compared, held back, sampled out or malformed).
# TYPE parallax_stream_received_total counter
parallax_stream_received_total 5
# HELP parallax_stream_compared_total Exchanges sent to the candidate and compared with production's captured answer.
# TYPE parallax_stream_compared_total counter
parallax_stream_compared_total 3
# HELP parallax_stream_held_back_total Exchanges not sent: unsafe for the candidate without an allowance.
# TYPE parallax_stream_held_back_total counter
parallax_stream_held_back_total 1
# HELP parallax_stream_sampled_out_total Exchanges acked without comparing: not in the sample.
# TYPE parallax_stream_sampled_out_total counter
parallax_stream_sampled_out_total 1
# HELP parallax_stream_malformed_total Stream messages that were not captured exchanges.
# TYPE parallax_stream_malformed_total counter
parallax_stream_malformed_total 0
# HELP parallax_stream_redelivered_total Deliveries of an exchange after the first (an agent died or stalled before acking).
# TYPE parallax_stream_redelivered_total counter
parallax_stream_redelivered_total 2
# HELP parallax_stream_duplicates_total Redeliveries of exchanges already counted: acked, not counted again.
# TYPE parallax_stream_duplicates_total counter
parallax_stream_duplicates_total 1
# HELP parallax_stream_backlog_pending Exchanges stored in the stream and not yet delivered to an agent, when the result was built.
# TYPE parallax_stream_backlog_pending gauge
parallax_stream_backlog_pending 7
# HELP parallax_stream_backlog_in_flight Exchanges delivered to an agent and not yet acked, when the result was built.
# TYPE parallax_stream_backlog_in_flight gauge
parallax_stream_backlog_in_flight 2
# HELP parallax_verdict_pass 1 when the verdict passes (every threshold holds and the run is complete), else 0.
# TYPE parallax_verdict_pass gauge
parallax_verdict_pass 0
# HELP parallax_threshold_pass 1 when the threshold holds over the whole result (since the start), else 0; a threshold that could not be evaluated is 0.
# TYPE parallax_threshold_pass gauge
parallax_threshold_pass{expression="diff.rate < 10%",endpoint=""} 0
# HELP parallax_window_threshold_pass 1 when the threshold held in the last window that could evaluate it, else 0.
# TYPE parallax_window_threshold_pass gauge
parallax_window_threshold_pass{expression="diff.rate < 10%",endpoint=""} 0
`;

/** `name{labels}` → value, from exposition text; checks every line is a comment or a well-formed sample. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const value = m[3] === "+Inf" ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(`${m[1]}${m[2] ?? ""}`, value);
  }
  return samples;
}

function sum(samples: Map<string, number>, prefix: string, ...labels: string[]): number {
  let total = 0;
  for (const [key, value] of samples) if (key.startsWith(`${prefix}{`) && labels.every((l) => key.includes(l))) total += value;
  return total;
}

/**
 * The fixture's endpoints claim two candidate errors at `GET /metrics` beyond the candidate's total (a coordinator's
 * endpoint figures are always part of its totals): without them, per-endpoint series can add up to the totals.
 */
function consistent(result: RunResult): RunResult {
  const endpoints = result.endpoints.map((e) =>
    e.endpoint === "GET /metrics" && e.targets.candidate ? { ...e, targets: { ...e.targets, candidate: { ...e.targets.candidate, errors: 0 } } } : e,
  );
  return { ...result, endpoints };
}

describe("renderPrometheus", () => {
  it("renders a small result exactly (text exposition format 0.0.4)", () => {
    assert.equal(renderPrometheus(tiny()), GOLDEN);
  });

  it("has counters equal to the result's totals", () => {
    for (const result of [consistent(shadowResult()), consistent(fixtureResult()), tiny()]) {
      const samples = parse(renderPrometheus(result));
      for (const [name, t] of Object.entries(result.targets)) {
        assert.equal(sum(samples, "parallax_requests_total", `target="${name}"`), t.requests, `${name} requests`);
        assert.equal(sum(samples, "parallax_errors_total", `target="${name}"`), t.errors, `${name} errors`);
        const count = t.histogram === "" ? 0 : decodeHistogram(t.histogram).totalCount;
        assert.equal(samples.get(`parallax_latency_seconds_count{target="${name}"}`), count);
        assert.equal(samples.get(`parallax_latency_seconds_bucket{target="${name}",le="+Inf"}`), count);
        // Cumulative: never decreasing.
        const buckets = LATENCY_BUCKETS_SECONDS.map((le) => samples.get(`parallax_latency_seconds_bucket{target="${name}",le="${le}"}`) ?? -1);
        assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b));
      }
      assert.equal(samples.get("parallax_diffs_compared_total"), result.diff.compared);
      assert.equal(samples.get("parallax_diffs_different"), result.diff.different);
      assert.equal(samples.get("parallax_diffs_noise"), result.diff.noise);
      assert.equal(sum(samples, "parallax_diff_signature_noise"), result.diff.groups.filter((g) => g.noise).length);
      assert.equal(sum(samples, "parallax_diff_pairs_total"), result.diff.groups.reduce((n, g) => n + g.count, 0));
      const s = result.shadow;
      if (s === undefined) {
        assert.ok(![...samples.keys()].some((k) => k.startsWith("parallax_stream_") || k.startsWith("parallax_window_")), "no stream metrics outside shadow runs");
        continue;
      }
      for (const [metric, value] of [
        ["received", s.received],
        ["compared", s.compared],
        ["held_back", s.heldBack],
        ["sampled_out", s.sampledOut],
        ["malformed", s.malformed],
        ["redelivered", s.redelivered],
        ["duplicates", s.duplicates],
      ] as const) {
        assert.equal(samples.get(`parallax_stream_${metric}_total`), value, metric);
      }
      assert.equal(samples.get("parallax_stream_backlog_pending"), s.backlog.pending);
      assert.equal(samples.get("parallax_stream_backlog_in_flight"), s.backlog.inFlight);
    }
  });

  it("counts a value in a bucket at the histogram's resolution, and renders an empty histogram as zeros", () => {
    const result = tiny();
    const h = createLatencyHistogram();
    // 1 ms exactly is within le="0.001"; 1.001 ms is not.
    h.record(1000);
    h.record(1001);
    const samples = parse(renderPrometheus({ ...result, targets: { ...result.targets, production: { ...result.targets.production, histogram: encodeHistogram(h) }, candidate: { ...result.targets.candidate, histogram: "" } } }));
    assert.equal(samples.get('parallax_latency_seconds_bucket{target="production",le="0.001"}'), 1);
    assert.equal(samples.get('parallax_latency_seconds_bucket{target="production",le="0.0025"}'), 2);
    assert.equal(samples.get('parallax_latency_seconds_bucket{target="candidate",le="60"}'), 0);
    assert.equal(samples.get('parallax_latency_seconds_sum{target="candidate"}'), 0);
  });

  it("escapes backslash, double quote and line feed in label values, and nothing else", () => {
    assert.equal(escapeLabel('a\\b"c\nd\te'), 'a\\\\b\\"c\\nd\te');
  });
});
