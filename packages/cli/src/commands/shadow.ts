// `parallax shadow`: continuous shadow comparison of live traffic a `parallax tap` captured.
import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { runShadowCoordinator, type ShadowWindowResults } from "@parallax/coordinator";
import { DEFAULT_TRAFFIC_RETAIN, InvalidInputError, isSubjectToken, thresholdMeasured, type Issue, type Logger, type RunResult, type ShadowThresholdEvent } from "@parallax/protocol";
import { renderJson, renderPrometheus, renderSummary, writeReport } from "@parallax/report";
import { parseDuration, resolveScenario, type Scenario } from "@parallax/scenario";
import { EXIT } from "../exit-codes.js";
import { flagsToOverrides, type RunFlags } from "../flags.js";
import { parseHostPort } from "../host-port.js";
import type { Io } from "../io.js";
import { startMetricsServer, type MetricsServer } from "../metrics-server.js";
import { connectNats, type NatsFlags } from "../nats.js";
import { VERSION } from "../version.js";
import { checkOutDir } from "./run.js";
import { checkTls } from "./grpc-inputs.js";

export interface ShadowCommandOptions extends RunFlags, NatsFlags {
  readonly stream: string;
  readonly durable: string;
  readonly window: string;
  readonly retain?: string;
  readonly sample: string;
  readonly ackWait: string;
  readonly maxInFlight: string;
  readonly agents: string;
  readonly agentsTimeout: string;
  readonly out?: string;
  readonly metrics?: string;
  readonly json?: boolean;
  readonly runId?: string;
}

/**
 * Production is never contacted by a shadow job: its answers and latency come from the tap. A
 * scenario still names a production target (its results are reported under that name), so the
 * shadow gives it this address, which can never resolve (RFC 6761 `.invalid`).
 */
export const TAPPED_PRODUCTION = "http://tapped-production.invalid";
/** Likewise the recording: the traffic is the stream. */
const LIVE_TRAFFIC = "live-traffic.jsonl";

interface ShadowSettings {
  readonly stream: string;
  readonly durable: string;
  readonly windowMs: number;
  readonly retainMs: number;
  /** --retain not given: an existing stream keeps its retention. */
  readonly keepRetention: boolean;
  readonly sample: number;
  readonly ackWaitMs: number;
  readonly maxInFlight: number;
  readonly agents: number;
  readonly agentsTimeoutMs: number;
  readonly out: string | undefined;
  readonly metrics: { readonly host: string; readonly port: number } | undefined;
  readonly runId: string;
}

/** Runs until SIGINT/SIGTERM, then writes the final report and exits 0: stopping is how a shadow job ends. */
export async function shadowCommand(file: string | undefined, options: ShadowCommandOptions, io: Io, logger: Logger, signal: AbortSignal): Promise<number> {
  const settings = parseShadowFlags(options, io.cwd);
  const scenario = await shadowScenario(file, options, io);
  checkTls(scenario);
  if (settings.out !== undefined) await checkOutDir(settings.out);

  // Rendered once per window (a histogram's buckets cost tens of ms), from the result report.json was written from.
  let metricsText = "# parallax shadow: no window has closed yet\n";
  let metrics: MetricsServer | undefined;
  if (settings.metrics !== undefined) {
    metrics = await startMetricsServer(settings.metrics.host, settings.metrics.port, () => metricsText).catch((error: unknown) => {
      throw new InvalidInputError([{ location: "--metrics", message: `cannot listen on ${options.metrics}: ${(error as { code?: string }).code ?? String(error)}` }], { cause: error });
    });
    io.stderr.write(`parallax shadow: metrics on ${metrics.url}\n`);
  }

  const bus = await connectNats(options, io.env, `parallax-shadow ${hostname()}`, true, logger);
  let announced = false;
  try {
    const final = await runShadowCoordinator({
      bus,
      logger,
      runId: settings.runId,
      scenario,
      stream: settings.stream,
      durable: settings.durable,
      sample: settings.sample,
      ackWaitMs: settings.ackWaitMs,
      maxInFlight: settings.maxInFlight,
      retainMs: settings.retainMs,
      keepRetention: settings.keepRetention,
      agents: settings.agents,
      agentsTimeoutMs: settings.agentsTimeoutMs,
      windowMs: settings.windowMs,
      version: VERSION,
      signal,
      onProgress: (progress) => {
        if (announced || progress.agents === 0) return;
        announced = true;
        io.stderr.write(`parallax shadow: ${progress.agents} agent(s) consuming stream "${settings.stream}" (durable ${settings.durable}), windows of ${options.window}\n`);
      },
      onEvent: (event) => io.stderr.write(`${eventLine(event)}\n`),
      onWindow: async (results) => {
        // Files first, then /metrics: a scrape never shows totals no report has.
        if (settings.out !== undefined) await writeWindow(settings.out, results);
        if (metrics !== undefined) metricsText = renderPrometheus(results.cumulative);
        io.stderr.write(`${windowLine(results.window)}\n`);
      },
    });
    io.stderr.write(renderSummary(final, { color: io.stderr.isTTY === true }));
    if (settings.out !== undefined) io.stderr.write(`\nReport written to ${settings.out}/ (report.json, report.md, windows/)\n`);
    if (options.json) io.stdout.write(renderJson(final));
    return EXIT.pass;
  } finally {
    await metrics?.close();
    await bus.close();
  }
}

/** The cumulative report (report.json, report.md, histograms) and the window's own file, each written whole. */
async function writeWindow(out: string, results: ShadowWindowResults): Promise<void> {
  const windows = join(out, "windows");
  await mkdir(windows, { recursive: true });
  const name = `${results.window.run.startedAt.replace(/:/g, "-")}.json`;
  const temp = join(windows, `.${name}.tmp-${randomBytes(3).toString("hex")}`);
  await writeFile(temp, renderJson(results.window));
  await rename(temp, join(windows, name));
  await writeReport(out, results.cumulative);
}

