import { InfrastructureError, SUBJECTS, decodeMessage, encodeMessage, type Logger } from "@parallax/protocol";
import { EXIT } from "../exit-codes.js";
import type { Io } from "../io.js";
import { connectNats, type NatsFlags } from "../nats.js";

/** How long to listen for agents: a little over one heartbeat period. */
const LISTEN_MS = 1500;

interface Listed {
  id: string;
  name: string;
  version: string;
  state: string;
  run: string;
  host: string;
  load: number | undefined;
}

/** Lists connected agents: asks them to announce themselves and listens for a heartbeat period. */
export async function agentsCommand(options: NatsFlags & { readonly json?: boolean }, io: Io, logger: Logger): Promise<number> {
  // Refused a subject, the list would be silently empty or partial: an error instead.
  let refused: string | undefined;
  const bus = await connectNats(options, io.env, "parallax-agents", false, logger, (message) => (refused ??= message));
  const agents = new Map<string, Listed>();
  const entry = (id: string): Listed => {
    let a = agents.get(id);
    if (!a) agents.set(id, (a = { id, name: id, version: "?", state: "?", run: "", host: "?", load: undefined }));
    return a;
  };
  const subs = [
    bus.subscribe(SUBJECTS.hello, (m) => {
      const d = decodeMessage(m.data);
      if (!d.ok || d.message.type !== "parallax.v1.hello") return;
      Object.assign(entry(d.message.agentId), { name: d.message.name, version: d.message.version, host: d.message.host });
    }),
    bus.subscribe(SUBJECTS.heartbeats, (m) => {
      const d = decodeMessage(m.data);
      if (!d.ok || d.message.type !== "parallax.v1.heartbeat") return;
      const h = d.message;
      const a = entry(h.agentId);
      a.state = h.state;
      a.run = h.runId ?? "";
      if (h.name) a.name = h.name;
      if (h.version) a.version = h.version;
      if (h.host) a.host = h.host;
      if (h.load !== undefined) a.load = h.load;
    }),
  ];
  bus.publish(SUBJECTS.discover, encodeMessage("parallax.v1.discover", { coordinatorId: "parallax-agents" }));
  await new Promise((resolve) => setTimeout(resolve, LISTEN_MS));
  for (const s of subs) s.unsubscribe();
  await bus.close();
  if (refused !== undefined) throw new InfrastructureError(`NATS refused parallax agents: ${refused}. Listing agents takes the coordinator role's rights (infra/nats-server.conf, COORDINATOR)`);
  const list = [...agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(list.map((a) => ({ ...a, run: a.run || null, load: a.load ?? null })), null, 2)}\n`);
    return EXIT.pass;
  }
  if (list.length === 0) {
    io.stdout.write("no agents connected\n");
    return EXIT.pass;
  }
  const rows = [["NAME", "VERSION", "STATE", "RUN", "HOST", "LOAD/CORE"], ...list.map((a) => [a.name, a.version, a.state, a.run || "-", a.host, a.load === undefined ? "?" : a.load.toFixed(2)])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  io.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n");
  return EXIT.pass;
}
