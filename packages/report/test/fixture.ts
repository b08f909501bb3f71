// Complete RunResults for the report tests: an open run with three targets, three diff groups (one noise), skipped
// reasons, two agents, thresholds (passing, failing, not evaluated), three endpoints (one with a latency regression,
// one without a comparison) and one ML comparison of each kind; a step run with its capacity analysis; a closed run.
import { createLatencyHistogram, encodeHistogram, latencySummaryMs, type LatencyHistogram } from "@parallax/metrics";
import type { CapacityResult, ComparisonReport, DiffGroup, EndpointResult, LatencySummaryMs, RunResult, TargetResult, ThresholdResult } from "@parallax/protocol";

/** `n` latencies spread evenly over [fromMs, toMs]. */
function spread(n: number, fromMs: number, toMs: number): LatencyHistogram {
  const h = createLatencyHistogram();
  for (let i = 0; i < n; i++) h.record((fromMs + ((toMs - fromMs) * i) / Math.max(1, n - 1)) * 1000);
  return h;
}

type Counts = Omit<TargetResult, "url" | "latencyMs" | "histogram" | "serviceTimeMs" | "serviceHistogram">;

/**
 * A target whose response-time histogram holds `n` latencies over [fromMs, toMs] and whose service-time histogram
 * holds them `sendDelayMs` lower (what was spent waiting to be sent); summaries are read from the histograms.
 */
function target(url: string, n: number, fromMs: number, toMs: number, sendDelayMs: number, rest: Counts): TargetResult {
  const response = spread(n, fromMs, toMs);
  const service = spread(n, fromMs - sendDelayMs, toMs - sendDelayMs);
  return { url, ...rest, latencyMs: latencySummaryMs(response), histogram: encodeHistogram(response), serviceTimeMs: latencySummaryMs(service), serviceHistogram: encodeHistogram(service) };
}

export const LABEL_GROUP: DiffGroup = {
  endpoint: "POST /v1/models/{m}:predict",
  path: "$.predictions[*].label",
  kind: "changed",
  count: 42,
  rate: 0.0211,
  noise: false,
  secondaryCount: 1,
  secondaryRate: 0.0005,
  pValue: 0.0001,
  examples: [
    {
      request: { method: "POST", path: "/v1/models/iris:predict", headers: { "content-type": "application/json" }, body: '{"instances":[[5.1,3.5,1.4,0.2]]}' },
      responses: { production: { status: 200, body: '{"predictions":[{"label":"setosa"}]}' }, candidate: { status: 200, body: '{"predictions":[{"label":"versi|color"}]}' } },
      differences: [
        { path: "$.predictions[0].label", kind: "changed", production: "setosa", candidate: "versi|color" },
        { path: "$.predictions[0].scores", kind: "changed", production: "x".repeat(200), candidate: [0.25, 0.75] },
      ],
    },
  ],
};

export const STATUS_GROUP: DiffGroup = {
  endpoint: "GET /health",
  path: "$",
  kind: "status",
  count: 5,
  rate: 0.0125,
  noise: false,
  examples: [{ request: { method: "GET", path: "/health", headers: {} }, responses: { production: { status: 200 }, candidate: { status: 503 } }, differences: [{ path: "$", kind: "status", production: 200, candidate: 503 }] }],
};

export const NOISE_GROUP: DiffGroup = {
  endpoint: "POST /v1/models/{m}:predict",
  path: "$.model_version",
  kind: "changed",
  count: 17,
  rate: 0.0085,
  noise: true,
  secondaryCount: 16,
  secondaryRate: 0.008,
  pValue: 0.61,
  examples: [],
};

export const PREDICT = "POST /v1/models/{m}:predict";

