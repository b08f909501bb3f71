import { runCoordinator, type CoordinatorOptions } from "@parallax/coordinator";
import { InfrastructureError, type RunResult } from "@parallax/protocol";
import { BusUnavailableError } from "@parallax/transport";
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
  } catch (error) {
    // The bus gave up (after its own retries) mid-run: that is infrastructure, not a bug.
    if (error instanceof BusUnavailableError) throw new InfrastructureError(error.message, { cause: error });
    throw error;
  } finally {
    await bus.close();
  }
}