function windowLine(window: RunResult): string {
  const s = window.shadow;
  const c = window.targets.candidate;
  return `window ${window.run.startedAt}: ${s?.received ?? 0} exchanges, ${window.diff.compared} compared, ${window.diff.different} different, candidate ${c.errors} errors, p99 ${c.latencyMs.p99} ms · backlog ${s?.backlog.pending ?? 0}${thresholdsText(window)}`;
}

/** An idle window measures nothing: its thresholds are not measured, which is not failing. */
export function thresholdsText(window: Pick<RunResult, "verdict">): string {
  const all = window.verdict.thresholds;
  if (all.length === 0) return "";
  const measured = all.filter(thresholdMeasured);
  if (measured.length === 0) return " · thresholds not measured (nothing to measure in this window)";
  const failed = measured.filter((t) => !t.pass).length;
  const unmeasured = all.length - measured.length === 0 ? "" : `, ${all.length - measured.length} not measured`;
  return ` · thresholds ${failed > 0 ? `${failed} of ${all.length} failed` : unmeasured ? "all measured passed" : "all passed"}${unmeasured}`;
}

function eventLine(event: ShadowThresholdEvent): string {
  const scope = event.endpoint === undefined ? "" : ` [${event.endpoint}]`;
  return `${event.state === "fail" ? "✘ threshold now failing" : "✔ threshold passing again"}: ${event.expression}${scope} (observed ${event.observed ?? "n/a"}, limit ${event.limit ?? "n/a"}) in the window from ${event.window}`;
}

/** The scenario of a shadow job: compare rules and thresholds from the file and flags; production and the recording are the tap's. */
async function shadowScenario(file: string | undefined, options: ShadowCommandOptions, io: Io): Promise<Scenario> {
  const { overrides, sources } = flagsToOverrides(options);
  const placeholders = { targets: { ...(overrides["targets"] as object | undefined), production: TAPPED_PRODUCTION }, traffic: { file: LIVE_TRAFFIC } };
  const scenario = await resolveScenario({ ...(file === undefined ? {} : { file }), overrides: { ...overrides, ...placeholders }, overrideSources: sources, env: io.env, cwd: io.cwd });
  if (options.timeout === undefined) return scenario;
  const timeoutMs = parseDuration(options.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new InvalidInputError([{ location: "--timeout", message: `invalid duration "${options.timeout}" (use e.g. 500ms, 10s)` }]);
  const { production, candidate, secondary } = scenario.targets;
  return { ...scenario, targets: { production, candidate: { ...candidate, timeoutMs }, ...(secondary === undefined ? {} : { secondary: { ...secondary, timeoutMs } }) } };
}

export function parseShadowFlags(options: ShadowCommandOptions, cwd: string): ShadowSettings {
  const issues: Issue[] = [];
  const problem = (location: string, message: string): void => void issues.push({ location, message });
  const duration = (flag: string, text: string, min: number): number => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < min) problem(flag, `expected a duration of at least ${min} ms, e.g. 1m, got "${text}"`);
    return ms ?? 0;
  };
  const whole = (flag: string, text: string, max: number): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1 || n > max) problem(flag, `expected a whole number from 1 to ${max}, got "${text}"`);
    return n;
  };

  if (!options.nats) problem("--nats", "required: the NATS server URL the tap publishes to, e.g. nats://nats:4222");
  if (!isSubjectToken(options.stream)) problem("--stream", `"${options.stream}" may contain only letters, digits, "-" and "_"`);
  if (!isSubjectToken(options.durable)) problem("--durable", `"${options.durable}" may contain only letters, digits, "-" and "_"`);
  const runId = options.runId ?? `shadow-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  if (!isSubjectToken(runId)) problem("--run-id", `"${runId}" may contain only letters, digits, "-" and "_"`);
  const sample = parseFraction(options.sample);
  if (sample === undefined) problem("--sample", `expected a share of the exchanges above 0 and at most 100 %, e.g. 10% or 0.1, got "${options.sample}"`);
  let metrics: { host: string; port: number } | undefined;
  if (options.metrics !== undefined) {
    metrics = parseHostPort(options.metrics);
    if (metrics === undefined) problem("--metrics", `expected HOST:PORT, e.g. 0.0.0.0:9464, got "${options.metrics}"`);
  }
  const settings: ShadowSettings = {
    stream: options.stream,
    durable: options.durable,
    windowMs: duration("--window", options.window, 1000),
    retainMs: duration("--retain", options.retain ?? DEFAULT_TRAFFIC_RETAIN, 1000),
    keepRetention: options.retain === undefined,
    sample: sample ?? 1,
    ackWaitMs: duration("--ack-wait", options.ackWait, 1000),
    maxInFlight: whole("--max-in-flight", options.maxInFlight, 10_000),
    agents: whole("--agents", options.agents, 256),
    agentsTimeoutMs: duration("--agents-timeout", options.agentsTimeout, 1),
    out: options.out === undefined ? undefined : resolve(cwd, options.out),
    metrics,
    runId,
  };
  if (issues.length > 0) throw new InvalidInputError(issues);
  return settings;
}

/** `10%`, `0.1`, `100%` → a fraction in (0, 1]. */
function parseFraction(text: string): number | undefined {
  const percent = text.trim().endsWith("%");
  const value = Number(percent ? text.trim().slice(0, -1) : text.trim());
  const fraction = percent ? value / 100 : value;
  return text.trim() !== "" && Number.isFinite(fraction) && fraction > 0 && fraction <= 1 ? fraction : undefined;
}
