// The metrics threshold and abort expressions may read: a registry of name pattern → dimension and meaning.
import { TARGET_NAMES, type TargetName } from "@parallax/protocol";
import { closest } from "../suggest.js";

/**
 * What a metric measures, which decides what it may be compared with and how its value is given:
 * `duration` in milliseconds, `ratio` as a fraction (0.5% is 0.005), `count` of events, `rate` per
 * second, `number` a plain dimensionless figure (scores, drift statistics, quotients).
 */
export type MetricDimension = "duration" | "ratio" | "count" | "rate" | "number";

export interface MetricInfo {
  readonly dimension: MetricDimension;
  readonly description: string;
}

/** Name pattern (`<target>.p99`, `diff.rate`) → what it is. A comparator adds its own by spreading this. */
export type MetricCatalogue = Readonly<Record<string, MetricInfo>>;

/** Stands for `production`, `candidate` or `secondary` in a catalogue pattern. */
export const TARGET_PLACEHOLDER = "<target>";

/** The target of a metric written without one: `p99` means `candidate.p99`. */
export const DEFAULT_TARGET: TargetName = "candidate";

/** Latency quantiles, canonical spelling; `p99.9` is read as `p999`. */
export const QUANTILES = ["p50", "p90", "p95", "p99", "p999"] as const;

const latency = (description: string): MetricInfo => ({ dimension: "duration", description });

export const METRIC_CATALOGUE: MetricCatalogue = Object.freeze({
  "<target>.p50": latency("median latency"),
  "<target>.p90": latency("90th percentile latency"),
  "<target>.p95": latency("95th percentile latency"),
  "<target>.p99": latency("99th percentile latency"),
  "<target>.p999": latency("99.9th percentile latency (also written p99.9)"),
  "<target>.max": latency("slowest response"),
  "<target>.mean": latency("mean latency"),
  "<target>.min": latency("fastest response"),
  "<target>.requests": { dimension: "count", description: "requests sent to the target" },
  "<target>.responses": { dimension: "count", description: "responses received, any status" },
  "<target>.errors": { dimension: "count", description: "transport failures plus 5xx responses" },
  "<target>.errors.rate": { dimension: "ratio", description: "errors / requests" },
  "<target>.rps": { dimension: "rate", description: "requests sent per second over the run" },
  "diff.rate": { dimension: "ratio", description: "differing pairs / compared pairs (noise excluded)" },
  "diff.count": { dimension: "count", description: "compared pairs that differ (noise excluded)" },
  "diff.compared": { dimension: "count", description: "pairs compared" },
  "label.agreement": { dimension: "ratio", description: "share of compared pairs whose predicted label is the same" },
  "scores.maxAbsDiff": { dimension: "number", description: "largest absolute difference between paired scores" },
  "scores.meanAbsDiff": { dimension: "number", description: "mean absolute difference between paired scores" },
  "scores.topkOverlap": { dimension: "ratio", description: "mean overlap of the top-k labels" },
  "tensor.mismatchRate": { dimension: "ratio", description: "share of outputs that differ in shape, datatype, values or presence" },
  "tensor.elementMismatchRate": { dimension: "ratio", description: "share of compared tensor elements outside tolerance" },
  "drift.psi": { dimension: "number", description: "population stability index of candidate against production scores" },
  "drift.ks": { dimension: "number", description: "Kolmogorov-Smirnov statistic of candidate against production scores" },
});

const TARGETS: ReadonlySet<string> = new Set(TARGET_NAMES);
const TARGET_PREFIX = `${TARGET_PLACEHOLDER}.`;

/**
 * The canonical name of a metric as written: the default target is added when the first segment
 * is neither a target nor a namespace of the catalogue (`p99` → `candidate.p99`, but `diff.rate`
 * stays), and a quantile with a decimal (`p99.9`) loses its dot (`p999`).
 */
