// The JSON Schema of report.json (design.md §8). Committed as packages/report/report.schema.json; a test keeps the two equal.
import { DIFF_KINDS, REPORT_SCHEMA_VERSION } from "@parallax/protocol";

const count = { type: "integer", minimum: 0 } as const;
const share = { type: "number", minimum: 0, maximum: 1 } as const;
const countMap = { type: "object", additionalProperties: count } as const;
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const timestamp = { type: "string", format: "date-time" } as const;

const SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Parallax report.json",
  description: "The result of one Parallax run. Counts are exact; latencies are in milliseconds, from merged HDR histograms.",
  type: "object",
  required: ["schemaVersion", "run", "targets", "diff", "verdict", "skipped"],
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION, description: "Bumped on any incompatible change." },
    run: {
      type: "object",
      required: ["id", "startedAt", "endedAt", "mode", "status", "scenario", "traffic", "load", "planned", "agents", "events"],
      properties: {
        id: { type: "string" },
        startedAt: timestamp,
        endedAt: timestamp,
        mode: { enum: ["local", "nats"] },
        status: { enum: ["completed", "degraded", "aborted"] },
        scenario: {
          type: "object",
          required: ["name"],
          properties: { name: { type: "string" }, file: { type: "string" } },
        },
        traffic: {
          type: "object",
          required: ["file", "format", "requests"],
          properties: { file: { type: "string" }, format: { type: "string" }, requests: count },
        },
        load: { type: "string", description: "The load model in words, e.g. `constant 1000/s for 2s`." },
        planned: { ...count, description: "Requests the plan scheduled; each goes to every target." },
        agents: { type: "array", items: { $ref: "#/$defs/agent" } },
        events: { type: "array", items: { $ref: "#/$defs/event" } },
      },
    },
    targets: {
      type: "object",
      required: ["production", "candidate"],
      properties: {
        production: { $ref: "#/$defs/target" },
        candidate: { $ref: "#/$defs/target" },
        secondary: { $ref: "#/$defs/target" },
      },
    },
    diff: {
      type: "object",
      required: ["compared", "identical", "different", "noise", "notComparable", "notComparableReasons", "noiseMethod", "groups"],
      properties: {
        compared: count,
        identical: count,
        different: count,
        noise: count,
        notComparable: count,
        notComparableReasons: countMap,
        noiseMethod: { type: "string" },
        groups: { type: "array", items: { $ref: "#/$defs/diffGroup" } },
      },
    },
    verdict: {
      type: "object",
      required: ["pass", "reasons", "checks"],
      properties: {
        pass: { type: "boolean" },
        reasons: { type: "array", items: { type: "string" } },
        checks: { type: "array", items: { $ref: "#/$defs/check" } },
      },
    },
    skipped: {
      type: "object",
      required: ["count", "reasons"],
      properties: { count, reasons: countMap },
    },
  },
  $defs: {
    latency: {
      type: "object",
      description: "Milliseconds, 3 decimals; all 0 when nothing was measured.",
      required: ["p50", "p90", "p99", "p999", "max", "mean", "min"],
      properties: {
        p50: { type: "number" },
        p90: { type: "number" },
        p99: { type: "number" },
        p999: { type: "number" },
        max: { type: "number" },
        mean: { type: "number" },
        min: { type: "number" },
      },
    },
    target: {
      type: "object",
      required: ["url", "requests", "responses", "errors", "transportErrors", "errorKinds", "statusCodes", "latencyMs", "histogram"],
      properties: {
        url: { type: "string" },
        requests: count,
        responses: count,
        errors: { ...count, description: "Transport failures plus 5xx responses." },
        transportErrors: count,
        errorKinds: countMap,
        statusCodes: countMap,
        latencyMs: { $ref: "#/$defs/latency" },
        histogram: { type: "string", description: "HdrHistogram V2 compressed, base64, microseconds." },
      },
    },
    diffGroup: {
      type: "object",
      required: ["endpoint", "path", "kind", "count", "rate", "noise", "examples"],
      properties: {
        endpoint: { type: "string" },
        path: { type: "string" },
        kind: { $ref: "#/$defs/diffKind" },
        count,
        rate: share,
        noise: { type: "boolean" },
        secondaryCount: count,
        secondaryRate: share,
        pValue: share,
        examples: { type: "array", items: { $ref: "#/$defs/exemplar" } },
      },
    },
    diffKind: { enum: [...DIFF_KINDS] },
    exemplar: {
      type: "object",
      required: ["request", "responses", "differences"],
      properties: {
        request: {
          type: "object",
          required: ["method", "path", "headers"],
          properties: {
            method: { type: "string" },
            path: { type: "string" },
            headers: stringMap,
            body: { type: "string" },
            bodyTruncated: { type: "boolean" },
          },
        },
        responses: {
          type: "object",
          properties: {
            production: { $ref: "#/$defs/message" },
            candidate: { $ref: "#/$defs/message" },
            secondary: { $ref: "#/$defs/message" },
          },
        },
        differences: {
          type: "array",
          items: {
            type: "object",
            required: ["path", "kind"],
            properties: { path: { type: "string" }, kind: { $ref: "#/$defs/diffKind" }, production: {}, candidate: {} },
          },
        },
      },
    },
    message: {
      type: "object",
      properties: {
        status: { type: "integer" },
        error: { type: "string" },
        headers: stringMap,
        body: { type: "string", description: "UTF-8 text, or `base64:` and base64 for binary bodies." },
        bodyTruncated: { type: "boolean" },
      },
    },
    agent: {
      type: "object",
      required: ["id", "state", "segment", "planned", "requests", "late", "maxLagMs", "snapshots"],
      properties: {
        id: { type: "string" },
        state: { enum: ["completed", "lost", "refused", "stopped"] },
        segment: { type: "string", description: "`from:to` as fractions of the request sequence." },
        planned: count,
        requests: count,
        late: count,
        maxLagMs: { type: "number", minimum: 0 },
        snapshots: count,
      },
    },
    event: {
      type: "object",
      required: ["at", "type", "message"],
      properties: { at: timestamp, type: { type: "string" }, message: { type: "string" }, agentId: { type: "string" } },
    },
    check: {
      type: "object",
      required: ["name", "observed", "limit", "pass"],
      properties: { name: { type: "string" }, observed: { type: "number" }, limit: { type: "number" }, pass: { type: "boolean" } },
    },
  },
} as const;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Frozen: renderJson takes its key order from it, so no caller may change it. */
export const REPORT_JSON_SCHEMA = deepFreeze(SCHEMA);