export const THRESHOLDS: readonly ThresholdResult[] = [
  { expression: "candidate.p99 < 150ms", observed: 178.559, limit: 150, pass: false, dimension: "duration" },
  { expression: "diff.rate < 1%", observed: 0.0238, limit: 0.01, pass: false, dimension: "ratio" },
  { expression: "candidate.errors.rate < 0.5%", endpoint: PREDICT, observed: 0.00375, limit: 0.005, pass: true, dimension: "ratio" },
  { expression: "candidate.errors < 20", observed: 11, limit: 20, pass: true, dimension: "count" },
  { expression: "candidate.rps > 500", observed: 848.188, limit: 500, pass: true, dimension: "rate" },
  { expression: "label.agreement > 99%", endpoint: "POST /v2/classify", observed: null, limit: null, pass: false, dimension: "ratio", reason: "no request matched endpoint POST /v2/classify" },
];

/** An endpoint latency summary; only p50 and p99 are shown in report.md. */
function endpointLatency(p50: number, p99: number): LatencySummaryMs {
  return { p50, p90: Math.round((p50 + p99) * 500) / 1000, p99, p999: p99, max: p99, mean: p50, min: 1.5 };
}

const ZERO_LATENCY: LatencySummaryMs = { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 };

const METHOD = "bootstrap over the histograms (2000 replicates, Beta order statistics), 95 % percentile interval";

/** Busiest first, as the coordinator orders them: the regression is on the second. */
export const ENDPOINTS: readonly EndpointResult[] = [
  {
    endpoint: "GET /health",
    targets: {
      production: { requests: 1200, responses: 1197, errors: 3, latencyMs: endpointLatency(30.5, 90.2) },
      candidate: { requests: 1200, responses: 1200, errors: 0, latencyMs: endpointLatency(26.1, 88.9) },
      secondary: { requests: 1200, responses: 1200, errors: 0, latencyMs: endpointLatency(30.1, 91.4) },
    },
    diff: { compared: 1190, different: 5, rate: 0.004202 },
    latency: {
      n: { production: 1197, candidate: 1200 },
      confidence: 0.95,
      minEffect: { relative: 0.1, absoluteMs: 2 },
      method: METHOD,
      quantiles: [
        { quantile: "p50", productionMs: 30.5, candidateMs: 26.1, deltaMs: -4.4, relative: -0.144262, intervalMs: [-5.2, -3.5], significant: true, regression: false, improvement: true },
        { quantile: "p90", productionMs: 60.35, candidateMs: 57.5, deltaMs: -2.85, relative: -0.047224, intervalMs: [-6.1, 0.4], significant: false, regression: false, improvement: false },
        { quantile: "p99", productionMs: 90.2, candidateMs: 88.9, deltaMs: -1.3, relative: -0.014412, intervalMs: [-4.9, 2.6], significant: false, regression: false, improvement: false },
      ],
      regression: false,
    },
  },
  {
    endpoint: PREDICT,
    targets: {
      production: { requests: 789, responses: 788, errors: 4, latencyMs: endpointLatency(50.4, 108.7) },
      candidate: { requests: 787, responses: 787, errors: 11, latencyMs: endpointLatency(54.5, 178.1) },
      secondary: { requests: 785, responses: 785, errors: 0, latencyMs: endpointLatency(51, 110.3) },
    },
    diff: { compared: 780, different: 42, rate: 0.053846 },
    latency: {
      n: { production: 788, candidate: 787 },
      confidence: 0.95,
      minEffect: { relative: 0.1, absoluteMs: 2 },
      method: METHOD,
      quantiles: [
        { quantile: "p50", productionMs: 50.4, candidateMs: 54.5, deltaMs: 4.1, relative: 0.081349, intervalMs: [2.9, 5.3], significant: true, regression: false, improvement: false },
        { quantile: "p90", productionMs: 79.55, candidateMs: 91.3, deltaMs: 11.75, relative: 0.147706, intervalMs: [8.2, 15.1], significant: true, regression: true, improvement: false },
        { quantile: "p99", productionMs: 108.7, candidateMs: 178.1, deltaMs: 69.4, relative: 0.638454, intervalMs: [61.2, 77.9], significant: true, regression: true, improvement: false },
      ],
      regression: true,
    },
  },
  {
    endpoint: "GET /metrics",
    targets: {
      production: { requests: 2, responses: 2, errors: 0, latencyMs: endpointLatency(3.2, 4.1) },
      candidate: { requests: 2, responses: 0, errors: 2, latencyMs: ZERO_LATENCY },
    },
    diff: { compared: 0, different: 0, rate: 0 },
  },
];

