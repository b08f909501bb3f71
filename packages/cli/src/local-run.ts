import { hostname } from "node:os";
import { Agent } from "@parallax/agent";
import { runCoordinator, type CoordinatorOptions } from "@parallax/coordinator";
import type { RunResult } from "@parallax/protocol";
import { MemoryBus } from "@parallax/transport";
import { collectGarbage } from "./collect-garbage.js";
import { VERSION } from "./version.js";

/**
 * The embedded default: coordinator and `agents` agents in this process over a `MemoryBus`,
 * the same code paths a distributed run takes over NATS.
 */
export async function runLocal(options: Omit<CoordinatorOptions, "bus" | "mode" | "agentsTimeoutMs" | "onAgentLoss">): Promise<RunResult> {
  const bus = new MemoryBus();
  const agents = Array.from(
    { length: options.agents },
    (_, k) =>
      new Agent({
        bus,
        logger: options.logger,
        id: `local-${k + 1}`,
        name: `local-${k + 1}`,
        version: VERSION,
        host: hostname(),
        pid: process.pid,
        env: process.env,
        // One process hosts every local agent: each reports the process's CPU, which is the generator's.
        cpuUsage: () => process.cpuUsage(),
        collectGarbage,
      }),
  );
  for (const agent of agents) agent.start();
  try {
    return await runCoordinator({ ...options, bus, mode: "local", agentsTimeoutMs: 10_000 });
  } finally {
    await Promise.all(agents.map((a) => a.close()));
    await bus.close();
  }
}
