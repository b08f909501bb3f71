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
  /** From the intended send time to the end of the response body (response time: what a user waits). */
  readonly latencyMs: LatencySummaryMs;
  /** HdrHistogram V2 compressed, base64, microseconds; one value per response. */
  readonly histogram: string;
  /** From the actual send to the end of the response body (service time: what the target took). */
  readonly serviceTimeMs: LatencySummaryMs;
  readonly serviceHistogram: string;
  /** Responses per second over the run's measured time. */
  readonly throughputRps: number;
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

export type RunMode = "local" | "nats" | "shadow";
/** The load models a run can use (the scenario package's registry; protocol imports nothing of ours). */
export type LoadModelName = "constant" | "ramp" | "steps" | "replay" | "closed";
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
  /** How the load generator itself fared; absent for agents that did not report it. */
  readonly generator?: GeneratorHealth;
}

export interface PercentilesMs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface GeneratorHealth {
  /** How far sends left behind their intended instant. */
  readonly schedulerLagMs: PercentilesMs;
  /** How late a 10 ms timer ran on the agent's event loop. */
  readonly eventLoopDelayMs: PercentilesMs;
  /** CPU time over wall time of the agent's process (1 = one core), mean and busiest second; absent when not measured. */
  readonly cpu?: { readonly mean: number; readonly peak: number };
  /** Sends more than 10 ms late. */
  readonly late: number;
  /** Scheduled sends never made (the run was stopped or the agent lost before their time came). */
  readonly dropped: number;
  /** The generator, not the target, limited the run: its latency figures are not trustworthy. */
  readonly bottleneck: boolean;
  readonly reasons: readonly string[];
}

export interface RunEvent {
  readonly at: string;
  readonly type: string;
  readonly message: string;
  readonly agentId?: string;
}

/** One threshold of the verdict (`candidate.p99 < 1.1 * production.p99`), as evaluated on the whole run. */
export interface ThresholdResult {
  /** As written in the scenario or on the command line. */
  readonly expression: string;
  /** The endpoint template it is scoped to; absent: the whole run. */
  readonly endpoint?: string;
  /** The left side (ms for durations, a fraction for rates); null when it could not be evaluated. */
  readonly observed: number | null;
  /** The right side, in the same unit. */
  readonly limit: number | null;
  /** A threshold that could not be evaluated (a metric not measured) fails: an unmeasured gate is not a pass. */
  readonly pass: boolean;
  /** `duration` values are in ms; `ratio` values are fractions (0.01 = 1 %). */
  readonly dimension: "duration" | "ratio" | "count" | "rate" | "number";
  /** Why it could not be evaluated. */
  readonly reason?: string;
}

/** The candidate's latency against production's at one quantile of one endpoint. */
export interface QuantileComparison {
  readonly quantile: "p50" | "p90" | "p99";
  readonly productionMs: number;
  readonly candidateMs: number;
  /** candidate − production. */
  readonly deltaMs: number;
  /** deltaMs / productionMs (null when production's is 0). */
  readonly relative: number | null;
  /** Confidence interval of deltaMs. */
  readonly intervalMs: readonly [number, number];
  /** The interval excludes zero. */
  readonly significant: boolean;
  /** Significant, slower, and larger than the minimum effect. */
  readonly regression: boolean;
  /** Significant, faster, and larger than the minimum effect. */
  readonly improvement: boolean;
}

export interface LatencyComparison {
  /** Responses behind each side. */
  readonly n: { readonly production: number; readonly candidate: number };
  readonly confidence: number;
  /** Smallest change that counts: both the relative and the absolute floor must be exceeded. */
  readonly minEffect: { readonly relative: number; readonly absoluteMs: number };
  readonly method: string;
  readonly quantiles: readonly QuantileComparison[];
  readonly regression: boolean;
}

