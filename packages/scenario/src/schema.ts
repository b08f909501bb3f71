// The scenario document: one zod schema that validates files and flags and, with the load
// models' schemas plugged in, generates the JSON Schema editors use.
import { z } from "zod";
import { endpointTemplateProblem } from "./endpoints.js";
import { parseExpression } from "./expressions.js";
import { describeValue, duration, positiveDuration } from "./fields.js";
import { ignorePathProblem } from "./jsonpath.js";
import { LOAD_MODELS } from "./load-models/index.js";
import { targetProtocol, targetUrlProblem } from "./schemes.js";
import { unsafeRuleProblem } from "./unsafe.js";

/** Values a scenario gets for what it leaves out. */
export const DEFAULTS = Object.freeze({
  name: "adhoc",
  timeout: "10s",
  format: "auto",
  compareHeaders: Object.freeze(["content-type"]),
  noise: Object.freeze({ alpha: 0.01, minEffect: 0.001, method: "mcnemar" }),
  latency: Object.freeze({ confidence: 0.95, minEffect: Object.freeze({ relative: 0.1, absolute: "2ms" }) }),
  exemplars: 3,
} as const);

const url = z
  .string()
  .superRefine((text, ctx) => {
    const problem = targetUrlProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({ format: "uri", examples: ["http://127.0.0.1:8080"] });

const headerValue = z.union([z.string(), z.number(), z.boolean()], {
  error: (iss) => `expected a header value (a string), got ${describeValue(iss.input)}`,
});

const grpcUrl = url.superRefine((text, ctx) => {
  if (targetProtocol(text) === "http") ctx.addIssue({ code: "custom", message: `expected a grpc:// or grpcs:// URL, got ${JSON.stringify(text)}` });
});

const pemFile = (what: string) => z.string().min(1, { error: `must not be empty (${what})` });

const targetObject = z.strictObject({
  url: url.describe(
    "Base URL: http:// or https:// (request paths are appended to it), or grpc://host:port / grpcs://host:port for gRPC calls, e.g. http://127.0.0.1:8080.",
  ),
  grpcUrl: grpcUrl
    .optional()
    .describe("For a recording that mixes HTTP and gRPC lines: where this target takes gRPC calls (grpc:// or grpcs://), when url is its HTTP address."),
  tls: z
    .strictObject({
      ca: pemFile("a PEM file").optional().describe("PEM file of the roots to trust instead of the system's."),
      cert: pemFile("a PEM file").optional().describe("PEM client certificate, for mutual TLS (with key)."),
      key: pemFile("a PEM file").optional().describe("PEM private key of cert."),
      serverName: z.string().min(1).optional().describe("Name the server's certificate must carry, when it is not the URL's host."),
    })
    .optional()
    .describe("TLS of grpcs:// targets. Files are relative to the scenario file, and each agent reads them from its own disk (a key never travels over NATS)."),
  timeout: positiveDuration("e.g. 10s")
    .prefault(DEFAULTS.timeout)
    .describe("Per-request timeout, e.g. 10s; a request past it counts as a timeout error."),
  headers: z
    .record(z.string(), headerValue)
    .prefault({})
    .describe("Headers added to every request sent to this target (e.g. credentials from ${ENV})."),
});

export interface TargetDocument {
  readonly url: string;
  readonly grpcUrl?: string;
  readonly tls?: TargetTlsDocument;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface TargetTlsDocument {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

function target(role: string): z.ZodType<TargetDocument, unknown> {
  return z
    .union([url, targetObject], {
      error: (iss) => `expected a URL or a mapping with url, timeout and headers, got ${describeValue(iss.input)}`,
    })
    .transform((t) => {
      const full = typeof t === "string" ? targetObject.parse({ url: t }) : t;
      const grpc = full.grpcUrl ?? (targetProtocol(full.url) === "grpc" ? full.url : undefined);
      const tls = full.tls === undefined ? undefined : (Object.fromEntries(Object.entries(full.tls).filter(([, v]) => v !== undefined)) as TargetTlsDocument);
      return { url: full.url, ...(grpc === undefined ? {} : { grpcUrl: grpc }), ...(tls === undefined ? {} : { tls }), timeoutMs: full.timeout, headers: stringHeaders(full.headers) };
    })
    .describe(`The ${role}: a URL, or { url, grpcUrl, tls, timeout, headers }.`);
}

function stringHeaders(headers: Record<string, string | number | boolean>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = String(value);
  return out;
}

const fraction01 = (what: string) =>
  z
    .number()
    .min(0, { error: `must be between 0 and 1 (${what})` })
    .max(1, { error: `must be between 0 and 1 (${what})` });

const names = (what: string) =>
  z
    .array(z.string().min(1, { error: `must not be empty (${what})` }))
    .prefault([]);

const checked = (problem: (text: string) => string | undefined) =>
  z.string().superRefine((text, ctx) => {
    const message = problem(text);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });

const nonNegative = z.number().min(0, { error: "must be >= 0" });

const tolerance = z
  .union(
    [
      nonNegative.describe("Absolute tolerance; same as { absolute: n, relative: 0 }."),
      z.strictObject({
        absolute: nonNegative.prefault(0).describe("Numbers within this absolute difference are equal."),
        relative: nonNegative.prefault(0).describe("Numbers a and b are equal when |a-b| <= relative * max(|a|, |b|) (or within the absolute tolerance)."),
      }),
    ],
    { error: (iss) => `expected a number or { absolute, relative }, got ${describeValue(iss.input)}` },
  )
  .transform((t) => (typeof t === "number" ? { absolute: t, relative: 0 } : t))
  .prefault(0)
  .describe("Numeric tolerance for JSON numbers: a number (absolute) or { absolute, relative }. Default 0 (exact).");

const toleranceOption = z.union(
  [
    nonNegative,
    z.strictObject({
      absolute: nonNegative.optional().describe("Elements match when |c-p| <= absolute + relative*|p|."),
      relative: nonNegative.optional().describe("Relative part of the tolerance, against production's value."),
    }),
  ],
  { error: (iss) => `expected a number or { absolute, relative }, got ${describeValue(iss.input)}` },
);

/** Which options each ML comparison takes (the rest are refused, naming the kind). */
const RULE_OPTIONS: Readonly<Record<string, readonly string[]>> = { label: ["maxLabels"], scores: ["topK", "tolerance"], tensor: ["tolerance"], drift: [] };

const compareRule = z
  .strictObject({
    path: checked(ignorePathProblem).describe("JSONPath of the compared values, e.g. $.predictions[*].label"),
    kind: z.enum(["label", "scores", "tensor", "drift"]).describe("label: agreement and confusion matrix; scores: max/mean abs difference, top-k overlap; tensor: KServe v2 outputs by shape, dtype and tolerance; drift: PSI and KS of a numeric field."),
    endpoint: checked(endpointTemplateProblem).optional().describe("Only this endpoint template; default every endpoint."),
    topK: z.number().int({ error: "must be a whole number" }).min(1, { error: "must be >= 1" }).max(10_000, { error: "must be <= 10000" }).optional().describe("scores: top-k overlap of the k largest scores (default 1)."),
    tolerance: toleranceOption.optional().describe("scores/tensor: a number (absolute) or { absolute, relative }; elements match when |c-p| <= absolute + relative*|p|."),
    maxLabels: z.number().int({ error: "must be a whole number" }).min(1, { error: "must be >= 1" }).max(1000, { error: "must be <= 1000" }).optional().describe("label: distinct labels kept per side in the confusion matrix (default 100)."),
  })
  .superRefine((rule, ctx) => {
    const allowed = RULE_OPTIONS[rule.kind] ?? [];
    for (const option of ["topK", "tolerance", "maxLabels"] as const) {
      if (rule[option] !== undefined && !allowed.includes(option)) ctx.addIssue({ code: "custom", path: [option], message: `${option} does not apply to kind ${rule.kind}${allowed.length ? ` (it takes ${allowed.join(", ")})` : ""}` });
    }
  })
  .describe("One ML-aware comparison.");

/** A threshold or abort expression, checked by the expression language (column in the message). */
const expression = z.string().superRefine((text, ctx) => {
  const parsed = parseExpression(text);
  if (!parsed.ok) for (const issue of parsed.issues) ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)}: ${issue.message}` });
});

const scopedExpressions = (what: string) =>
  z
    .array(
      z.union(
        [
          expression.describe(`A ${what} over the whole run, e.g. "candidate.p99 < 1.1 * production.p99".`),
          z.strictObject({
            endpoint: checked(endpointTemplateProblem).describe("Endpoint template the rules are scoped to."),
            rules: z.array(expression).min(1, { error: "needs at least one expression" }).describe("Expressions evaluated on this endpoint only."),
          }),
        ],
        { error: (iss) => `expected an expression such as "p99 < 250ms" or { endpoint, rules: [...] }, got ${describeValue(iss.input)}` },
      ),
    )
    .transform((items): Array<{ expression: string; endpoint?: string }> =>
      items.flatMap((item) => (typeof item === "string" ? [{ expression: item }] : item.rules.map((rule) => ({ expression: rule, endpoint: item.endpoint })))),
    );

const compare = z
  .strictObject({
    ignore: z
      .array(checked(ignorePathProblem))
      .prefault([])
      .describe('JSONPath patterns of body fields not compared: $, .name, [\'name\'], [n], [*]. e.g. ["$.model_version", "$.predictions[*].id"]'),
    tolerance,
    headers: z
      .array(z.string().min(1, { error: "must not be empty (a header name)" }).transform((h) => h.toLowerCase()))
      .prefault([...DEFAULTS.compareHeaders])
      .describe("Response headers compared between targets (case-insensitive). Default [content-type]."),
    allowUnsafeProduction: z
      .array(checked(unsafeRuleProblem))
      .prefault([])
      .describe(
        'Routes with unsafe methods production may receive: "METHOD /path-glob" (* within a segment, ** across segments; METHOD may be *), or gRPC methods without a safe idempotency_level as "service/method" globs. e.g. ["POST /v1/models/*:predict", "inference.GRPCInferenceService/ModelInfer"]',
      ),
    noise: z
      .strictObject({
        alpha: z
          .number()
          .gt(0, { error: "must be between 0 and 1, exclusive (significance level)" })
          .lt(1, { error: "must be between 0 and 1, exclusive (significance level)" })
          .prefault(DEFAULTS.noise.alpha)
          .describe("Significance level of the candidate-vs-secondary noise test."),
        minEffect: nonNegative
          .prefault(DEFAULTS.noise.minEffect)
          .describe("Smallest difference in disagreement rate counted as a real difference."),
        method: z
          .enum(["mcnemar", "diffy"])
          .prefault(DEFAULTS.noise.method)
          .describe("mcnemar: a one-sided exact test per path with alpha and minEffect; diffy: Diffy's rule (shown only when the candidate's rate exceeds the secondary's by its relative and absolute thresholds)."),
      })
      .prefault({})
      .describe("Statistical noise test against the secondary: a difference the secondary shows as often as the candidate is noise."),
    exemplars: z
      .number()
      .int({ error: "must be a whole number" })
      .min(0, { error: "must be >= 0" })
      .prefault(DEFAULTS.exemplars)
      .describe("Example pairs kept per diff signature."),
    endpoints: z
      .array(checked(endpointTemplateProblem))
      .prefault([])
      .describe('Endpoint templates results are grouped by, tried before the automatic ones (numbers and UUIDs become {id}): "[METHOD ]/path/{name}", e.g. ["POST /v1/models/{model}:predict", "/users/{id}"].'),
    rules: z.array(compareRule).prefault([]).describe("ML-aware comparisons, opt-in per JSON path: label, scores, tensor (KServe v2 outputs), drift."),
    latency: z
      .strictObject({
        confidence: z
          .number()
          .gt(0, { error: "must be between 0 and 1, exclusive" })
          .lt(1, { error: "must be between 0 and 1, exclusive" })
          .prefault(DEFAULTS.latency.confidence)
          .describe("Confidence of the interval for the change in p50, p90, p99 per endpoint."),
        minEffect: z
          .strictObject({
            relative: nonNegative.prefault(DEFAULTS.latency.minEffect.relative).describe("Smallest relative change flagged, e.g. 0.1 (10 %)."),
            absolute: duration.prefault(DEFAULTS.latency.minEffect.absolute).describe("Smallest absolute change flagged, e.g. 2ms."),
          })
          .prefault({})
          .describe("A latency change is flagged only when significant and larger than both floors."),
      })
      .prefault({})
      .describe("Statistical latency comparison per endpoint (candidate against production)."),
  })
  .prefault({})
  .describe("How responses are compared.");

const legacyThresholds = z
  .strictObject({
    maxDiffRate: fraction01("a share of compared pairs")
      .optional()
      .describe("Fail when differing pairs / compared pairs exceeds this, 0..1."),
    maxErrorRate: fraction01("a share of candidate requests")
      .optional()
      .describe("Fail when candidate errors / candidate requests exceeds this, 0..1."),
    maxLatencyRatio: z
      .number()
      .positive({ error: "must be > 0 (candidate p99 / production p99, e.g. 1.2)" })
      .optional()
      .describe("Fail when candidate p99 / production p99 exceeds this, e.g. 1.2."),
  })
  .describe("The older form: maxDiffRate, maxErrorRate, maxLatencyRatio (each the same as an expression).");

const thresholds = z
  .union([scopedExpressions("threshold"), legacyThresholds], {
    error: (iss) => `expected a list of expressions (e.g. ["candidate.p99 < 1.1 * production.p99", "diff.rate < 0.5%"]), got ${describeValue(iss.input)}`,
  })
  .transform((t) => (Array.isArray(t) ? t : legacyExpressions(t)))
  .prefault([])
  .describe('Verdict rules, e.g. ["candidate.p99 < 1.1 * production.p99", "diff.rate < 0.5%", { endpoint: "POST /v1/models/{model}:predict", rules: ["candidate.p90 < 120ms"] }]; a run fails when any fails.');

/** The older keys (and the CLI's --max-* flags) as the expressions they always meant: each fails when its value exceeds the limit. */
export const LEGACY_THRESHOLDS = Object.freeze({
  maxDiffRate: (x: number) => `diff.rate <= ${percent(x)}`,
  maxErrorRate: (x: number) => `candidate.errors.rate <= ${percent(x)}`,
  maxLatencyRatio: (x: number) => `candidate.p99 <= ${x} * production.p99`,
});

function legacyExpressions(t: { maxDiffRate?: number | undefined; maxErrorRate?: number | undefined; maxLatencyRatio?: number | undefined }): Array<{ expression: string; endpoint?: string }> {
  return (Object.keys(LEGACY_THRESHOLDS) as Array<keyof typeof LEGACY_THRESHOLDS>).flatMap((key) => {
    const value = t[key];
    return value === undefined ? [] : [{ expression: LEGACY_THRESHOLDS[key](value) }];
  });
}

/** A fraction as an exact percent literal: 0.005 → "0.5%". */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(12))}%`;
}

const trafficObject = z
  .strictObject({
    file: z
      .string()
      .min(1, { error: "must not be empty (the recording's path)" })
      .describe("The recording: relative to the scenario file's directory (or the working directory when given as a flag)."),
    format: z
      .enum(["auto", "har", "jsonl"])
      .prefault(DEFAULTS.format)
      .describe("Recording format; auto decides by extension and content."),
    redact: z
      .strictObject({
        headers: names("a header name")
          .transform((list) => list.map((h) => h.toLowerCase()))
          .describe("Extra request headers to redact (Authorization and Cookie always are)."),
        query: names("a query parameter name").describe("Extra query parameters to redact."),
      })
      .prefault({})
      .describe("Extra names redacted at ingest, on top of the built-in ones."),
  });

const traffic = z
  .union([z.string().min(1, { error: "must not be empty (the recording's path)" }), trafficObject], {
    error: (iss) => `expected the recording's path or a mapping with file, format and redact, got ${describeValue(iss.input)}`,
  })
  .transform((t) => (typeof t === "string" ? trafficObject.parse({ file: t }) : t))
  .describe("Where the recorded traffic comes from: the recording's path, or { file, format, redact }.");

function documentSchema(load: z.ZodType) {
  return z
    .strictObject({
      $schema: z.string().optional().describe("JSON Schema reference for editors; ignored."),
      name: z
        .string()
        .min(1, { error: "must not be empty" })
        .optional()
        .describe('Run name; default: the file name without extension, or "adhoc".'),
      targets: z
        .strictObject({
          production: target("current version"),
          candidate: target("version under test"),
          secondary: target("second production instance, to measure noise").optional(),
        })
        .describe("The endpoints compared."),
      traffic,
      grpc: z
        .strictObject({
          protos: z
            .array(z.string().min(1, { error: "must not be empty (a .proto file)" }))
            .prefault([])
            .describe("The .proto files that define the services the recording calls, relative to the scenario file. None: the production target's server reflection is asked."),
          importPaths: z
            .array(z.string().min(1, { error: "must not be empty (a directory)" }))
            .prefault([])
            .describe("Directories import statements and relative proto files are looked up in, in order (like protoc's -I), relative to the scenario file."),
        })
        .prefault({})
        .describe("Where the gRPC schema comes from, for recordings with gRPC calls."),
      load: load.optional(),
      compare,
      thresholds,
      abort: scopedExpressions("abort rule")
        .prefault([])
        .describe('Safety rules evaluated live on merged data; when one holds, every agent stops and the run ends aborted, e.g. ["production.errors.rate > 5%"].'),
    })
    .meta({ title: "Parallax scenario", description: "Targets, traffic, load, comparison rules and thresholds of a Parallax run." });
}

/** Validates everything but `load`, which the load-model registry validates. */
export const DOCUMENT = documentSchema(z.unknown());

export type ParsedDocument = z.output<typeof DOCUMENT>;

/** The JSON Schema of a scenario file (draft-07, which editors' YAML support reads best). */
export function scenarioJsonSchema(): object {
  const models = Object.values(LOAD_MODELS).map((m) => m.schema);
  const load = z
    .union(models as [z.ZodType, z.ZodType])
    .describe(
      "Load model: constant { rate, duration }, ramp { startRate, stages }, steps { startRate, stepRate, maxRate, stepDuration, slo }, replay { speed, maxGap } or closed { connections, duration }. Default: constant at 100/s, each recorded request once.",
    );
  return z.toJSONSchema(documentSchema(load), { target: "draft-7", io: "input" });
}
