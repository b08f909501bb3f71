// The JSON Schema of report.json (design.md §8). Committed as packages/report/report.schema.json, which is exactly
// `JSON.stringify(REPORT_JSON_SCHEMA, null, 2)` and a newline (what `parallax schema report` prints); a test keeps the two equal.
import { DIFF_KINDS, REPORT_SCHEMA_VERSION } from "@parallax/protocol";

const count = { type: "integer", minimum: 0 } as const;
const share = { type: "number", minimum: 0, maximum: 1 } as const;
const countMap = { type: "object", additionalProperties: count } as const;
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const timestamp = { type: "string", format: "date-time" } as const;
const nonNegative = { type: "number", minimum: 0 } as const;
const nonNegativeOrNull = { type: ["number", "null"], minimum: 0 } as const;
const shareOrNull = { type: ["number", "null"], minimum: 0, maximum: 1 } as const;

/**
 * The figures of one ML-aware comparison, by kind; null where nothing was comparable. Declared so report.json keeps
 * one key order; other fields are allowed (a kind may report more).
 */
const COMPARISON_FIGURES = {
  compared: { ...count, description: "Pairs (label, scores, tensor) compared." },
  agreement: { ...shareOrNull, description: "label: share of compared labels that agree." },
  agreed: { ...count, description: "label: compared labels that agree." },
  confusion: { type: "object", additionalProperties: countMap, description: "label: production label → candidate label → count; rare labels folded into `(other)`." },
  production: { type: "object", description: "label: production's label counts; drift: production's { count, mean, ignored }." },
  candidate: { type: "object", description: "label: the other side's label counts; drift: its { count, mean, ignored }." },
  maxAbsDiff: { ...nonNegativeOrNull, description: "scores, tensor: largest absolute difference of paired elements." },
  meanAbsDiff: { ...nonNegativeOrNull, description: "scores: mean absolute difference of paired elements." },
  topK: { ...count, description: "scores: the k of topKOverlap." },
  topKOverlap: { ...shareOrNull, description: "scores: mean share of the top-k indices both sides have." },
  outOfTolerance: { ...count, description: "scores: compared pairs with an element outside the tolerance." },
  shapeMismatches: { ...count, description: "tensor: outputs whose shapes differ." },
  dtypeMismatches: { ...count, description: "tensor: outputs whose dtypes differ." },
  missingOutputs: { ...count, description: "tensor: outputs production has and the other side lacks." },
  extraOutputs: { ...count, description: "tensor: outputs only the other side has." },
  malformedOutputs: { ...count, description: "tensor: outputs that are not tensors." },
  valueMismatches: { ...count, description: "tensor: compared pairs with an element outside the tolerance." },
  elementsCompared: count,
  elementsMismatched: count,
  psi: { ...nonNegativeOrNull, description: "drift: population stability index over psiBins bins." },
  ks: { ...shareOrNull, description: "drift: Kolmogorov-Smirnov statistic (largest gap of the two cumulative distributions)." },
  psiBins: count,
  lengthMismatches: { ...count, description: "label, scores: pairs whose number of values differs." },
  unpaired: { ...count, description: "label: values without a counterpart on the other side." },
  incomparable: { ...count, description: "scores: pairs whose values are not comparable numbers." },
} as const;

/** An object with one optional entry per target role (the roles the run had). */
function perTarget<S extends object, D extends string>(value: S, description: D) {
  return { type: "object", description, properties: { production: value, candidate: value, secondary: value } } as const;
}

const SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Parallax report.json",
  description: "The result of one Parallax run. Counts are exact; latencies are in milliseconds, from merged HDR histograms.",
  type: "object",
  required: ["schemaVersion", "run", "targets", "diff", "verdict", "endpoints", "comparisons", "skipped"],
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION, description: "Bumped on any incompatible change." },
    run: {
      type: "object",
      required: ["id", "startedAt", "endedAt", "mode", "status", "scenario", "traffic", "load", "loadModel", "planned", "agents", "events"],
      properties: {
        id: { type: "string" },
        startedAt: timestamp,
        endedAt: timestamp,
        mode: { enum: ["local", "nats", "shadow"], description: "`local` and `nats` runs replay a recording; `shadow` compares live traffic from a tap's stream and has `shadow`." },
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
        loadModel: {
          enum: ["constant", "ramp", "steps", "replay", "closed"],
          description:
            "The load model's name. `closed` (fixed concurrency) pairs no responses, so its run has no diff; `steps` runs have `capacity`; a `shadow` run says `replay` (live traffic at its own pace).",
        },
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
      required: ["pass", "reasons", "checks", "warnings", "thresholds"],
      properties: {
        pass: { type: "boolean" },
        reasons: { type: "array", items: { type: "string" } },
        checks: { type: "array", items: { $ref: "#/$defs/check" }, description: "The older view of `thresholds`: those that could be evaluated." },
        warnings: {
          type: "array",
          items: { type: "string" },
          description: "What makes figures less trustworthy without failing the run, e.g. a load generator that was the bottleneck.",
        },
        thresholds: { type: "array", items: { $ref: "#/$defs/threshold" }, description: "Every threshold (scenario `thresholds:`, `--threshold`), evaluated on the whole run." },
      },
    },
    endpoints: {
      type: "array",
      items: { $ref: "#/$defs/endpoint" },
      description: "Per endpoint template, busiest first: each target's counts and latency, diffs, and the latency comparison.",
    },
    comparisons: { type: "array", items: { $ref: "#/$defs/comparison" }, description: "ML-aware comparisons (`compare.rules`), per endpoint and rule." },
    skipped: {
      type: "object",
      required: ["count", "reasons"],
      properties: { count, reasons: countMap },
    },
    capacity: { $ref: "#/$defs/capacity" },
    shadow: { $ref: "#/$defs/shadow" },
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
    percentiles: {
      type: "object",
      description: "Milliseconds.",
      required: ["p50", "p90", "p99", "max"],
      properties: { p50: { type: "number" }, p90: { type: "number" }, p99: { type: "number" }, max: { type: "number" } },
    },
    target: {
      type: "object",
      required: ["url", "requests", "responses", "errors", "transportErrors", "errorKinds", "statusCodes", "latencyMs", "histogram", "serviceTimeMs", "serviceHistogram", "throughputRps"],
      properties: {
        url: { type: "string" },
        requests: count,
        responses: count,
        errors: { ...count, description: "Transport failures plus 5xx responses." },
        transportErrors: count,
        errorKinds: countMap,
        statusCodes: countMap,
        latencyMs: { $ref: "#/$defs/latency", description: "Response time: from the intended send time to the end of the response body (what a user waits)." },
        histogram: { type: "string", description: "Of latencyMs: HdrHistogram V2 compressed, base64, microseconds, one value per response; empty when nothing was recorded." },
        serviceTimeMs: { $ref: "#/$defs/latency", description: "Service time: from the actual send to the end of the response body (what the target took)." },
        serviceHistogram: { type: "string", description: "Of serviceTimeMs: HdrHistogram V2 compressed, base64, microseconds; empty when nothing was recorded." },
        throughputRps: { ...nonNegative, description: "Responses per second over the run's measured time." },
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
        generator: { $ref: "#/$defs/generator" },
      },
    },
    generator: {
      type: "object",
      description: "How the agent's load generator fared; absent for agents that did not report it.",
      required: ["schedulerLagMs", "eventLoopDelayMs", "late", "dropped", "bottleneck", "reasons"],
      properties: {
        schedulerLagMs: { $ref: "#/$defs/percentiles", description: "How far sends left behind their intended instant." },
        eventLoopDelayMs: { $ref: "#/$defs/percentiles", description: "How late a 10 ms timer ran on the agent's event loop." },
        cpu: {
          type: "object",
          description: "CPU time over wall time of the agent's process (1 = one core): mean and busiest second; absent when not measured.",
          required: ["mean", "peak"],
          properties: { mean: nonNegative, peak: nonNegative },
        },
        late: { ...count, description: "Sends more than 10 ms late." },
        dropped: { ...count, description: "Scheduled sends never made (the run was stopped or the agent lost before their time came)." },
        bottleneck: { type: "boolean", description: "The generator, not the target, limited the run: its latency figures are not trustworthy." },
        reasons: { type: "array", items: { type: "string" }, description: "Why it was judged the bottleneck." },
      },
    },
    capacity: {
      type: "object",
      description: "Step (capacity) runs only: per-step figures, each target's knee and a Universal Scalability Law fit.",
      required: ["slo", "steps", "knee", "kneeAtLeast", "ratio", "usl", "stopped"],
      properties: {
        slo: {
          type: "object",
          description: "What a step must meet; each limit only when set.",
          properties: { p99Ms: { ...nonNegative, description: "Highest p99 response time, ms." }, errorRate: { ...share, description: "Highest error rate." } },
        },
        steps: { type: "array", items: { $ref: "#/$defs/capacityStep" }, description: "The steps that ran, in order." },
        knee: {
          ...perTarget(nonNegativeOrNull, "The highest offered rate (requests/s) whose step met the SLO, counting complete steps before the first that did not; null when none did."),
          required: ["production", "candidate"],
        },
        kneeAtLeast: perTarget(
          { type: "boolean" },
          "True for a target that met the SLO at every complete step: its knee is the highest rate tried, a lower bound of its capacity.",
        ),
        ratio: {
          ...nonNegativeOrNull,
          description:
            "Candidate knee / production knee (above 1 the candidate holds more load); an upper bound when production's knee is a lower bound, a lower bound when the candidate's is (kneeAtLeast); null when either knee is null or both are lower bounds.",
        },
        usl: perTarget({ $ref: "#/$defs/usl" }, "The Universal Scalability Law fit of each target's complete steps; null when it could not be fitted."),
        stopped: {
          enum: ["all-steps", "slo-broken", "interrupted"],
          description: "Why the step run ended: every step ran, every target broke its SLO, or the run was stopped.",
        },
      },
    },
    capacityStep: {
      type: "object",
      required: ["offeredRps", "complete", "durationMs", "achievedRps", "latencyMs", "errorRate", "sloMet", "concurrency", "counts"],
      properties: {
        offeredRps: { ...nonNegative, description: "The rate the step offered, requests/s." },
        complete: { type: "boolean", description: "False for the step the run was stopped in: reported, but it does not count for the knee." },
        durationMs: { ...nonNegative, description: "How long the step ran, ms." },
        achievedRps: perTarget(nonNegative, "Responses per second during the step."),
        latencyMs: perTarget({ $ref: "#/$defs/latency" }, "Response time during the step."),
        errorRate: perTarget(share, "Errors over requests during the step."),
        sloMet: perTarget({ type: "boolean" }, "Whether the step met the SLO (a step without responses did not)."),
        concurrency: perTarget(nonNegative, "Mean requests in flight (Little's law: achieved rate × mean latency)."),
        counts: perTarget({ $ref: "#/$defs/capacityCounts" }, "The counts the step's figures come from."),
      },
    },
    capacityCounts: {
      type: "object",
      required: ["requests", "responses", "errors"],
      properties: { requests: count, responses: count, errors: { ...count, description: "Transport failures plus 5xx responses." } },
    },
    usl: {
      type: ["object", "null"],
      description: "X(N) = λN / (1 + σ(N − 1) + κN(N − 1)), X throughput in requests/s, N concurrency; null when not fitted.",
      required: ["sigma", "kappa", "lambda", "peakRps", "peakConcurrency", "r2", "points"],
      properties: {
        sigma: { type: "number", description: "Contention (serialisation), 0..1." },
        kappa: { type: "number", description: "Coherency (crosstalk), 0..1." },
        lambda: { type: "number", description: "Throughput of one unit of concurrency, requests/s." },
        peakRps: { ...nonNegativeOrNull, description: "Throughput at the peak concurrency; with κ = 0 (no peak) the ceiling λ/σ; null when σ = κ = 0 (no limit)." },
        peakConcurrency: { ...nonNegativeOrNull, description: "Concurrency of the peak, √((1 − σ) / κ); null when κ = 0 (throughput never falls)." },
        r2: { type: "number", description: "Coefficient of determination of the fit; 1 is perfect." },
        points: { ...count, description: "Complete steps used for the fit." },
      },
    },
    event: {
      type: "object",
      required: ["at", "type", "message"],
      properties: { at: timestamp, type: { type: "string" }, message: { type: "string" }, agentId: { type: "string" } },
    },
    threshold: {
      type: "object",
      required: ["expression", "observed", "limit", "pass", "dimension"],
      properties: {
        expression: { type: "string", description: "As written in the scenario or on the command line." },
        endpoint: { type: "string", description: "The endpoint template it is scoped to; absent: the whole run." },
        observed: { type: ["number", "null"], description: "The left side in the dimension's unit; null when it could not be evaluated." },
        limit: { type: ["number", "null"], description: "The right side, in the same unit; null when it could not be evaluated." },
        pass: { type: "boolean", description: "A threshold that could not be evaluated fails." },
        dimension: { enum: ["duration", "ratio", "count", "rate", "number"], description: "duration: ms; ratio: a fraction (0.01 = 1 %); rate: per second." },
        reason: { type: "string", description: "Why it could not be evaluated." },
      },
    },
    endpoint: {
      type: "object",
      required: ["endpoint", "targets", "diff"],
      properties: {
        endpoint: { type: "string", description: "Template, e.g. `POST /v1/models/{model}:predict`." },
        targets: perTarget({ $ref: "#/$defs/endpointTarget" }, "The targets that received requests of this endpoint."),
        diff: {
          type: "object",
          description: "Compared pairs of this endpoint, how many differ (noise excluded), and that share.",
          required: ["compared", "different", "rate"],
          properties: { compared: count, different: count, rate: share },
        },
        latency: { $ref: "#/$defs/latencyComparison" },
      },
    },
    endpointTarget: {
      type: "object",
      required: ["requests", "responses", "errors", "latencyMs"],
      properties: {
        requests: count,
        responses: count,
        errors: { ...count, description: "Transport failures plus 5xx responses." },
        latencyMs: { $ref: "#/$defs/latency", description: "Response time." },
        histogram: { type: "string", description: "Of latencyMs: HdrHistogram V2 compressed, base64, microseconds." },
      },
    },
    latencyComparison: {
      type: "object",
      description: "The candidate's response time against production's; absent when either has no responses.",
      required: ["n", "confidence", "minEffect", "method", "quantiles", "regression"],
      properties: {
        n: {
          type: "object",
          description: "Responses behind each side.",
          required: ["production", "candidate"],
          properties: { production: count, candidate: count },
        },
        confidence: { ...share, description: "Two-sided confidence of each interval." },
        minEffect: {
          type: "object",
          description: "Smallest change that counts: both the relative and the absolute floor must be reached.",
          required: ["relative", "absoluteMs"],
          properties: { relative: nonNegative, absoluteMs: nonNegative },
        },
        method: { type: "string" },
        quantiles: { type: "array", items: { $ref: "#/$defs/quantileComparison" } },
        regression: { type: "boolean", description: "Some quantile regressed." },
      },
    },
    quantileComparison: {
      type: "object",
      required: ["quantile", "productionMs", "candidateMs", "deltaMs", "relative", "intervalMs", "significant", "regression", "improvement"],
      properties: {
        quantile: { enum: ["p50", "p90", "p99"] },
        productionMs: nonNegative,
        candidateMs: nonNegative,
        deltaMs: { type: "number", description: "candidate − production." },
        relative: { type: ["number", "null"], description: "deltaMs / productionMs; null when production's is 0." },
        intervalMs: { type: "array", items: { type: "number" }, minItems: 2, maxItems: 2, description: "Confidence interval of deltaMs, [low, high]." },
        significant: { type: "boolean", description: "The interval excludes 0." },
        regression: { type: "boolean", description: "Significant, slower, and at least the minimum effect." },
        improvement: { type: "boolean", description: "Significant, faster, and at least the minimum effect." },
      },
    },
    comparison: {
      type: "object",
      description: "One ML-aware comparison of one endpoint, production against candidate; the figures depend on the kind.",
      required: ["endpoint", "path", "kind"],
      properties: {
        endpoint: { type: "string" },
        path: { type: "string", description: "The rule's path into the response body." },
        kind: { enum: ["label", "scores", "tensor", "drift"] },
        ...COMPARISON_FIGURES,
        secondary: { $ref: "#/$defs/comparisonFigures", description: "The same figures for production against the secondary (the noise baseline)." },
      },
      additionalProperties: true,
    },
    comparisonFigures: { type: "object", properties: COMPARISON_FIGURES, additionalProperties: true },
    shadow: {
      type: "object",
      description:
        "`parallax shadow` only: the stream accounting of the whole run (report.json) or of one window (windows/<start>.json). Every exchange taken from the stream counts once in exactly one of compared, heldBack, sampledOut or malformed (received is their sum); a redelivery of an exchange already counted is a duplicate, counted nowhere else.",
      required: ["stream", "durable", "measuredAt", "sample", "window", "received", "compared", "heldBack", "sampledOut", "malformed", "redelivered", "duplicates", "backlog", "events"],
      properties: {
        stream: { type: "string", description: "The traffic stream the tap publishes to (`--stream`)." },
        durable: { type: "string", description: "The durable consumer the agents share (one work queue)." },
        measuredAt: {
          type: "object",
          description: "Where each target's latency was measured: production's by the tap (from the request's arrival to the end of its answer), the others' by the agent that sent the request.",
          required: ["production", "candidate"],
          properties: { production: { const: "tap" }, candidate: { const: "agent" }, secondary: { const: "agent" } },
        },
        sample: { ...share, description: "Fraction of exchanges compared (`--sample`), decided by exchange id; 1 when every exchange is." },
        window: {
          type: "object",
          description: "What the result covers: one window, or the whole run (from its first start instant) in report.json.",
          required: ["from", "to", "lengthMs"],
          properties: { from: timestamp, to: timestamp, lengthMs: count },
        },
        received: { ...count, description: "Distinct exchanges taken from the stream and counted." },
        compared: { ...count, description: "Sent to the candidate (and secondary) and compared with production's captured answer." },
        heldBack: { ...count, description: "Not sent: unsafe for the candidate and secondary without an allowance (see `skipped`)." },
        sampledOut: { ...count, description: "Acked without comparing: not in the sample." },
        malformed: { ...count, description: "Stream messages that were not captured exchanges: acked and dropped." },
        redelivered: { ...count, description: "Deliveries of an exchange after the first (an agent died or stalled before acking)." },
        duplicates: { ...count, description: "Redeliveries of exchanges already counted: acked, not counted again." },
        backlog: {
          type: "object",
          description: "What the agents had not consumed when the result was written.",
          required: ["pending", "inFlight"],
          properties: { pending: { ...count, description: "Stored, not yet delivered." }, inFlight: { ...count, description: "Delivered, not yet acked." } },
        },
        events: { type: "array", items: { $ref: "#/$defs/shadowEvent" }, description: "Threshold state changes: all so far in report.json, the window's own in a window's result." },
      },
    },
    shadowEvent: {
      type: "object",
      description: "A threshold started or stopped holding in a window (its first evaluation counts as a change); a window that could not evaluate it changes nothing.",
      required: ["at", "window", "expression", "state", "observed", "limit"],
      properties: {
        at: timestamp,
        window: { ...timestamp, description: "The start of the window whose evaluation changed state." },
        expression: { type: "string" },
        endpoint: { type: "string", description: "The endpoint template it is scoped to; absent: the whole window." },
        state: { enum: ["pass", "fail"] },
        observed: { type: ["number", "null"], description: "The left side in the threshold's unit (see verdict.thresholds)." },
        limit: { type: ["number", "null"] },
      },
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