export const LABEL_COMPARISON: ComparisonReport = {
  endpoint: PREDICT,
  path: "$.predictions[*].label",
  kind: "label",
  compared: 800,
  agreement: 0.985,
  agreed: 788,
  confusion: { setosa: { setosa: 270, versicolor: 2 }, versicolor: { versicolor: 260, virginica: 6 }, virginica: { versicolor: 4, virginica: 258 } },
  production: { setosa: 272, versicolor: 266, virginica: 262 },
  candidate: { setosa: 270, versicolor: 266, virginica: 264 },
  lengthMismatches: 1,
  unpaired: 2,
  secondary: {
    compared: 800,
    agreement: 0.99875,
    agreed: 799,
    confusion: { setosa: { setosa: 272 }, versicolor: { versicolor: 266 }, virginica: { versicolor: 1, virginica: 261 } },
    production: { setosa: 272, versicolor: 266, virginica: 262 },
    candidate: { setosa: 272, versicolor: 267, virginica: 261 },
    lengthMismatches: 0,
    unpaired: 0,
  },
};

export const COMPARISONS: readonly ComparisonReport[] = [
  LABEL_COMPARISON,
  {
    endpoint: PREDICT,
    path: "$.predictions[*].scores",
    kind: "scores",
    compared: 800,
    maxAbsDiff: 0.0412,
    meanAbsDiff: 0.00318,
    topK: 3,
    topKOverlap: 0.9925,
    outOfTolerance: 14,
    lengthMismatches: 0,
    incomparable: 1,
  },
  {
    endpoint: "POST /v2/models/{m}/infer",
    path: "$.outputs",
    kind: "tensor",
    compared: 400,
    shapeMismatches: 1,
    dtypeMismatches: 0,
    missingOutputs: 0,
    extraOutputs: 2,
    malformedOutputs: 0,
    valueMismatches: 3,
    elementsCompared: 102400,
    elementsMismatched: 12,
    maxAbsDiff: 0.5,
  },
  {
    endpoint: PREDICT,
    path: "$.predictions[*].confidence",
    kind: "drift",
    production: { count: 800, mean: 0.9123, ignored: 0 },
    candidate: { count: 798, mean: 0.8871, ignored: 2 },
    psi: 0.0415,
    ks: 0.0625,
    psiBins: 10,
  },
];

