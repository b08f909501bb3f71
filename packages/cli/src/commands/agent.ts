import { availableParallelism, hostname, loadavg } from "node:os";
import { Agent, createTargetAllowlist } from "@parallax/agent";
import { InfrastructureError, InvalidInputError, isSubjectToken, type Logger } from "@parallax/protocol";
import { collectGarbage } from "../collect-garbage.js";
import { EXIT } from "../exit-codes.js";
import type { Io } from "../io.js";
import { connectNats, type NatsFlags } from "../nats.js";
import { VERSION } from "../version.js";

export interface AgentCommandOptions extends NatsFlags {
  readonly name?: string;
  readonly allowTarget?: string[];
}

/** A long-running agent: serves one run after another until SIGINT/SIGTERM. */
export async function agentCommand(options: AgentCommandOptions, io: Io, logger: Logger, signal: AbortSignal): Promise<number> {
  if (!options.nats) throw new InvalidInputError([{ location: "--nats", message: "required: the NATS server URL, e.g. nats://nats:4222" }]);
  const name = options.name ?? `${hostname()}-${process.pid}`;
  if (!isSubjectToken(name)) throw new InvalidInputError([{ location: "--name", message: `"${name}" may contain only letters, digits, "-" and "_"` }]);
  let allowlist;
  try {
    allowlist = createTargetAllowlist(options.allowTarget ?? []);
  } catch (error) {
    throw new InvalidInputError([{ location: "--allow-target", message: error instanceof Error ? error.message : String(error) }]);
  }
  // An agent the server refuses a subject can never serve a run: say so and stop, rather than
  // log the refusal every heartbeat while coordinators wait for it.
  // The first refusal is the reason (aborting again changes nothing).
  const refusal = new AbortController();
  const bus = await connectNats(options, io.env, `parallax-agent ${name}`, false, logger, (message) => refusal.abort(message));
  await bus.probeReplyInbox();
  const agent = new Agent({
    bus,
    logger,
    id: name,
    name,
    version: VERSION,
    host: hostname(),
    pid: process.pid,
    checkTarget: (url) => allowlist.check(url),
    env: io.env,
    hostLoad: () => (loadavg()[0] ?? 0) / Math.max(1, availableParallelism()),
    cpuUsage: () => process.cpuUsage(),
    collectGarbage,
  });
  agent.start();
  const server = options.nats.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1");
  io.stderr.write(`parallax agent ${name} (v${VERSION}) connected to ${server}; allowed targets: ${allowlist.description}\n`);
  const stop = AbortSignal.any([signal, refusal.signal]);
  await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener("abort", () => resolve(), { once: true })));
  await agent.close();
  await bus.close();
  if (refusal.signal.aborted) {
    const refused = String(refusal.signal.reason);
    // A server that gives each agent its own reply inboxes refuses the default one.
    const hint = /"_INBOX\./.test(refused) && options.natsInboxPrefix === undefined ? `; if the server gives each agent its own inboxes, pass --nats-inbox-prefix (e.g. _INBOX_${name})` : "";
    throw new InfrastructureError(`NATS refused agent ${name}: ${refused}. Its credentials lack the agent role's rights (infra/nats-server.conf, AGENT)${hint}`);
  }
  return EXIT.pass;
}
