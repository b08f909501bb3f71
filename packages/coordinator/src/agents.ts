// Finding agents and preparing them: shared by runs and shadow jobs.
import { performance } from "node:perf_hooks";
import { InfrastructureError, SUBJECTS, decodeExpected, encodeMessage, type Clock, type Payload } from "@parallax/protocol";
import type { Segment } from "@parallax/scenario";
import { RequestTimeoutError, type Bus } from "@parallax/transport";
import { delay } from "./delay.js";
import type { AgentRegistry, KnownAgent } from "./registry.js";

const PREPARE_RETRY_MS = 250;
const AGENT_POLL_MS = 50;

/**
 * Asks every agent to introduce itself, then waits until `wanted` are available. At the
 * deadline, `minimum` (default: all of them) is enough; fewer fails with every agent that was
 * heard from and why it could not take part.
 */
export async function waitForAgents(
  bus: Bus,
  registry: AgentRegistry,
  clock: Clock,
  wanted: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  minimum = wanted,
): Promise<KnownAgent[]> {
  const deadline = clock.now() + timeoutMs;
  bus.publish(SUBJECTS.discover, encodeMessage("parallax.v1.discover", { coordinatorId: "coordinator" }));
  for (;;) {
    const available = registry.available(clock.now());
    const enough = available.length >= wanted || (clock.now() >= deadline && available.length >= minimum);
    if (enough) return available.sort((a, b) => a.id.localeCompare(b.id)).slice(0, wanted);
    if (signal?.aborted) throw new InfrastructureError("interrupted while waiting for agents");
    if (clock.now() >= deadline) {
      const others = registry.all().filter((a) => !available.includes(a));
      const why = others.map((a) => `${a.name}: ${a.incompatible ?? `${a.state}${a.runId ? ` in run ${a.runId}` : ""}`}`);
      throw new InfrastructureError(
        `only ${available.length} of ${wanted} agent(s) available after ${timeoutMs} ms` + (why.length ? ` (not available: ${why.join("; ")})` : ""),
      );
    }
    await delay(AGENT_POLL_MS);
  }
}

export interface PrepareParams {
  readonly runId: string;
  readonly epoch: number;
  readonly key: string;
  readonly digest: string;
  readonly size: number;
  readonly leaseMs: number;
  readonly timeoutMs: number;
  /** A shadow job instead of a load plan. */
  readonly shadow?: Payload<"parallax.v1.prepare">["shadow"];
}

/** Prepares one agent: undefined once it is ready, else why it is not (refused, silent, broken reply). */
export async function prepareAgent(bus: Bus, agent: KnownAgent, segment: Segment, p: PrepareParams): Promise<string | undefined> {
  const request = encodeMessage("parallax.v1.prepare", {
    runId: p.runId,
    epoch: p.epoch,
    agentId: agent.id,
    bundle: { key: p.key, digest: p.digest, size: p.size },
    segment,
    leaseMs: p.leaseMs,
    ...(p.shadow === undefined ? {} : { shadow: p.shadow }),
  });
  const deadline = performance.now() + p.timeoutMs;
  // Asked again while it cannot be reached (a bus hiccup); an agent answers ready again for
  // the same run and epoch, so asking twice is harmless.
  for (;;) {
    try {
      const left = Math.max(1, deadline - performance.now());
      const reply = decodeExpected(await bus.request(SUBJECTS.agentControl(agent.id), request, { timeoutMs: left }), "parallax.v1.ready", "parallax.v1.refused");
      return reply.type === "parallax.v1.refused" ? `agent ${agent.name} refused: ${reply.reason}` : undefined;
    } catch (error) {
      if (error instanceof RequestTimeoutError && performance.now() + PREPARE_RETRY_MS < deadline) {
        await delay(PREPARE_RETRY_MS);
        continue;
      }
      return error instanceof RequestTimeoutError ? `agent ${agent.name} did not become ready within ${p.timeoutMs} ms (${error.message})` : `agent ${agent.name}: ${String(error)}`;
    }
  }
}

/** Every agent prepares in parallel; one refusal or silence fails the run, naming each agent and why. */
export async function prepareAll(bus: Bus, agents: readonly KnownAgent[], segments: ReadonlyMap<string, Segment>, p: PrepareParams): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    agents.map(async (agent) => {
      const failure = await prepareAgent(bus, agent, segments.get(agent.id) as Segment, p);
      if (failure !== undefined) failures.push(failure);
    }),
  );
  if (failures.length) {
    bus.publish(SUBJECTS.runControl(p.runId), encodeMessage("parallax.v1.stop", { runId: p.runId, epoch: p.epoch, reason: "prepare failed" }));
    throw new InfrastructureError(failures.join("\n"));
  }
}