export function fixtureResult(): RunResult {
  return {
    schemaVersion: 1,
    run: {
      id: "run-7f3a",
      startedAt: "2026-03-01T10:00:00.000Z",
      endedAt: "2026-03-01T10:00:02.345Z",
      mode: "nats",
      status: "degraded",
      scenario: { name: "iris canary", file: "scenarios/iris.yaml" },
      traffic: { file: "traffic/iris.jsonl", format: "parallax-jsonl", requests: 2011 },
      load: "constant 1000/s for 2s",
      loadModel: "constant",
      planned: 2000,
      agents: [
        {
          id: "agent-a",
          state: "completed",
          segment: "0:1/2",
          planned: 1000,
          requests: 994,
          late: 3,
          maxLagMs: 12.5,
          snapshots: 3,
          generator: {
            schedulerLagMs: { p50: 0.412, p90: 1.873, p99: 9.215, max: 12.5 },
            eventLoopDelayMs: { p50: 10.113, p90: 10.62, p99: 14.305, max: 21.7 },
            cpu: { mean: 0.41, peak: 0.77 },
            late: 3,
            dropped: 6,
            bottleneck: false,
            reasons: [],
          },
        },
        { id: "agent-b", state: "lost", segment: "1/2:1", planned: 1001, requests: 997, late: 0, maxLagMs: 4.25, snapshots: 2 },
      ],
      events: [{ at: "2026-03-01T10:00:01.900Z", type: "agent-lost", message: "agent-b missed 3 heartbeats", agentId: "agent-b" }],
    },
    targets: {
      production: target("http://127.0.0.1:8081", 1991, 10, 110, 2, { requests: 1991, responses: 1987, errors: 7, transportErrors: 4, errorKinds: { timeout: 3, ECONNREFUSED: 1 }, statusCodes: { "200": 1984, "503": 3 }, throughputRps: 847.335 }),
      candidate: target("http://127.0.0.1:8082", 1989, 20, 180, 5, { requests: 1989, responses: 1989, errors: 11, transportErrors: 0, errorKinds: {}, statusCodes: { "200": 1978, "500": 11 }, throughputRps: 848.188 }),
      secondary: target("http://127.0.0.1:8083", 1985, 12, 115, 1, { requests: 1985, responses: 1985, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: { "200": 1985 }, throughputRps: 846.482 }),
    },
    diff: {
      compared: 1973,
      identical: 1909,
      different: 47,
      noise: 17,
      notComparable: 13,
      notComparableReasons: { "production timeout": 3, "candidate ECONNREFUSED": 10 },
      noiseMethod: "binomial test against the secondary (alpha 0.01)",
      groups: [NOISE_GROUP, STATUS_GROUP, LABEL_GROUP],
    },
    verdict: {
      pass: false,
      reasons: ["diff rate 2.38% > 1%", "candidate p99 178.559 ms > 150 ms"],
      // The older view of the thresholds: those that could be evaluated.
      checks: THRESHOLDS.flatMap((t) =>
        t.observed === null || t.limit === null ? [] : [{ name: `${t.endpoint === undefined ? "" : `[${t.endpoint}] `}${t.expression}`, observed: t.observed, limit: t.limit, pass: t.pass }],
      ),
      warnings: [],
      thresholds: THRESHOLDS,
    },
    endpoints: ENDPOINTS,
    comparisons: COMPARISONS,
    skipped: { count: 9, reasons: { "held back | unsafe method": 6, "body too large": 3 } },
  };
}

/** A step latency summary with the given p99 (the other figures only need to be plausible). */
function stepLatency(p99: number): LatencySummaryMs {
  return { p50: Math.round(p99 * 400) / 1000, p90: Math.round(p99 * 800) / 1000, p99, p999: p99, max: p99, mean: Math.round(p99 * 450) / 1000, min: 1.001 };
}

