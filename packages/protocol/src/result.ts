import type { DiffKind, Exemplar } from "./diff.js";
import type { TargetName } from "./targets.js";

export const REPORT_SCHEMA_VERSION = 1 as const;

export interface LatencySummaryMs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  readonly min: number;
}

export interface TargetResult {
  readonly url: string;
  /** Requests sent to this target. */
  readonly requests: number;
  /** Responses received (any status). */
  readonly responses: number;
  /** Transport failures plus 5xx responses. */
  readonly errors: number;
  readonly transportErrors: number;
  /** Transport failures by kind (`timeout`, `ECONNREFUSED`, ...). */
  readonly errorKinds: Record<string, number>;
  readonly statusCodes: Record<string, number>;
  /** From the intended send time to the end of the response body. */
  readonly latencyMs: LatencySummaryMs;
  /** HdrHistogram V2 compressed, base64, microseconds; one value per response. */
  readonly histogram: string;
}

export interface DiffGroup {
  readonly endpoint: string;
  readonly path: string;
  readonly kind: DiffKind;
  /** Compared pairs where production and candidate differ at this signature. */
  readonly count: number;
  /** Share of compared pairs of the endpoint showing it against the candidate. */
  readonly rate: number;
  readonly noise: boolean;
  /** With a secondary: triples where production and secondary differ here, and that share. */
  readonly secondaryCount?: number;
  readonly secondaryRate?: number;
  /** One-sided p-value that the candidate differs here more often than the secondary. */
  readonly pValue?: number;
  readonly examples: readonly Exemplar[];
}

export interface DiffSummary {
  readonly compared: number;
  readonly identical: number;
  readonly different: number;
  readonly noise: number;
  readonly notComparable: number;
  readonly notComparableReasons: Record<string, number>;
  readonly noiseMethod: string;
  readonly groups: readonly DiffGroup[];
}

export type RunMode = "local" | "nats";
export type RunStatus = "completed" | "degraded" | "aborted";
export type AgentEndState = "completed" | "lost" | "refused" | "stopped";

export interface AgentResult {
  readonly id: string;
  readonly state: AgentEndState;
  /** The agent's share, `from:to` as fractions of the request sequence, e.g. `1/3:2/3`. */
  readonly segment: string;
  /** Scheduled requests of its segment (each is sent to every target). */
  readonly planned: number;
  /** Of those, requests it dispatched (or held back as unsafe). */
  readonly requests: number;
  /** Dispatched later than 10 ms after their intended time. */
  readonly late: number;
  readonly maxLagMs: number;
  readonly snapshots: number;
}

export interface RunEvent {
  readonly at: string;
  readonly type: string;
  readonly message: string;
  readonly agentId?: string;
}

export interface VerdictCheck {
  readonly name: string;
  readonly observed: number;
  readonly limit: number;
  readonly pass: boolean;
}

export interface RunResult {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly run: {
    readonly id: string;
    readonly startedAt: string;
    readonly endedAt: string;
    readonly mode: RunMode;
    readonly status: RunStatus;
    readonly scenario: { readonly name: string; readonly file?: string };
    readonly traffic: { readonly file: string; readonly format: string; readonly requests: number };
    /** Human description of the load model, e.g. `constant 1000/s for 2s`. */
    readonly load: string;
    /** Requests the plan scheduled (each goes to every target). */
    readonly planned: number;
    readonly agents: readonly AgentResult[];
    readonly events: readonly RunEvent[];
  };
  readonly targets: { readonly production: TargetResult; readonly candidate: TargetResult } & Partial<Record<"secondary", TargetResult>>;
  readonly diff: DiffSummary;
  readonly verdict: { readonly pass: boolean; readonly reasons: readonly string[]; readonly checks: readonly VerdictCheck[] };
  readonly skipped: { readonly count: number; readonly reasons: Record<string, number> };
}

export type TargetResults = Partial<Record<TargetName, TargetResult>>;

/** Live progress of a run, as the coordinator reports it about once a second. */
export interface Progress {
  readonly elapsedMs: number;
  /** Requests dispatched or held back so far, over all agents. */
  readonly done: number;
  readonly planned: number;
  readonly rps: number;
  /** Candidate errors so far. */
  readonly errors: number;
  /** Compared pairs with at least one difference so far (before noise is known). */
  readonly diffs: number;
}
