import type { TargetName } from "./targets.js";

/**
 * How a difference shows: `status` (status codes differ; bodies are then not compared),
 * `changed` (same JSON type, other value), `type` (JSON type differs), `added` / `removed`
 * (the candidate has a path production lacks, or lacks one it has), `body` (non-JSON bodies
 * differ byte-wise), `header` (a compared header differs).
 *
 * The ML-aware comparisons (`compare.rules`, see @parallax/diff) add, at the rule's path:
 * `label` (a label differs), `label-count` (a different number of labels), `scores` (scores out
 * of tolerance), `scores-shape` (values that cannot be compared elementwise), `scores-count` (a
 * different number of score values), `tensor-shape` / `tensor-dtype` / `tensor-value` (an output
 * tensor's shape, datatype or elements differ), `tensor-missing` / `tensor-extra` (an output only
 * production / only the candidate has).
 */
export const STRUCTURAL_DIFF_KINDS = ["status", "changed", "type", "added", "removed", "body", "header"] as const;
export const ML_DIFF_KINDS = ["label", "label-count", "scores", "scores-shape", "scores-count", "tensor-shape", "tensor-dtype", "tensor-value", "tensor-missing", "tensor-extra"] as const;
export const DIFF_KINDS = [...STRUCTURAL_DIFF_KINDS, ...ML_DIFF_KINDS] as const;
export type MlDiffKind = (typeof ML_DIFF_KINDS)[number];
export type DiffKind = (typeof DIFF_KINDS)[number];

/** `(endpoint template, JSON path with [*] for indices, kind)`: what diffs are grouped and counted by. */
export interface Signature {
  readonly endpoint: string;
  readonly path: string;
  readonly kind: DiffKind;
}

export interface ExemplarMessage {
  readonly status?: number;
  /** Transport failure, when there was no response. */
  readonly error?: string;
  readonly headers?: Record<string, string>;
  /** UTF-8 text, or `base64:` followed by base64 for binary bodies. */
  readonly body?: string;
  readonly bodyTruncated?: boolean;
}

/** One pair kept as an example of a signature: redacted request, every response, the differing paths marked. */
export interface Exemplar {
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
    readonly bodyTruncated?: boolean;
  };
  readonly responses: Partial<Record<TargetName, ExemplarMessage>>;
  /** Concrete paths (with indices) where production and candidate differ, with both values. */
  readonly differences: ReadonlyArray<{ readonly path: string; readonly kind: DiffKind; readonly production?: unknown; readonly candidate?: unknown }>;
}

/** Counts for one signature. `candidate`: pairs where production↔candidate differ at it; `secondary`: triples where production↔secondary do; `both`: triples where both do. */
export interface SignatureTally {
  readonly endpoint: string;
  readonly path: string;
  readonly kind: DiffKind;
  candidate: number;
  secondary: number;
  both: number;
  /** Reservoir sample of pairs showing this signature against the candidate. */
  exemplars: Exemplar[];
  /** How many pairs were offered to the reservoir (its weight when reservoirs merge). */
  exemplarsSeen: number;
}

export interface EndpointTally {
  /** Pairs compared (every target answered). */
  compared: number;
  /** Of those, pairs that also had a secondary response (the noise test's sample size). */
  comparedWithSecondary: number;
}

/**
 * The accumulator state of one ML-aware comparison: plain JSON whose shape depends on `kind`
 * (`label`, `scores`, `tensor`, `drift`; see @parallax/diff). States received from the wire are
 * validated by @parallax/diff before they are merged.
 */
export interface ComparisonStateJson {
  readonly kind: string;
}

/** One ML-aware comparison rule at one endpoint: production↔candidate, and production↔secondary when there is one. */
export interface ComparisonTally {
  /** Index of the rule in the scenario's `compare.rules`. */
  readonly rule: number;
  readonly endpoint: string;
  candidate: ComparisonStateJson;
  /** The same rule observed on production against the secondary: the noise baseline. */
  secondary?: ComparisonStateJson;
}

/**
 * Mergeable comparison counts (sums, plus reservoirs). Whether a pair counts as `different` or
 * `noise` is decided only after noise is known, from `combos`: the exact set of candidate
 * signatures each differing pair showed.
 */
export interface DiffTally {
  compared: number;
  identical: number;
  notComparable: number;
  notComparableReasons: Record<string, number>;
  endpoints: Record<string, EndpointTally>;
  /** Keyed by `signatureKey`. */
  signatures: Record<string, SignatureTally>;
  /** Key: the sorted signature keys of one pair joined by "\n"; value: pairs with exactly that set. */
  combos: Record<string, number>;
  /** Pairs whose signatures did not fit the bounded maps; they count as different. */
  overflowPairs: number;
  /** ML-aware comparison states, keyed by `${rule index}\u001f${endpoint}`. */
  comparisons: Record<string, ComparisonTally>;
  /** Comparison states a merge refused (malformed, or of no known rule); absent while none was. */
  rejectedStates?: number;
}

export function signatureKey(s: Signature): string {
  return `${s.endpoint}\u001f${s.path}\u001f${s.kind}`;
}