/** A step run against production and candidate: 3 complete steps and a fourth cut short when both broke the SLO. */
export const CAPACITY: CapacityResult = {
  slo: { p99Ms: 50, errorRate: 0.01 },
  steps: [
    {
      offeredRps: 100,
      complete: true,
      durationMs: 10_000,
      achievedRps: { production: 99.9, candidate: 99.8 },
      latencyMs: { production: stepLatency(12.5), candidate: stepLatency(14.1) },
      errorRate: { production: 0, candidate: 0 },
      sloMet: { production: true, candidate: true },
      concurrency: { production: 0.562, candidate: 0.633 },
      counts: { production: { requests: 1000, responses: 1000, errors: 0 }, candidate: { requests: 1000, responses: 1000, errors: 0 } },
    },
    {
      offeredRps: 200,
      complete: true,
      durationMs: 10_000,
      achievedRps: { production: 199.7, candidate: 199.5 },
      latencyMs: { production: stepLatency(31.2), candidate: stepLatency(44.9) },
      errorRate: { production: 0.002, candidate: 0.004 },
      sloMet: { production: true, candidate: true },
      concurrency: { production: 2.804, candidate: 4.031 },
      counts: { production: { requests: 2000, responses: 2000, errors: 4 }, candidate: { requests: 2000, responses: 2000, errors: 8 } },
    },
    {
      offeredRps: 400,
      complete: true,
      durationMs: 10_000,
      achievedRps: { production: 398.2, candidate: 341.6 },
      latencyMs: { production: stepLatency(48.7), candidate: stepLatency(212.3) },
      errorRate: { production: 0.005, candidate: 0.031 },
      sloMet: { production: true, candidate: false },
      concurrency: { production: 8.727, candidate: 32.636 },
      counts: { production: { requests: 4000, responses: 3998, errors: 20 }, candidate: { requests: 4000, responses: 3416, errors: 124 } },
    },
    {
      offeredRps: 800,
      complete: false,
      durationMs: 4200,
      achievedRps: { production: 512.4, candidate: 300.2 },
      latencyMs: { production: stepLatency(390.6), candidate: stepLatency(0) },
      errorRate: { production: 0.12, candidate: 1 },
      sloMet: { production: false, candidate: false },
      concurrency: { production: 90.064, candidate: 0 },
      counts: { production: { requests: 3360, responses: 3100, errors: 403 }, candidate: { requests: 3360, responses: 0, errors: 3360 } },
    },
  ],
  knee: { production: 400, candidate: 200 },
  kneeAtLeast: { production: false, candidate: false },
  ratio: 0.5,
  usl: {
    production: { sigma: 0.021, kappa: 0.00012, lambda: 105.3, peakRps: 812.6, peakConcurrency: 89.2, r2: 0.991, points: 3 },
    candidate: { sigma: 0.08, kappa: 0, lambda: 101.2, peakRps: 1265, peakConcurrency: null, r2: 0.874, points: 3 },
  },
  stopped: "slo-broken",
};

/** The fixture as a step run (production and candidate only), with its capacity analysis. */
export function capacityResult(): RunResult {
  const base = fixtureResult();
  const { secondary: _secondary, ...targets } = base.targets;
  return { ...base, run: { ...base.run, load: "steps 100/s to 800/s, 10s each", loadModel: "steps" }, targets, capacity: CAPACITY };
}

/** The fixture as a closed run: fixed concurrency, nothing paired, so an empty diff. */
export function closedResult(): RunResult {
  const base = fixtureResult();
  return {
    ...base,
    run: { ...base.run, load: "closed 64 connections for 2s", loadModel: "closed" },
    diff: { compared: 0, identical: 0, different: 0, noise: 0, notComparable: 0, notComparableReasons: {}, noiseMethod: "none", groups: [] },
  };
}

/** The fixture as a shadow run: live traffic from a tap's stream, its accounting, and two threshold state changes. */
export function shadowResult(): RunResult {
  const base = fixtureResult();
  return {
    ...base,
    run: { ...base.run, mode: "shadow", load: "live traffic from stream traffic, 50 % sampled", loadModel: "replay", planned: 1999, traffic: { file: "stream:traffic", format: "tap", requests: 2011 } },
    shadow: {
      stream: "traffic",
      durable: "parallax-shadow",
      measuredAt: { production: "tap", candidate: "agent", secondary: "agent" },
      sample: 0.5,
      window: { from: "2026-03-01T10:00:00.000Z", to: "2026-03-01T10:01:00.000Z", lengthMs: 60_000 },
      received: 2011,
      compared: 1990,
      heldBack: 9,
      sampledOut: 10,
      malformed: 2,
      redelivered: 5,
      duplicates: 3,
      backlog: { pending: 12, inFlight: 4 },
      events: [
        { at: "2026-03-01T10:01:02.000Z", window: "2026-03-01T10:00:00.000Z", expression: "diff.rate < 1%", state: "fail", observed: 0.0238, limit: 0.01 },
        { at: "2026-03-01T10:01:02.000Z", window: "2026-03-01T10:00:00.000Z", expression: "candidate.errors.rate < 0.5%", endpoint: PREDICT, state: "pass", observed: 0.00375, limit: 0.005 },
      ],
    },
  };
}
