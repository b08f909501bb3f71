// Live shadow tests' shared parts: CLI processes that run until stopped (tap, shadow), ground-truth
// traffic sent through a tap, and the shadow's report.json as it is rewritten window by window.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunResult } from "@parallax/protocol";
import { groundTruthCase } from "@parallax/testkit";
import { request } from "undici";
import { PARALLAX_BIN, REPO } from "./cli.js";

export interface Spawned {
  readonly child: ChildProcess;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnCli(args: readonly string[]): Spawned {
  const child = spawn(process.execPath, [PARALLAX_BIN, ...args], { cwd: REPO, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PARALLAX_LOG_LEVEL: "info" } });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stderr);
        if (match !== null) return match;
        if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode} before ${pattern}:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} from ${args[0]} after ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Sends cases 0..count-1 through the tap, `concurrency` at a time. */
export async function sendThrough(tapUrl: string, from: number, to: number, concurrency = 8): Promise<void> {
  let next = from;
  const worker = async () => {
    for (let n = next++; n < to; n = next++) {
      const c = groundTruthCase(n);
      const response = await request(`${tapUrl}${c.path}?n=${n}`, { method: c.method, headers: { "content-type": "application/json" }, ...(c.body === undefined ? {} : { body: c.body }) });
      await response.body.dump();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function readReport(dir: string): Promise<RunResult | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as RunResult;
  } catch {
    return undefined;
  }
}

/** Waits until the shadow's report.json has counted `count` exchanges. */
export async function reportCounting(dir: string, count: number, timeoutMs = 40_000): Promise<RunResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await readReport(dir);
    if (report?.shadow && report.shadow.received >= count) return report;
    if (Date.now() > deadline) throw new Error(`report.json counted ${report?.shadow?.received ?? "nothing"} of ${count} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
