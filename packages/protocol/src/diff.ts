import type { TargetName } from "./targets.js";

/**
 * How a difference shows: `status` (status codes differ; bodies are then not compared),
 * `changed` (same JSON type, other value), `type` (JSON type differs), `added` / `removed`
 * (the candidate has a path production lacks, or lacks one it has), `body` (non-JSON bodies
 * differ byte-wise), `header` (a compared header differs).
 */
export type DiffKind = "status" | "changed" | "type" | "added" | "removed" | "body" | "header";
export const DIFF_KINDS: readonly DiffKind[] = ["status", "changed", "type", "added", "removed", "body", "header"];

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
}

export function signatureKey(s: Signature): string {
  return `${s.endpoint}\u001f${s.path}\u001f${s.kind}`;
}
