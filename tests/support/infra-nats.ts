// nats-server running one of infra/'s configs as deployed, with credentials made by
// infra/scripts/gen-credentials.mjs: only where it listens and stores is changed for a test.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "@parallax/testkit";
import { REPO } from "./cli.js";

export interface InfraNats {
  readonly url: string;
  /** The nkey seed file of a role: `coordinator`, `agent`, `tap`, or `agent-<id>`. */
  seed(role: string): string;
  /** What the server has logged so far. */
  log(): string;
  stop(): void;
}

/** The deployment's config with only where it listens and stores changed. */
function testConfig(config: string, port: number, storeDir: string): string {
  const changed = config
    .replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)
    .replace(/^http: .*$/m, "")
    .replace(/store_dir: .*$/m, `store_dir: ${JSON.stringify(storeDir)}`);
  assert.notEqual(changed, config);
  return changed;
}

/** Starts nats-server on `infra/<config>` in `dir`, with fresh credentials (per-agent seeds for `agents`). */
export async function startInfraNats(bin: string, config: string, dir: string, agents: readonly string[] = []): Promise<InfraNats> {
  const made = spawnSync(process.execPath, ["infra/scripts/gen-credentials.mjs", "--out", dir, ...(agents.length ? ["--agents", agents.join(",")] : [])], { cwd: REPO, encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  const env = Object.fromEntries(
    (await readFile(join(dir, ".env"), "utf8"))
      .split("\n")
      .filter((line) => /^PARALLAX_\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  const port = await freePort();
  const file = join(dir, "nats-server.conf");
  await writeFile(file, testConfig(await readFile(join(REPO, "infra", config), "utf8"), port, join(dir, "jetstream")));
  const server = spawn(bin, ["-c", file], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  server.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!/Server is ready/.test(log)) {
    if (Date.now() > deadline || server.exitCode !== null) {
      server.kill("SIGKILL");
      throw new Error(`nats-server did not start with infra/${config}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    seed: (role) => join(dir, "secrets", `${role}.nk`),
    log: () => log,
    stop: () => void server.kill("SIGKILL"),
  };
}
