// `parallax tap`: the capturing reverse proxy in front of production.
import { stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { DEFAULT_TRAFFIC_RETAIN, InfrastructureError, InvalidInputError, isSubjectToken, type Issue, type Logger } from "@parallax/protocol";
import { parseDuration } from "@parallax/scenario";
import { createPublisher, createRecorder, startTap, type ExchangeSink, type Publisher, type Recorder, type Tap } from "@parallax/tap";
import type { Bus } from "@parallax/transport";
import { EXIT } from "../exit-codes.js";
import { parseHostPort } from "../host-port.js";
import type { Io } from "../io.js";
import { connectNats, type NatsFlags } from "../nats.js";

export interface TapCommandOptions extends NatsFlags {
  readonly listen: string;
  readonly upstream?: string;
  readonly stream: string;
  readonly retain?: string;
  readonly out?: string;
  readonly maxBody: string;
  readonly maxMessage: string;
  readonly timeout: string;
  readonly preserveHost?: boolean;
  readonly redactHeader?: string[];
  readonly redactQuery?: string[];
}

/** The flags, checked and converted; every problem is reported at once. */
export interface TapSettings {
  readonly host: string;
  readonly port: number;
  readonly upstream: string;
  readonly stream: string;
  readonly retainMs: number;
  /** --retain not given: an existing stream keeps its retention. */
  readonly keepRetention: boolean;
  readonly out: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxMessageBytes: number;
  readonly timeoutMs: number;
  readonly preserveHost: boolean;
  readonly redact: { readonly headers: readonly string[]; readonly query: readonly string[] };
}

/** How long a shutdown lets in-flight exchanges finish, then waits for the stream to take what is queued. */
const DRAIN_MS = 10_000;
const FLUSH_MS = 10_000;
/** Stats in the log (at info) this often while running. */
const STATS_EVERY_MS = 60_000;

/** Runs until SIGINT/SIGTERM: stops accepting, finishes in-flight exchanges, flushes publishes, prints what it did. */
export async function tapCommand(
  options: TapCommandOptions,
  io: Io,
  logger: Logger,
  signal: AbortSignal,
  connect: (flags: NatsFlags, logger: Logger) => Promise<Bus> = (flags, log) => connectNats(flags, io.env, `parallax-tap ${hostname()}`, false, log),
): Promise<number> {
  const settings = parseTapFlags(options, io.cwd);
  if (settings.out !== undefined) await checkNewFile(settings.out);

  const bus = await connect(options, logger);
  let recorder: Recorder | undefined;
  let publisher: Publisher | undefined;
  let tap: Tap | undefined;
  try {
    await bus.traffic.ensure(settings.stream, { retainMs: settings.retainMs, keepExisting: settings.keepRetention }).catch((error: unknown) => {
      throw new InfrastructureError(`could not create or update the traffic stream "${settings.stream}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    // An existing stream needs no rights to "ensure" but the right to read it: check the one a tap needs.
    await bus.traffic.checkPublish(settings.stream).catch((error: unknown) => {
      throw new InfrastructureError(`may not publish to the traffic stream "${settings.stream}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    publisher = createPublisher({ publish: (data, id) => bus.traffic.publish(settings.stream, data, { id }), logger, maxMessageBytes: settings.maxMessageBytes });
    if (settings.out !== undefined) recorder = await openRecorder(settings.out, logger);
    const sinks: ExchangeSink[] = recorder === undefined ? [publisher] : [publisher, recorder];
    tap = await startTap({
      upstream: settings.upstream,
      host: settings.host,
      port: settings.port,
      maxBodyBytes: settings.maxBodyBytes,
      timeoutMs: settings.timeoutMs,
      preserveHost: settings.preserveHost,
      redact: settings.redact,
      sinks,
      logger,
    }).catch((error: unknown) => {
      throw listenError(error, options.listen);
    });
  } catch (error) {
    if (recorder !== undefined && settings.out !== undefined) {
      // Nothing was recorded: leave no empty file behind to block the next attempt.
      await recorder.close();
      await unlink(settings.out).catch(() => {});
    }
    await bus.close();
    throw error;
  }

  io.stderr.write(`parallax tap listening ${tap.url} → ${settings.upstream}\n`);
  io.stderr.write(`  publishing to stream "${settings.stream}" on ${serverLabel(options.nats ?? "")}${settings.out === undefined ? "" : `; recording to ${settings.out}`}\n`);
  const running = tap;
  const ticker = setInterval(() => logger.info({ tap: running.stats(), publisher: publisher?.stats(), recorder: recorder?.stats() }, "tap stats"), STATS_EVERY_MS);
  ticker.unref();

  await new Promise<void>((done) => (signal.aborted ? done() : signal.addEventListener("abort", () => done(), { once: true })));
  clearInterval(ticker);
  await tap.close({ graceMs: DRAIN_MS });
  const flushed = await publisher.close(FLUSH_MS);
  await recorder?.close();
  await bus.close();

  io.stderr.write(summary(tap, publisher, recorder, settings, flushed));
  return EXIT.pass;
}

export function parseTapFlags(options: TapCommandOptions, cwd: string): TapSettings {
  const issues: Issue[] = [];
  const problem = (location: string, message: string): void => {
    issues.push({ location, message });
  };

  if (!options.nats) problem("--nats", "required: the NATS server URL, e.g. nats://nats:4222");
  const listen = parseHostPort(options.listen);
  if (listen === undefined) problem("--listen", `expected HOST:PORT, e.g. 0.0.0.0:8080 or [::]:8080, got "${options.listen}"`);

  let upstream = "";
  if (options.upstream === undefined) problem("--upstream", "required: production's URL, e.g. http://prod:8080");
  else if (!URL.canParse(options.upstream) || !["http:", "https:"].includes(new URL(options.upstream).protocol)) problem("--upstream", `expected an http:// or https:// URL, e.g. http://prod:8080, got "${options.upstream}"`);
  else {
    const url = new URL(options.upstream);
    if (url.username || url.password) problem("--upstream", "must not hold credentials: requests carry the client's own");
    else if (url.search || url.hash) problem("--upstream", "must not have a query or fragment: each request brings its own path and query");
    else upstream = options.upstream.replace(/\/+$/, "");
  }

  if (!isSubjectToken(options.stream)) problem("--stream", `"${options.stream}" may contain only letters, digits, "-" and "_"`);
  const retainMs = parseDuration(options.retain ?? DEFAULT_TRAFFIC_RETAIN);
  if (retainMs === undefined || retainMs <= 0) problem("--retain", `expected a duration > 0, e.g. 24h, got "${options.retain}"`);
  const timeoutMs = parseDuration(options.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) problem("--timeout", `expected a duration > 0, e.g. 30s, got "${options.timeout}"`);
  const maxBodyBytes = parseBytes(options.maxBody);
  if (maxBodyBytes === undefined) problem("--max-body", `expected a number of bytes, e.g. 65536 or 1MiB, got "${options.maxBody}"`);
  const maxMessageBytes = parseBytes(options.maxMessage);
  if (maxMessageBytes === undefined || maxMessageBytes < 1024) problem("--max-message", `expected a number of bytes >= 1KiB, e.g. 1020KiB, got "${options.maxMessage}"`);

  const names = (flag: string, values: readonly string[] | undefined): string[] => {
    for (const name of values ?? []) if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) problem(flag, `"${name}" is not a valid name`);
    return [...(values ?? [])];
  };
  const redact = { headers: names("--redact-header", options.redactHeader), query: names("--redact-query", options.redactQuery) };

  if (issues.length > 0) throw new InvalidInputError(issues);
  return {
    host: (listen as { host: string }).host,
    port: (listen as { port: number }).port,
    upstream,
    stream: options.stream,
    retainMs: retainMs as number,
    keepRetention: options.retain === undefined,
    out: options.out === undefined ? undefined : resolve(cwd, options.out),
    maxBodyBytes: maxBodyBytes as number,
    maxMessageBytes: maxMessageBytes as number,
    timeoutMs: timeoutMs as number,
    preserveHost: options.preserveHost === true,
    redact,
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `65536`, `256KiB`, `1MiB`, `1MB` → bytes; undefined when it is not a whole number of bytes. */
function parseBytes(text: string): number | undefined {
  const match = /^(\d+)\s*([A-Za-z]*)$/.exec(text.trim());
  const unit = BYTE_UNITS[(match?.[2] ?? "").toLowerCase()];
  if (match === null || unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

async function checkNewFile(file: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing !== undefined) throw new InvalidInputError([{ location: "--out", message: `${file} already exists: choose a new file (a recording is never appended to: its offsets would restart)` }]);
}

async function openRecorder(file: string, logger: Logger): Promise<Recorder> {
  try {
    return await createRecorder({ file, logger });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === "EEXIST" ? "already exists" : code === "ENOENT" ? "its directory does not exist" : code === "EACCES" ? "permission denied" : error instanceof Error ? error.message : String(error);
    throw new InvalidInputError([{ location: "--out", message: `cannot create ${file}: ${why}` }], { cause: error });
  }
}

function listenError(error: unknown, listen: string): unknown {
  const code = (error as { code?: unknown }).code;
  const why: Record<string, string> = {
    EADDRINUSE: "the address is already in use",
    EACCES: "permission denied (ports below 1024 need privileges)",
    EADDRNOTAVAIL: "this machine has no such address",
    ENOTFOUND: "no such host",
  };
  return typeof code === "string" && why[code] !== undefined ? new InvalidInputError([{ location: "--listen", message: `cannot listen on ${listen}: ${why[code]}` }], { cause: error }) : error;
}

function serverLabel(servers: string): string {
  return servers.replace(/([a-z]+:\/\/)[^/@,]*@/gi, "$1");
}

function summary(tap: Tap, publisher: Publisher, recorder: Recorder | undefined, settings: TapSettings, flushed: boolean): string {
  const t = tap.stats();
  const p = publisher.stats();
  const lines = [
    `parallax tap stopped: ${t.requests} requests, ${t.forwarded} forwarded to production (${t.upstreamErrors} failed there), ${t.rejected} rejected, ${t.aborted} abandoned (the client left, or cut at shutdown)`,
    `  captured ${t.captured} (skipped: ${t.replaySkipped} replayed by Parallax, ${t.uncapturable} not recordable)`,
    `  published ${p.published} to "${settings.stream}": ${p.dropped} dropped (queue full), ${p.failed} failed, ${p.shrunk} cut to fit a message${flushed ? "" : `, ${p.queued + p.inFlight} still unacknowledged at exit`}`,
  ];
  if (recorder !== undefined) {
    const r = recorder.stats();
    lines.push(`  recorded ${r.written} requests to ${settings.out} (${r.skipped} with a cut body left out, ${r.dropped} dropped)`);
  }
  return `${lines.join("\n")}\n`;
}
