import { z } from "zod";
import { DIFF_KINDS, type DiffTally } from "./diff.js";

/** Major version of the wire contract; an agent with another major is refused. */
export const PROTOCOL_VERSION = 1;

const fraction = z.tuple([z.number().int().nonnegative(), z.number().int().positive()]);
/** A rational number `[numerator, denominator]`; segments are pairs of these. */
export type Fraction = z.infer<typeof fraction>;

const counts = z.record(z.string(), z.number());

const diffKind = z.enum(DIFF_KINDS);

const exemplarMessage = z.object({
  status: z.number().optional(),
  error: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  bodyTruncated: z.boolean().optional(),
});

const exemplar = z.object({
  request: z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.string().optional(),
    bodyTruncated: z.boolean().optional(),
  }),
  responses: z.object({ production: exemplarMessage, candidate: exemplarMessage, secondary: exemplarMessage }).partial(),
  differences: z.array(
    z.object({ path: z.string(), kind: diffKind, production: z.unknown().optional(), candidate: z.unknown().optional() }),
  ),
});

const diffTally = z.object({
  compared: z.number(),
  identical: z.number(),
  notComparable: z.number(),
  notComparableReasons: counts,
  endpoints: z.record(z.string(), z.object({ compared: z.number(), comparedWithSecondary: z.number() })),
  signatures: z.record(
    z.string(),
    z.object({
      endpoint: z.string(),
      path: z.string(),
      kind: diffKind,
      candidate: z.number(),
      secondary: z.number(),
      both: z.number(),
      exemplars: z.array(exemplar),
      exemplarsSeen: z.number(),
    }),
  ),
  combos: counts,
  overflowPairs: z.number(),
  /** ML comparison states: plain JSON objects here; @parallax/diff validates each by its kind before merging. */
  comparisons: z.record(
    z.string(),
    z.object({
      rule: z.number().int().nonnegative(),
      endpoint: z.string(),
      candidate: z.record(z.string(), z.unknown()),
      secondary: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  rejectedStates: z.number().optional(),
});

const targetInterval = z.object({
  requests: z.number(),
  responses: z.number(),
  errors: z.number(),
  transportErrors: z.number(),
  errorKinds: counts,
  statusCodes: counts,
  /** Delta histogram of this interval: HdrHistogram V2 compressed base64, microseconds, from the intended send time. */
  histogram: z.string(),
  /** The same responses from the actual send (service time); absent from agents that predate it. */
  service: z.string().optional(),
});

/** One target at one endpoint template, in one interval. */
const endpointInterval = z.object({
  requests: z.number(),
  responses: z.number(),
  errors: z.number(),
  /** Latency from the intended send time (HdrHistogram, base64, µs). */
  histogram: z.string(),
});

/** One step of a capacity run, as far as this interval saw it. */
const phaseInterval = z.object({
  /** Requests whose intended instant fell in the step. */
  requests: z.number(),
  responses: z.number(),
  errors: z.number(),
  /** Responses (any request's) that completed inside the step's window: what the target achieved. */
  completed: z.number(),
  /** Latency from the intended time of the step's requests (HdrHistogram, base64, µs). */
  histogram: z.string(),
  /** Sum of those latencies in µs, for Little's law (mean concurrency = throughput × mean latency). */
  latencySumMicros: z.number(),
});

const targetName = z.enum(["production", "candidate", "secondary"]);

export const MESSAGE_SCHEMAS = {
  "parallax.v1.hello": z.object({
    agentId: z.string(),
    name: z.string(),
    version: z.string(),
    protocol: z.number().int(),
    host: z.string(),
    pid: z.number().int(),
  }),
  /** Coordinator → every agent: announce yourselves (agents answer with hello). */
  "parallax.v1.discover": z.object({ coordinatorId: z.string() }),
  "parallax.v1.heartbeat": z.object({
    agentId: z.string(),
    state: z.string(),
    runId: z.string().optional(),
    epoch: z.number().int().optional(),
    /** For `parallax agents`: who it is and how loaded its host is (1-minute load average per core). */
    name: z.string().optional(),
    version: z.string().optional(),
    host: z.string().optional(),
    load: z.number().optional(),
  }),
  /** Coordinator → agent (request/reply): fetch this bundle and get ready to run this share. */
  "parallax.v1.prepare": z.object({
    runId: z.string(),
    epoch: z.number().int(),
    agentId: z.string(),
    /** Where the bundle is stored (`key`) and what its sha256 must be. */
    bundle: z.object({ key: z.string(), digest: z.string(), size: z.number().int() }),
    segment: z.object({ from: fraction, to: fraction }),
    leaseMs: z.number().int().positive(),
    /**
     * A shadow job instead of a load plan (`parallax shadow`): consume the traffic stream
     * `stream` through the shared durable consumer `durable`, send each captured request to the
     * candidate (and secondary), and compare their answers with production's captured one. The
     * bundle's recording is empty and `segment` is the whole; the job runs until stopped.
     */
    shadow: z
      .object({
        stream: z.string(),
        durable: z.string(),
        /** Fraction of exchanges compared, decided by exchange id (the same on every agent); the rest are acked unread. */
        sample: z.number().gt(0).lte(1),
        /** The consumer's ack wait: a message an agent holds this long without acking is redelivered to another. */
        ackWaitMs: z.number().int().positive(),
        /** Exchanges one agent holds at once (compared or waiting for their snapshot to be stored). */
        maxInFlight: z.number().int().positive(),
      })
      .optional(),
  }),
  /** Agent → coordinator, reply to prepare. */
  "parallax.v1.ready": z.object({
    runId: z.string(),
    epoch: z.number().int(),
    agentId: z.string(),
    planned: z.number().int(),
  }),
  "parallax.v1.refused": z.object({
    runId: z.string(),
    epoch: z.number().int(),
    agentId: z.string(),
    reason: z.string(),
  }),
  /** Coordinator → all agents of a run: one start instant for everyone (wall-clock epoch ms). */
  "parallax.v1.start": z.object({ runId: z.string(), epoch: z.number().int(), startAt: z.number() }),
  "parallax.v1.stop": z.object({ runId: z.string(), epoch: z.number().int(), reason: z.string() }),
  /** Coordinator → agents of a run: still here; renews the agents' lease. */
  "parallax.v1.lease": z.object({ runId: z.string(), epoch: z.number().int() }),
  /** Agent → coordinator through the durable stream, every second and once more at the end (`final`). */
  "parallax.v1.snapshot": z.object({
    runId: z.string(),
    agentId: z.string(),
    epoch: z.number().int(),
    seq: z.number().int().nonnegative(),
    final: z.boolean(),
    /** Requests of the segment dispatched or held back so far (cumulative). */
    done: z.number().int(),
    planned: z.number().int(),
    targets: z.partialRecord(targetName, targetInterval),
    diff: diffTally,
    skipped: counts,
    scheduler: z.object({
      late: z.number(),
      maxLagMs: z.number(),
      /** Sends made in the interval, and their lag behind the intended instant (HdrHistogram, base64, µs). */
      dispatched: z.number().optional(),
      lag: z.string().optional(),
    }),
    /** Where the interval lies, ms after the shared start instant (for interval logs). */
    window: z.object({ fromMs: z.number(), toMs: z.number() }).optional(),
    /** Per endpoint template touched in this interval, per target. */
    endpoints: z.record(z.string(), z.partialRecord(targetName, endpointInterval)).optional(),
    /** Steps of a capacity run touched in this interval, by step index. */
    phases: z.record(z.string(), z.partialRecord(targetName, phaseInterval)).optional(),
    /** How the load generator itself fared: event-loop delay (HdrHistogram, base64, µs) and CPU time used. */
    generator: z.object({ eventLoopDelay: z.string(), cpuMicros: z.number(), wallMs: z.number() }).optional(),
    /**
     * A shadow job's stream accounting for the interval. The exchanges it counted are acked only
     * once this snapshot is stored, so an agent that dies loses nothing; `exchanges` lets the
     * coordinator tell a redelivered exchange it already counted (`parallax.v1.counted-query`).
     */
    shadow: z
      .object({
        /** Ids of the exchanges compared (or held back) in this interval. */
        exchanges: z.array(z.string()),
        /** Messages taken from the stream, whatever became of them. */
        received: z.number().int(),
        /** Acked without comparing: not in the sample. */
        sampledOut: z.number().int(),
        /** Delivered again after an earlier delivery was not acked in time. */
        redelivered: z.number().int(),
        /** Redelivered, but already counted (by this or another agent): acked, not counted again. */
        duplicates: z.number().int(),
        /** Not a captured exchange (foreign or corrupt message): acked and dropped. */
        malformed: z.number().int(),
      })
      .optional(),
  }),
  /** Agent → coordinator (request/reply) of a shadow job: which of these redelivered exchanges were counted already? */
  "parallax.v1.counted-query": z.object({ runId: z.string(), ids: z.array(z.string()) }),
  /** Coordinator → agent, reply: the subset of the ids that a stored snapshot already counted. */
  "parallax.v1.counted": z.object({ runId: z.string(), ids: z.array(z.string()) }),
} as const;

export type MessageType = keyof typeof MESSAGE_SCHEMAS;
/**
 * A snapshot's diff tally is validated by the schema but typed as protocol's `DiffTally`: JSON
 * never carries `undefined`, so the schema's optional fields and `exactOptionalPropertyTypes` agree.
 */
export type Payload<T extends MessageType> = T extends "parallax.v1.snapshot"
  ? Omit<z.infer<(typeof MESSAGE_SCHEMAS)[T]>, "diff"> & { diff: DiffTally }
  : z.infer<(typeof MESSAGE_SCHEMAS)[T]>;
export type Message = { [T in MessageType]: { type: T } & Payload<T> }[MessageType];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

export type Snapshot = Payload<"parallax.v1.snapshot">;
export type TargetInterval = z.infer<typeof targetInterval>;
export type PhaseInterval = z.infer<typeof phaseInterval>;
export type EndpointInterval = z.infer<typeof endpointInterval>;
/** The counters of one target, as agents keep them per interval and the coordinator sums them. */
export type TargetCounts = Omit<TargetInterval, "histogram" | "service">;
