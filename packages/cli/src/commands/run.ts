import { randomBytes } from "node:crypto";
import { mkdtemp, rmdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { InfrastructureError, InvalidInputError, type Logger, type Progress, type RunResult } from "@parallax/protocol";
import type { RunIntervals } from "@parallax/coordinator";
import { formatProgress, renderJson, renderSummary, writeReport } from "@parallax/report";
import { EXIT } from "../exit-codes.js";
import type { RunFlags } from "../flags.js";
import type { Io } from "../io.js";
import { runDistributed } from "../distributed-run.js";
import { runLocal } from "../local-run.js";
import type { NatsFlags } from "../nats.js";
import { parseDuration } from "@parallax/scenario";
import { VERSION } from "../version.js";
import { loadInputs } from "./load-inputs.js";

export interface RunOptions extends RunFlags, NatsFlags {
  readonly agents: string;
  readonly agentsTimeout: string;
  readonly onAgentLoss: "continue" | "abort";
  readonly out?: string;
  readonly json?: boolean;
  readonly runId?: string;
  readonly progress: boolean;
}

export async function runCommand(file: string | undefined, options: RunOptions, io: Io, logger: Logger, signal: AbortSignal): Promise<number> {
  const agents = parseAgents(options.agents);
  const runId = options.runId ?? `run-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new InvalidInputError([{ location: "--run-id", message: `"${runId}" may contain only letters, digits, "-" and "_"` }]);
  const out = options.out === undefined ? undefined : resolve(io.cwd, options.out);
  if (out !== undefined) await checkOutDir(out);
  const { scenario, recording, protos } = await loadInputs(file, options, io);

  const agentsTimeoutMs = parseDuration(options.agentsTimeout);
  if (agentsTimeoutMs === undefined || agentsTimeoutMs <= 0) throw new InvalidInputError([{ location: "--agents-timeout", message: `invalid duration "${options.agentsTimeout}" (use e.g. 30s)` }]);

  const showProgress = options.progress && io.stderr.isTTY === true;
  let intervals: RunIntervals | undefined;
  const common = {
    logger,
    runId,
    scenario,
    recording,
    ...(protos === undefined ? {} : { protos: protos.toJSON() }),
    agents,
    signal,
    version: VERSION,
    onAgentLoss: options.onAgentLoss,
    onIntervals: (i: RunIntervals) => (intervals = i),
    ...(showProgress ? { onProgress: (p: Progress) => io.stderr.write(`\r\x1b[2K${formatProgress(p)}`) } : {}),
  };
  const result = options.nats ? await runDistributed(options, io, { ...common, agentsTimeoutMs }) : await runLocal(common);
  if (showProgress) io.stderr.write("\r\x1b[2K");
  return finish(result, intervals, out, options.json === true, io, signal.aborted);
}

async function finish(result: RunResult, intervals: RunIntervals | undefined, out: string | undefined, json: boolean, io: Io, interrupted: boolean): Promise<number> {
  io.stderr.write(renderSummary(result, { color: io.stderr.isTTY === true }));
  if (out !== undefined) {
    const written = await writeReport(out, result, intervals ? { intervals: intervals.targets, startTimeMs: intervals.startTimeMs } : {}).catch((error: unknown) => {
      throw new InfrastructureError(`could not write the report to ${out}: ${error instanceof Error ? error.message : String(error)}`);
    });
    const where = relative(io.cwd, written.dir) || ".";
    io.stderr.write(`\nReport written to ${where.startsWith("..") ? written.dir : where}/ (${written.files.map((f) => basename(f)).join(", ")})\n`);
  }
  if (json) io.stdout.write(renderJson(result));
  if (interrupted) return EXIT.interrupted;
  // An abort rule that fired judged the targets (e.g. production failing): a failed verdict, not broken infrastructure.
  if (result.run.status === "aborted") return result.run.events.some((e) => e.type === "abort-rule") ? EXIT.verdictFailed : EXIT.infrastructure;
  return result.verdict.pass ? EXIT.pass : EXIT.verdictFailed;
}

function parseAgents(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidInputError([{ location: "--agents", message: `expected a whole number from 1 to 256, got "${text}"` }]);
  return n;
}

/**
 * Fail before the run, not after it, when the report could not be written: probe the nearest
 * existing directory the way the report is written (a temporary directory beside it).
 */
export async function checkOutDir(out: string): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (info && !info.isDirectory()) throw new InvalidInputError([{ location: "--out", message: `${out} exists and is not a directory` }]);
  let existing = info ? out : dirname(out);
  for (;;) {
    const found = await stat(existing).catch(() => undefined);
    if (found) {
      // `--out afile/sub`: the report could never be written under a file.
      if (!found.isDirectory()) throw new InvalidInputError([{ location: "--out", message: `${existing} exists and is not a directory` }]);
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  try {
    await rmdir(await mkdtemp(join(existing, ".parallax-probe-")));
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
    throw new InvalidInputError([{ location: "--out", message: `cannot write under ${existing} (${reason})` }]);
  }
}