/** Requests, errors and latency of one target at one endpoint template. */
export interface EndpointTargetResult {
  readonly requests: number;
  readonly responses: number;
  readonly errors: number;
  readonly latencyMs: LatencySummaryMs;
  /** Of latencyMs: HdrHistogram V2 compressed, base64, microseconds (as `targets.*.histogram`), for histograms per endpoint (/metrics). */
  readonly histogram?: string;
}

export interface EndpointResult {
  /** Template, e.g. `POST /v1/models/{model}:predict`. */
  readonly endpoint: string;
  readonly targets: Partial<Record<TargetName, EndpointTargetResult>>;
  /** Compared pairs of this endpoint, how many differ (noise excluded), and that share. */
  readonly diff: { readonly compared: number; readonly different: number; readonly rate: number };
  /** Absent when either side has no responses. */
  readonly latency?: LatencyComparison;
}

/**
 * One ML-aware comparison of one endpoint (`compare.rules`), production against candidate. The
 * fields beyond these depend on the kind (label: agreed, production/candidate label counts,
 * lengthMismatches; scores: maxAbsDiff, meanAbsDiff, topK, topKOverlap, outOfTolerance; tensor:
 * shapeMismatches, dtypeMismatches, valueMismatches, elementsCompared, elementsMismatched,
 * maxAbsDiff; drift: production/candidate { count, mean }, psi, ks). `secondary`: the same
 * figures for production against the secondary (the noise baseline), when there is one.
 */
export interface ComparisonReport {
  readonly endpoint: string;
  readonly path: string;
  readonly kind: "label" | "scores" | "tensor" | "drift";
  readonly compared?: number;
  /** label: share of compared labels that agree. */
  readonly agreement?: number | null;
  /** label: production label → candidate label → count. */
  readonly confusion?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly secondary?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface VerdictCheck {
  readonly name: string;
  readonly observed: number;
  readonly limit: number;
  readonly pass: boolean;
}

/** A capacity step's figures for one target. */
export interface CapacityStepTarget {
  readonly requests: number;
  readonly responses: number;
  readonly errors: number;
}

export interface CapacityStep {
  readonly offeredRps: number;
  /** False for the step the run was stopped in: it is reported but does not count for the knee. */
  readonly complete: boolean;
  readonly durationMs: number;
  readonly achievedRps: Partial<Record<TargetName, number>>;
  readonly latencyMs: Partial<Record<TargetName, LatencySummaryMs>>;
  readonly errorRate: Partial<Record<TargetName, number>>;
  readonly sloMet: Partial<Record<TargetName, boolean>>;
  /** Mean requests in flight (Little's law: achieved rate × mean latency). */
  readonly concurrency: Partial<Record<TargetName, number>>;
  readonly counts: Partial<Record<TargetName, CapacityStepTarget>>;
}

export interface UslResult {
  readonly sigma: number;
  readonly kappa: number;
  readonly lambda: number;
  /** The fit's highest throughput: at the peak concurrency, or the ceiling λ/σ when κ = 0; null when σ = κ = 0 (no limit seen). */
  readonly peakRps: number | null;
  /** null when κ = 0 (throughput never falls, so there is no peak). */
  readonly peakConcurrency: number | null;
  readonly r2: number;
  readonly points: number;
}

export interface CapacityResult {
  readonly slo: { readonly p99Ms?: number; readonly errorRate?: number };
  readonly steps: readonly CapacityStep[];
  /** The highest offered rate whose step met the SLO (before the first complete step that did not). */
  readonly knee: Partial<Record<TargetName, number | null>> & { readonly production: number | null; readonly candidate: number | null };
  /**
   * True for a target that met the SLO at every complete step: its knee is the highest rate tried,
   * so its capacity is at least that (raise --max-rate to find it).
   */
  readonly kneeAtLeast: Partial<Record<TargetName, boolean>>;
  /**
   * candidate knee / production knee; a bound when one knee is (at most when production's is, at
   * least when the candidate's is); null when either knee is null or both are lower bounds.
   */
  readonly ratio: number | null;
  readonly usl: Partial<Record<TargetName, UslResult | null>>;
  /** Why the step run ended: every step ran, every target broke its SLO, or the run was interrupted or aborted. */
  readonly stopped: "all-steps" | "slo-broken" | "interrupted";
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
    readonly loadModel: LoadModelName;
    /** Requests the plan scheduled (each goes to every target). */
    readonly planned: number;
    readonly agents: readonly AgentResult[];
    readonly events: readonly RunEvent[];
  };
  readonly targets: { readonly production: TargetResult; readonly candidate: TargetResult } & Partial<Record<"secondary", TargetResult>>;
  readonly diff: DiffSummary;
  readonly verdict: {
    readonly pass: boolean;
    readonly reasons: readonly string[];
    readonly checks: readonly VerdictCheck[];
    /** What makes figures less trustworthy without failing the run (e.g. the generator was the bottleneck). */
    readonly warnings: readonly string[];
    /** Every threshold (scenario `thresholds:`, `--threshold`), evaluated on the whole run. */
    readonly thresholds: readonly ThresholdResult[];
  };
  /** Per endpoint template: each target's counts and latency, diffs, and the latency comparison. */
  readonly endpoints: readonly EndpointResult[];
  /** ML-aware comparisons (`compare.rules`), per endpoint and rule. */
  readonly comparisons: readonly ComparisonReport[];
  readonly skipped: { readonly count: number; readonly reasons: Record<string, number> };
  /** Step (capacity) runs only. */
  readonly capacity?: CapacityResult;
  /** `parallax shadow` only: where the exchanges came from and what became of each. */
  readonly shadow?: ShadowResult;
}