export function canonicalMetricName(written: string, catalogue: MetricCatalogue = METRIC_CATALOGUE): string {
  const segments: string[] = [];
  for (const segment of written.split(".")) {
    const previous = segments.at(-1);
    if (previous !== undefined && /^p\d+$/.test(previous) && /^\d+$/.test(segment)) segments[segments.length - 1] = previous + segment;
    else segments.push(segment);
  }
  const [first = ""] = segments;
  const scoped = TARGETS.has(first) || namespaces(catalogue).has(first);
  return (scoped ? segments : [DEFAULT_TARGET, ...segments]).join(".");
}

/** What a canonical metric name is, or `undefined` when the catalogue does not know it. */
export function lookupMetric(name: string, catalogue: MetricCatalogue = METRIC_CATALOGUE): MetricInfo | undefined {
  const dot = name.indexOf(".");
  const first = dot < 0 ? name : name.slice(0, dot);
  if (first === TARGET_PLACEHOLDER || (dot < 0 && TARGETS.has(first))) return undefined;
  const pattern = TARGETS.has(first) ? TARGET_PREFIX + name.slice(dot + 1) : name;
  return Object.hasOwn(catalogue, pattern) ? catalogue[pattern] : undefined;
}

/** Every name the catalogue accepts, targets expanded: for suggestions and help text. */
export function knownMetricNames(catalogue: MetricCatalogue = METRIC_CATALOGUE): string[] {
  return Object.keys(catalogue).flatMap((pattern) =>
    pattern.startsWith(TARGET_PREFIX) ? TARGET_NAMES.map((t) => t + pattern.slice(TARGET_PLACEHOLDER.length)) : [pattern],
  );
}

/** The hint after `unknown metric "…"`: the quantiles, a near name, or what the namespace holds. */
export function unknownMetricHint(written: string, name: string, catalogue: MetricCatalogue = METRIC_CATALOGUE): string {
  const [first = ""] = written.split(".");
  const last = name.slice(name.lastIndexOf(".") + 1);
  const quantiles: readonly string[] = QUANTILES;
  if (TARGETS.has(name.split(".")[0] ?? "") && /^p\d+$/.test(last) && !quantiles.includes(last)) return `known quantiles: ${QUANTILES.join(", ")}`;
  const known = knownMetricNames(catalogue);
  const short = Object.keys(catalogue).filter((p) => p.startsWith(TARGET_PREFIX)).map((p) => p.slice(TARGET_PREFIX.length));
  const rest = written.slice(first.length + 1);
  if (TARGETS.has(first)) {
    // Only the part after a known prefix is compared: `secondary.` would make anything look near.
    const near = closest(rest, short);
    return near !== undefined ? `did you mean "${first}.${near}"?` : `${first} metrics: ${short.join(", ")}`;
  }
  const inNamespace = known.filter((k) => k.startsWith(`${first}.`));
  if (inNamespace.length > 0) {
    const near = closest(rest, inNamespace.map((k) => k.slice(first.length + 1)));
    return near !== undefined ? `did you mean "${first}.${near}"?` : `${first} metrics: ${inNamespace.join(", ")}`;
  }
  // A name written without a target is compared with the short forms too (`erors.rate`).
  const near = closest(written, [...known, ...short]);
  if (near !== undefined) return `did you mean "${near}"?`;
  if (!written.includes(".")) return `a metric without a target is the ${DEFAULT_TARGET}'s: ${short.join(", ")}`;
  return `a metric is <target>.<name> with target ${TARGET_NAMES.join(", ")}, or one of ${[...namespaces(catalogue)].map((n) => `${n}.*`).join(", ")}`;
}

/** First segments of the catalogue's patterns that are not targets: `diff`, `label`, `scores`, ... */
function namespaces(catalogue: MetricCatalogue): Set<string> {
  const out = new Set<string>();
  for (const pattern of Object.keys(catalogue)) if (!pattern.startsWith(TARGET_PREFIX)) out.add(pattern.split(".")[0] ?? pattern);
  return out;
}
