#!/usr/bin/env node
// Makes the credentials infra/nats-server.conf (and nats-server.per-agent.conf) read:
//   <out>/.env                 PARALLAX_*_PASSWORD and PARALLAX_*_NKEY (public keys) for the server:
//                              coordinator (run, shadow, agents), agent, tap
//   <out>/secrets/<role>.nk    the nkey seeds clients sign in with (--nats-nkey <file>)
// Usage: node infra/scripts/gen-credentials.mjs [--out infra] [--agents a1,a2,a3]
// Existing files are never overwritten. Seeds are secrets: keep them out of git (infra/.gitignore).
import { randomInt } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createUser } from "@nats-io/nkeys";

const { values } = parseArgs({ options: { out: { type: "string", default: "infra" }, agents: { type: "string", default: "" } } });
const out = values.out;
const agents = values.agents.split(",").map((s) => s.trim()).filter(Boolean);
for (const id of agents) {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) {
    console.error(`gen-credentials: agent id "${id}" must be a single subject token (letters, digits, _ and -)`);
    process.exit(2);
  }
}
const envFile = join(out, ".env");
const secrets = join(out, "secrets");
if (existsSync(envFile)) {
  console.error(`gen-credentials: ${envFile} exists; remove it first to make new credentials`);
  process.exit(2);
}
// The directory keeps other host users out; the files stay readable by the container user
// (uid 1000) they are bind-mounted into.
mkdirSync(secrets, { recursive: true, mode: 0o700 });

const lines = ["# Made by infra/scripts/gen-credentials.mjs. Secret: do not commit."];
// nats-server reads an unquoted $VARIABLE's value as its config syntax: a password starting with
// a digit or "-" (say "5E…") is taken for a number and the server refuses to start. Letters and
// digits only, a letter first: 32 characters, about 190 bits.
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHANUMERIC = `${LETTERS}0123456789`;
const password = () => LETTERS[randomInt(LETTERS.length)] + Array.from({ length: 31 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join("");
const nkey = (role) => {
  const user = createUser();
  writeFileSync(join(secrets, `${role}.nk`), new TextDecoder().decode(user.getSeed()) + "\n", { mode: 0o644, flag: "wx" });
  return user.getPublicKey();
};
lines.push(`PARALLAX_COORDINATOR_PASSWORD=${password()}`, `PARALLAX_AGENT_PASSWORD=${password()}`, `PARALLAX_TAP_PASSWORD=${password()}`);
lines.push(`PARALLAX_COORDINATOR_NKEY=${nkey("coordinator")}`, `PARALLAX_AGENT_NKEY=${nkey("agent")}`, `PARALLAX_TAP_NKEY=${nkey("tap")}`);
for (const id of agents) lines.push(`PARALLAX_AGENT_${id.toUpperCase().replace(/-/g, "_")}_NKEY=${nkey(`agent-${id}`)}`);
writeFileSync(envFile, lines.join("\n") + "\n", { mode: 0o600, flag: "wx" });
console.log(`wrote ${envFile} and seeds in ${secrets}/ (${["coordinator", "agent", "tap", ...agents.map((a) => `agent-${a}`)].join(", ")})`);
