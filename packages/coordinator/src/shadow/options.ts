// What a shadow job is given, its defaults, and the checks of both.
import { DEFAULT_TRAFFIC_STREAM, isSubjectToken, type Clock, type Issue, type Logger, type RunResult, type ShadowThresholdEvent } from "@parallax/protocol";
import type { Scenario } from "@parallax/scenario";
import type { Bus } from "@parallax/transport";

export const SHADOW_DEFAULTS = Object.freeze({
  stream: DEFAULT_TRAFFIC_STREAM,
  /** Every agent of every shadow job on a stream must share one durable (a work queue allows one consumer). */
  durable: "parallax-shadow",
  sample: 1,
  ackWaitMs: 30_000,
  maxInFlight: 64,
  windowMs: 60_000,
  agentsTimeoutMs: 30_000,
  leaseMs: 5000,
  startDelayMs: 250,
});

export interface ShadowCoordinatorOptions {
  readonly bus: Bus;
  readonly logger: Logger;
  /** Windows and events follow `wallNow()`, liveness `now()`. */
  readonly clock?: Clock;
  readonly runId: string;
  /**
   * Resolved. Production's target is a label only (its URL appears in the report): production is
   * never contacted, its answers and latency come from the tap through the stream.
   */
  readonly scenario: Scenario;
  /** For gRPC exchanges: the resolved protos as protobufjs JSON, shipped in the bundle as runs do. */
  readonly protos?: unknown;
  /** The traffic stream the tap publishes to. */
  readonly stream?: string;
  /** The durable consumer all agents share (one work queue: each exchange goes to one agent at a time). */
  readonly durable?: string;
  /** Fraction of exchanges compared, 0 < sample ≤ 1 (decided by exchange id, the same on every agent). */
  readonly sample?: number;
  /** An exchange an agent holds this long without acking is redelivered to another. */
  readonly ackWaitMs?: number;
  /** Exchanges one agent holds at once. */
  readonly maxInFlight?: number;
  /** When set, the traffic stream is created (or its retention updated) before agents are prepared. */
  readonly retainMs?: number;
  /** With `retainMs`: an existing stream keeps its retention (`--retain` was not given). */
  readonly keepRetention?: boolean;
  /** How many agents to enlist; more are enlisted as they appear while fewer are running. */
  readonly agents: number;
  /** How long to wait for `agents` at the start (at least one must be ready by then), and for one to prepare. */
  readonly agentsTimeoutMs?: number;
  /** Length of a window (ms). */
  readonly windowMs?: number;
  /** The coordinator's version: agents of another major version are refused. */
  readonly version?: string;
  readonly leaseMs?: number;
  /** Delay between a start message and the start instant it names. */
  readonly startDelayMs?: number;
  /** Aborting stops the job: agents are told to stop, their final snapshots merged, the last window closed. */
  readonly signal?: AbortSignal;
  /**
   * At each window's close (and once at the end, `final`): the window's result and the cumulative
   * one. The cumulative result is the sum of every window closed so far, so report.json and
   * /metrics rendered from it agree exactly. Awaited; a failure is logged, not fatal.
   */
  readonly onWindow?: (results: ShadowWindowResults) => void | Promise<void>;
  /** A threshold changed state in a window (also logged, and listed in both results' `shadow.events`). */
  readonly onEvent?: (event: ShadowThresholdEvent) => void;
  /** About once a second: live totals, including windows not closed yet. */
  readonly onProgress?: (progress: ShadowProgress) => void;
}

export interface ShadowWindowResults {
  readonly window: RunResult;
  readonly cumulative: RunResult;
  /** The last window: the job has ended and `cumulative` is what runShadowCoordinator returns. */
  readonly final: boolean;
}

/** Live totals since the start, windows not yet closed included (so ahead of the last cumulative result). */
export interface ShadowProgress {
  readonly elapsedMs: number;
  /** Agents enlisted and running now. */
  readonly agents: number;
  readonly received: number;
  readonly compared: number;
  readonly duplicates: number;
  /** Compared pairs with at least one difference (before noise is known). */
  readonly diffs: number;
  /** Candidate errors. */
  readonly errors: number;
}

export type ResolvedShadowOptions = ShadowCoordinatorOptions & {
  readonly [K in keyof typeof SHADOW_DEFAULTS]: (typeof SHADOW_DEFAULTS)[K];
};

export function withShadowDefaults(options: ShadowCoordinatorOptions): ResolvedShadowOptions {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...SHADOW_DEFAULTS, ...set } as ResolvedShadowOptions;
}

/** Every problem with the options, each naming the option. */
export function validateShadowOptions(o: ResolvedShadowOptions): Issue[] {
  const issues: Issue[] = [];
  const positiveInteger = (name: string, value: number) => {
    if (!Number.isSafeInteger(value) || value < 1) issues.push({ location: name, message: `${name} must be a whole number >= 1, got ${value}` });
  };
  if (!isSubjectToken(o.runId)) issues.push({ location: "runId", message: `runId ${JSON.stringify(o.runId)} may contain only letters, digits, "-" and "_"` });
  if (!isSubjectToken(o.stream)) issues.push({ location: "stream", message: `stream ${JSON.stringify(o.stream)} may contain only letters, digits, "-" and "_"` });
  if (!isSubjectToken(o.durable)) issues.push({ location: "durable", message: `durable ${JSON.stringify(o.durable)} may contain only letters, digits, "-" and "_"` });
  if (!(o.sample > 0 && o.sample <= 1)) issues.push({ location: "sample", message: `sample must be > 0 and <= 1, got ${o.sample}` });
  positiveInteger("ackWaitMs", o.ackWaitMs);
  positiveInteger("maxInFlight", o.maxInFlight);
  positiveInteger("agents", o.agents);
  positiveInteger("windowMs", o.windowMs);
  positiveInteger("agentsTimeoutMs", o.agentsTimeoutMs);
  positiveInteger("leaseMs", o.leaseMs);
  if (!Number.isFinite(o.startDelayMs) || o.startDelayMs < 0) issues.push({ location: "startDelayMs", message: `startDelayMs must be >= 0, got ${o.startDelayMs}` });
  if (o.retainMs !== undefined && !(Number.isFinite(o.retainMs) && o.retainMs > 0)) issues.push({ location: "retainMs", message: `retainMs must be > 0, got ${o.retainMs}` });
  return issues;
}
