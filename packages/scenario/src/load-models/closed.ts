// Fixed concurrency (closed model) for raw maximum throughput: each connection sends its next
// request when the previous one answers. autocannon is the engine; there is no schedule.
import { z } from "zod";
import { formatDuration } from "../duration.js";
import { positiveDuration } from "../fields.js";
import { NO_PHASES, type LoadModel } from "./plan.js";

export interface ClosedLoadSpec {
  readonly model: "closed";
  readonly connections: number;
  readonly durationMs: number;
}

export const closed: LoadModel<ClosedLoadSpec> = {
  name: "closed",
  implies: ["connections"],
  schema: z
    .strictObject({
      model: z.literal("closed").optional().describe("Fixed concurrency for maximum throughput. Inferred when `connections` is set."),
      connections: z
        .number()
        .int({ error: "must be a whole number (concurrent connections per target)" })
        .min(1, { error: "must be >= 1 (concurrent connections per target)" })
        .max(100_000, { error: "must be <= 100000" })
        .describe("Concurrent connections per target, split exactly across agents."),
      duration: positiveDuration("a closed run lasts a fixed time, e.g. 30s").describe("How long to run, e.g. 30s."),
    })
    .describe("Closed model: fixed concurrency, as fast as the targets answer.")
    .transform((d): ClosedLoadSpec => ({ model: "closed", connections: d.connections, durationMs: d.duration })),
  toDocument: (spec) => ({ model: "closed", connections: spec.connections, duration: formatDuration(spec.durationMs) }),
  plan: (spec) => ({
    kind: "closed",
    connections: spec.connections,
    durationMs: spec.durationMs,
    description: `closed ${spec.connections} connection(s) per target for ${formatDuration(spec.durationMs)}`,
    total: 0,
    phases: NO_PHASES,
  }),
};
