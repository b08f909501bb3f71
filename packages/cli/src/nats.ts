import type { Command } from "commander";
import type { Logger } from "@parallax/protocol";
import { InfrastructureError, InvalidInputError } from "@parallax/protocol";
import { BusUnavailableError, NatsBus } from "@parallax/transport";

/** The connection flags every NATS-speaking command shares. */
export interface NatsFlags {
  readonly nats?: string;
  readonly natsCreds?: string;
  readonly natsNkey?: string;
  readonly natsToken?: string;
  readonly natsTlsCa?: string;
  readonly natsTlsCert?: string;
  readonly natsTlsKey?: string;
  readonly natsInboxPrefix?: string;
}

export function withNatsFlags(command: Command, required: boolean): Command {
  return command
    .option(`--nats <url>`, required ? "NATS server URL(s), comma-separated (required)" : "run distributed: NATS server URL(s), comma-separated; agents are `parallax agent` processes")
    .option("--nats-creds <file>", "NATS credentials file (JWT and nkey)")
    .option("--nats-nkey <file>", "file holding an nkey seed")
    .option("--nats-token <token>", "NATS token (or PARALLAX_NATS_TOKEN)")
    .option("--nats-tls-ca <file>", "CA certificate for the NATS server")
    .option("--nats-tls-cert <file>", "client certificate for NATS TLS")
    .option("--nats-tls-key <file>", "client key for NATS TLS")
    .option("--nats-inbox-prefix <prefix>", "subject prefix of this client's reply inboxes (default _INBOX), for servers that give each user its own, e.g. _INBOX_a1");
}

export async function connectNats(
  flags: NatsFlags,
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  manageStorage: boolean,
  logger: Logger,
  onRefused?: (message: string) => void,
): Promise<NatsBus> {
  const servers = (flags.nats ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const inboxPrefix = flags.natsInboxPrefix;
  // Tokens joined by dots, no wildcards: replies are addressed to <prefix>.<id>.
  if (inboxPrefix !== undefined && !/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(inboxPrefix)) {
    throw new InvalidInputError([{ location: "--nats-inbox-prefix", message: `"${inboxPrefix}" is not a subject prefix (dot-separated tokens of letters, digits, "_", "-" or "$"; no wildcards)` }]);
  }
  const token = flags.natsToken ?? env["PARALLAX_NATS_TOKEN"];
  const tls = flags.natsTlsCa || flags.natsTlsCert || flags.natsTlsKey
    ? { ...(flags.natsTlsCa ? { ca: flags.natsTlsCa } : {}), ...(flags.natsTlsCert ? { cert: flags.natsTlsCert } : {}), ...(flags.natsTlsKey ? { key: flags.natsTlsKey } : {}) }
    : undefined;
  try {
    return await NatsBus.connect({
      servers,
      name,
      manageStorage,
      logger,
      ...(flags.natsCreds ? { creds: flags.natsCreds } : {}),
      ...(flags.natsNkey ? { nkeySeedFile: flags.natsNkey } : {}),
      ...(token ? { token } : {}),
      ...(tls ? { tls } : {}),
      ...(onRefused ? { onRefused } : {}),
      ...(inboxPrefix ? { inboxPrefix } : {}),
    });
  } catch (error) {
    if (error instanceof BusUnavailableError) throw new InfrastructureError(error.message, { cause: error });
    throw error;
  }
}
