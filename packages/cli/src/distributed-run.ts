import { runCoordinator, type CoordinatorOptions } from "@parallax/coordinator";
import type { RunResult } from "@parallax/protocol";
import type { Io } from "./io.js";
import { connectNats, type NatsFlags } from "./nats.js";

/** The start instant is this far ahead of the start message, for it to reach every agent over the network. */
const DISTRIBUTED_START_DELAY_MS = 1000;

/** The same coordinator as a local run, over NATS, with agents that are `parallax agent` processes anywhere. */
export async function runDistributed(
  nats: NatsFlags,
  io: Io,
  options: Omit<CoordinatorOptions, "bus" | "mode" | "startDelayMs">,
): Promise<RunResult> {
  const bus = await connectNats(nats, io.env, `parallax-coordinator ${options.runId}`, true, options.logger);
  try {
    return await runCoordinator({ ...options, bus, mode: "nats", startDelayMs: DISTRIBUTED_START_DELAY_MS });
  } finally {
    await bus.close();
  }
}