/**
 * A continuous shadow comparison's stream accounting, for the whole run (report.json) or one
 * window (windows/<start>.json). Every exchange taken from the stream is counted once in exactly
 * one of compared, heldBack, sampledOut or malformed; redeliveries of exchanges already counted
 * are `duplicates`, counted nowhere else.
 */
export interface ShadowResult {
  /** The traffic stream (`--stream`) and the durable consumer the agents share. */
  readonly stream: string;
  readonly durable: string;
  /** Where each target's latency was measured: production's by the tap (arrival to the end of its answer), the others' by the agent that sent the request. */
  readonly measuredAt: { readonly production: "tap"; readonly candidate: "agent"; readonly secondary?: "agent" };
  /** Compared fraction (`--sample`), 1 when every exchange is compared. */
  readonly sample: number;
  /** The window this result covers; the whole run for report.json. */
  readonly window: { readonly from: string; readonly to: string; readonly lengthMs: number };
  /** Distinct exchanges taken from the stream and counted. */
  readonly received: number;
  /** Sent to the candidate (and secondary) and compared with production's captured answer. */
  readonly compared: number;
  /** Not sent: unsafe for the candidate and secondary without an allowance (see `skipped`). */
  readonly heldBack: number;
  readonly sampledOut: number;
  readonly malformed: number;
  /** Deliveries of an exchange after the first (an agent died or stalled before acking). */
  readonly redelivered: number;
  /** Redeliveries of exchanges already counted: acked and not counted again. */
  readonly duplicates: number;
  /** What the agents have not consumed yet, when the result was written: stored and undelivered, delivered and unacked. */
  readonly backlog: { readonly pending: number; readonly inFlight: number };
  /** Threshold state changes so far (report.json), or in the window: when a threshold started or stopped holding. */
  readonly events: readonly ShadowThresholdEvent[];
}

export interface ShadowThresholdEvent {
  readonly at: string;
  /** The window whose evaluation changed state (its start). */
  readonly window: string;
  readonly expression: string;
  readonly endpoint?: string;
  readonly state: "pass" | "fail";
  readonly observed: number | null;
  readonly limit: number | null;
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
