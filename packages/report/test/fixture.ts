// A complete RunResult for the report tests: three targets, three diff groups (one noise), skipped reasons, two agents.
import { createLatencyHistogram, encodeHistogram, latencySummaryMs } from "@parallax/metrics";
import type { DiffGroup, RunResult, TargetResult } from "@parallax/protocol";

/** A target whose histogram holds `n` latencies spread evenly over [fromMs, toMs], and whose summary is read from it. */
function target(url: string, n: number, fromMs: number, toMs: number, rest: Omit<TargetResult, "url" | "latencyMs" | "histogram">): TargetResult {
  const h = createLatencyHistogram();
  for (let i = 0; i < n; i++) h.record((fromMs + ((toMs - fromMs) * i) / Math.max(1, n - 1)) * 1000);
  return { url, ...rest, latencyMs: latencySummaryMs(h), histogram: encodeHistogram(h) };
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
      planned: 2000,
      agents: [
        { id: "agent-a", state: "completed", segment: "0:1/2", planned: 1000, requests: 994, late: 3, maxLagMs: 12.5, snapshots: 3 },
        { id: "agent-b", state: "lost", segment: "1/2:1", planned: 1001, requests: 997, late: 0, maxLagMs: 4.25, snapshots: 2 },
      ],
      events: [{ at: "2026-03-01T10:00:01.900Z", type: "agent-lost", message: "agent-b missed 3 heartbeats", agentId: "agent-b" }],
    },
    targets: {
      production: target("http://127.0.0.1:8081", 1991, 10, 110, { requests: 1991, responses: 1987, errors: 7, transportErrors: 4, errorKinds: { timeout: 3, ECONNREFUSED: 1 }, statusCodes: { "200": 1984, "503": 3 } }),
      candidate: target("http://127.0.0.1:8082", 1989, 20, 180, { requests: 1989, responses: 1989, errors: 11, transportErrors: 0, errorKinds: {}, statusCodes: { "200": 1978, "500": 11 } }),
      secondary: target("http://127.0.0.1:8083", 1985, 12, 115, { requests: 1985, responses: 1985, errors: 0, transportErrors: 0, errorKinds: {}, statusCodes: { "200": 1985 } }),
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
      checks: [
        { name: "diff rate", observed: 0.0238, limit: 0.01, pass: false },
        { name: "candidate p99 ms", observed: 178.559, limit: 150, pass: false },
        { name: "candidate error rate", observed: 0.0055, limit: 0.02, pass: true },
      ],
    },
    skipped: { count: 9, reasons: { "held back | unsafe method": 6, "body too large": 3 } },
  };
}
