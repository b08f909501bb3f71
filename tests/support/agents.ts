// `parallax agent` as real child processes, the way they run on load machines.
import { spawn, type ChildProcess } from "node:child_process";
import { PARALLAX_BIN, REPO } from "./cli.js";

export interface AgentProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves once it is connected and announced. */
  readonly ready: Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startAgent(natsUrl: string, name: string, extraArgs: readonly string[] = [], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, [PARALLAX_BIN, "agent", "--nats", natsUrl, "--name", name, ...extraArgs], {
    cwd: REPO,
    env: { ...process.env, PARALLAX_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent ${name} not connected after 15 s:\n${stderr}`)), 15_000);
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`parallax agent ${name}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`agent ${name} exited with ${code}:\n${stderr}`));
    });
  });
  ready.catch(() => undefined);
  return {
    name,
    child,
    stderr: () => stderr,
    ready,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
