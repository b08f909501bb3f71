// The capturing reverse proxy: forwards each request to production once, returns production's
// answer to the client as it streams, and hands a bounded, redacted copy of the exchange to sinks.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import { InvalidInputError, REPLAY_MARKER_HEADER, silentLogger, systemClock, type CapturedExchange, type Clock, type Issue, type Logger } from "@parallax/protocol";
import type { RedactionOptions } from "@parallax/recording";
import { BoundedCapture } from "./capture.js";
import { upstreamErrorKind } from "./errors.js";
import { splitRequestHeaders, splitResponseHeaders } from "./headers.js";
import { createExchangeRedactor, type ExchangeRedactor } from "./redact.js";
import type { ExchangeSink } from "./sink.js";

export const TAP_DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 0,
  /** Per body (request and response each); more is forwarded but not captured. */
  maxBodyBytes: 1024 * 1024,
  /** Connect, response headers, and each gap between body chunks from production. */
  timeoutMs: 30_000,
  preserveHost: false,
  /** How long `close()` lets in-flight exchanges finish before cutting them. */
  closeGraceMs: 10_000,
});

export interface TapOptions {
  /** Production: `http(s)://host:port[/base-path]`; request paths are appended to the base path. */
  readonly upstream: string;
  readonly host?: string;
  readonly port?: number;
  readonly maxBodyBytes?: number;
  readonly timeoutMs?: number;
  /** Send production the client's Host header; by default it gets the upstream URL's (the client's goes in `x-forwarded-host`). */
  readonly preserveHost?: boolean;
  /** Names redacted on top of recording's defaults. */
  readonly redact?: RedactionOptions;
  /** Where redacted exchanges go; with none, the tap only forwards. */
  readonly sinks?: readonly ExchangeSink[];
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Exchange ids are `<idPrefix>-<n>`; default random, so ids from two taps (or restarts) never collide. */
  readonly idPrefix?: string;
}

export interface TapStats {
  /** Requests that reached the tap. */
  readonly requests: number;
  /** Requests sent to production (each exactly once). */
  readonly forwarded: number;
  /** Exchanges handed to the sinks. */
  readonly captured: number;
  /** Requests carrying the replay marker: forwarded, not captured. */
  readonly replaySkipped: number;
  /** Exchanges whose request could not be put in recorded form (not captured). */
  readonly uncapturable: number;
  /** The client went away (or the tap shut down) before production's answer was complete: not captured. */
  readonly aborted: number;
  /** Production could not be reached, timed out, or broke off its answer (captured as `{error}`). */
  readonly upstreamErrors: number;
  /** Requests not forwarded: a request target that is not a path (`OPTIONS *`). */
  readonly rejected: number;
  readonly inFlight: number;
}

export interface Tap {
  /** `http://host:port` the tap listens on. */
  readonly url: string;
  stats(): TapStats;
  /** Stops accepting, lets in-flight exchanges finish (up to `graceMs`), cuts the rest, and closes the connections to production. */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/** Every problem with the options, each naming the option. */
export function validateTapOptions(options: TapOptions): Issue[] {
  const issues: Issue[] = [];
  const problem = (location: string, message: string): void => {
    issues.push({ location, message });
  };
  const upstream = URL.canParse(options.upstream) ? new URL(options.upstream) : undefined;
  if (upstream === undefined || (upstream.protocol !== "http:" && upstream.protocol !== "https:")) {
    problem("upstream", `must be an http:// or https:// URL, e.g. http://prod:8080, got "${options.upstream}"`);
  } else if (upstream.username !== "" || upstream.password !== "") {
    problem("upstream", "must not hold credentials: requests carry the client's own");
  } else if (upstream.search !== "" || upstream.hash !== "") {
    problem("upstream", "must not have a query or fragment: each request brings its own path and query");
  }
  const { port, maxBodyBytes, timeoutMs } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) problem("port", `must be a whole number from 0 to 65535, got ${port}`);
  if (maxBodyBytes !== undefined && (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)) problem("maxBodyBytes", `must be a whole number of bytes >= 0, got ${maxBodyBytes}`);
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) problem("timeoutMs", `must be > 0, got ${timeoutMs}`);
  return issues;
}

/** Listens, and resolves once the tap accepts connections. */
export async function startTap(options: TapOptions): Promise<Tap> {
  const issues = validateTapOptions(options);
  if (issues.length > 0) throw new InvalidInputError(issues);
  const core = new TapCore(options);
  await core.listen(options.port ?? TAP_DEFAULTS.port, options.host ?? TAP_DEFAULTS.host);
  return {
    url: core.url,
    stats: () => core.stats(),
    close: (closeOptions) => core.close(closeOptions?.graceMs ?? TAP_DEFAULTS.closeGraceMs),
  };
}

type Counters = { -readonly [K in keyof TapStats]: TapStats[K] };

/** The server, the pool to production and the counters; one `Exchange` per request. */
class TapCore {
  readonly counters: Counters = { requests: 0, forwarded: 0, captured: 0, replaySkipped: 0, uncapturable: 0, aborted: 0, upstreamErrors: 0, rejected: 0, inFlight: 0 };
  readonly pool: Pool;
  readonly basePath: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly preserveHost: boolean;
  readonly capturing: boolean;
  readonly clock: Clock;
  readonly #server: Server;
  readonly #redactor: ExchangeRedactor;
  readonly #sinks: readonly ExchangeSink[];
  readonly #logger: Logger;
  readonly #idPrefix: string;
  readonly #exchanges = new Set<Exchange>();
  #idle: Array<() => void> = [];
  #nextId = 0;
  #url = "";
  #closing: Promise<void> | undefined;

  constructor(options: TapOptions) {
    const upstream = new URL(options.upstream);
    this.basePath = upstream.pathname.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? TAP_DEFAULTS.timeoutMs;
    this.maxBodyBytes = options.maxBodyBytes ?? TAP_DEFAULTS.maxBodyBytes;
    this.preserveHost = options.preserveHost ?? TAP_DEFAULTS.preserveHost;
    this.clock = options.clock ?? systemClock;
    this.#sinks = options.sinks ?? [];
    this.capturing = this.#sinks.length > 0;
    this.#redactor = createExchangeRedactor(options.redact);
    this.#logger = (options.logger ?? silentLogger).child({ component: "tap" });
    this.#idPrefix = options.idPrefix ?? randomBytes(6).toString("hex");
    // No retries and no redirects: undici's Pool does neither unless asked (no RetryAgent, no
    // redirect interceptor), and with pipelining 1 a request it has written is never re-sent.
    this.pool = new Pool(upstream.origin, {
      pipelining: 1,
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    this.#server = createServer((req, res) => this.#onRequest(req, res));
  }

  get url(): string {
    return this.#url;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        void this.pool.destroy();
        reject(error);
      };
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        const address = this.#server.address() as AddressInfo;
        this.#url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
        resolve();
      });
    });
  }

  stats(): TapStats {
    return { ...this.counters };
  }

  nextId(): string {
    return `${this.#idPrefix}-${(this.#nextId++).toString(36)}`;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++;
    // Production's headers only: no Date of our own.
    res.sendDate = false;
    const path = originForm(req.url ?? "");
    if (path === undefined) {
      this.counters.rejected++;
      reply(res, 400, "tap: the request target must be a path\n");
      return;
    }
    const replay = req.headers[REPLAY_MARKER_HEADER] !== undefined;
    if (replay) this.counters.replaySkipped++;
    const exchange = new Exchange(this, req, res, path, this.capturing && !replay);
    this.#exchanges.add(exchange);
    this.counters.inFlight++;
    this.counters.forwarded++;
    exchange.forward();
  }

  /** An exchange reached its end state. */
  settled(exchange: Exchange, captured: CapturedExchange | undefined): void {
    this.#exchanges.delete(exchange);
    this.counters.inFlight--;
    // Redaction and encoding wait until the client's bytes are on their way.
    if (captured !== undefined) setImmediate(deliver, this, captured);
    if (this.counters.inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  deliver(exchange: CapturedExchange): void {
    const redacted = this.#redactor.redact(exchange);
    if (redacted === undefined) {
      this.counters.uncapturable++;
      return;
    }
    this.counters.captured++;
    for (const sink of this.#sinks) {
      try {
        sink.accept(redacted);
      } catch (error) {
        this.#logger.error({ err: error }, "an exchange sink failed");
      }
    }
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    if (this.counters.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    for (const exchange of [...this.#exchanges]) exchange.abandon();
    this.#server.closeAllConnections();
    await closed;
    // Deliveries already scheduled run before this one: sinks have every exchange when close resolves.
    await new Promise((resolve) => setImmediate(resolve));
    await this.pool.destroy();
  }
}

function deliver(core: TapCore, exchange: CapturedExchange): void {
  core.deliver(exchange);
}

/**
 * Where one exchange stands. forwarding: sent (or being sent) to production, no answer yet;
 * streaming: production's status and headers went to the client, its body is flowing; then one
 * of done (answer complete), failed (production failed; the client got 502/504 or a cut
 * response), aborted (the client went away, or the tap shut down, first).
 */
type ExchangeState = "forwarding" | "streaming" | "done" | "failed" | "aborted";

const TRANSITIONS: Readonly<Record<ExchangeState, readonly ExchangeState[]>> = {
  forwarding: ["streaming", "failed", "aborted"],
  streaming: ["done", "failed", "aborted"],
  done: [],
  failed: [],
  aborted: [],
};

/** Why the tap aborts a request to production: the client is gone. */
class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/** One request through the tap: undici's handler for production's answer, and the client's response. */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #core: TapCore;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #path: string;
  readonly #arrivedAt: number;
  readonly #capturedAtMs: number;
  readonly #capture: boolean;
  readonly #requestHeaders: Array<[string, string]>;
  readonly #requestBody: BoundedCapture | undefined;
  #requestBodyComplete: boolean;
  #clientFailed = false;
  #responseBody: BoundedCapture | undefined;
  #responseHeaders: Array<[string, string]> = [];
  #status = 0;
  #controller: Dispatcher.DispatchController | undefined;
  #state: ExchangeState = "forwarding";
  readonly #forwardHeaders: string[];
  readonly #resume = (): void => this.#controller?.resume();

  constructor(core: TapCore, req: IncomingMessage, res: ServerResponse, path: string, capture: boolean) {
    this.#core = core;
    this.#req = req;
    this.#res = res;
    this.#path = path;
    this.#arrivedAt = core.clock.now();
    this.#capturedAtMs = core.clock.wallNow();
    this.#capture = capture;
    const headers = splitRequestHeaders(req.rawHeaders, { preserveHost: core.preserveHost, remoteAddress: req.socket.remoteAddress, proto: "http" });
    this.#forwardHeaders = headers.forward;
    this.#requestHeaders = headers.captured;
    const hasBody = req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
    this.#requestBodyComplete = !hasBody;
    this.#requestBody = capture && hasBody ? new BoundedCapture(core.maxBodyBytes) : undefined;
    res.on("close", () => {
      if (this.#state === "forwarding" || this.#state === "streaming") this.#abort();
    });
  }

  forward(): void {
    const hasBody = !this.#requestBodyComplete;
    this.#core.pool.dispatch(
      {
        method: this.#req.method as Dispatcher.HttpMethod,
        path: this.#core.basePath + this.#path,
        headers: this.#forwardHeaders,
        // undici takes any async iterable as a body, though its types list only streams.
        body: hasBody ? (forwardBody(this, this.#req, this.#requestBody) as unknown as Readable) : null,
        headersTimeout: this.#core.timeoutMs,
        bodyTimeout: this.#core.timeoutMs,
      },
      this,
    );
  }

  requestBodyDone(): void {
    this.#requestBodyComplete = true;
  }

  clientFailed(): void {
    this.#clientFailed = true;
  }

  /** The tap is shutting down and this exchange ran out of grace. */
  abandon(): void {
    if (this.#state === "forwarding" || this.#state === "streaming") {
      this.#abort();
      this.#res.destroy();
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#state === "aborted") controller.abort(new ClientGoneError("the client went away"));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, statusMessage?: string): void {
    if (statusCode < 200 || this.#state !== "forwarding") return;
    this.#controller = controller;
    const headers = splitResponseHeaders((controller.rawHeaders as Array<Buffer | string> | null | undefined) ?? []);
    try {
      this.#res.writeHead(statusCode, statusMessage ?? "", headers.forward);
    } catch (error) {
      // Headers Node will not write (a bad character in a value): production's answer cannot be relayed.
      controller.abort(error as Error);
      this.#fail("invalid response");
      return;
    }
    this.#to("streaming");
    this.#status = statusCode;
    this.#responseHeaders = headers.captured;
    if (this.#capture) this.#responseBody = new BoundedCapture(this.#core.maxBodyBytes);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#state !== "streaming") return;
    this.#responseBody?.add(chunk);
    // Backpressure: production's connection waits while the client is slower than it.
    if (!this.#res.write(chunk) && !controller.paused) {
      controller.pause();
      this.#res.once("drain", this.#resume);
    }
  }

  onResponseEnd(): void {
    if (this.#state !== "streaming") return;
    const latencyMicros = this.#latencyMicros();
    this.#to("done");
    this.#res.end();
    this.#core.settled(this, this.#capture ? this.#captured({ status: this.#status, headers: this.#responseHeaders, ...bodyOf(this.#responseBody) }, latencyMicros) : undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#state !== "forwarding" && this.#state !== "streaming") return;
    // A client that broke off its own request body fails the upstream request too: that is the client's doing.
    if (this.#clientFailed || error instanceof ClientGoneError) {
      this.#abort();
      return;
    }
    this.#fail(upstreamErrorKind(error));
  }

  #fail(kind: string): void {
    const latencyMicros = this.#latencyMicros();
    this.#to("failed");
    this.#core.counters.upstreamErrors++;
    // Before the status line went out, the client gets a gateway error; after, a cut response, as production's broken connection would have given it.
    if (this.#res.headersSent) this.#res.destroy();
    else {
      try {
        reply(this.#res, kind === "timeout" ? 504 : 502, kind === "timeout" ? "tap: production did not answer in time\n" : `tap: production is unreachable or failed (${kind})\n`);
      } catch {
        this.#res.destroy();
      }
    }
    this.#core.settled(this, this.#capture ? this.#captured({ error: kind }, latencyMicros) : undefined);
  }

  #abort(): void {
    this.#to("aborted");
    this.#core.counters.aborted++;
    this.#controller?.abort(new ClientGoneError("the client went away"));
    this.#core.settled(this, undefined);
  }

  #to(next: ExchangeState): void {
    if (!TRANSITIONS[this.#state].includes(next)) throw new Error(`tap exchange: illegal transition ${this.#state} → ${next}`);
    this.#state = next;
  }

  #latencyMicros(): number {
    return Math.max(0, Math.round((this.#core.clock.now() - this.#arrivedAt) * 1000));
  }

  #captured(response: CapturedExchange["response"], latencyMicros: number): CapturedExchange {
    // A request body production did not get in full (it answered or failed first) is marked, like one over the limit.
    const body = bodyOf(this.#requestBody);
    return {
      id: this.#core.nextId(),
      capturedAtMs: this.#capturedAtMs,
      request: {
        method: this.#req.method ?? "GET",
        path: this.#path,
        headers: this.#requestHeaders,
        ...(body.body === undefined ? {} : { body: body.body }),
        bodyTruncated: body.bodyTruncated || !this.#requestBodyComplete,
      },
      response,
      latencyMicros,
    };
  }
}

/** The client's body, passed through to production as it arrives, its start captured on the way. */
async function* forwardBody(exchange: Exchange, req: IncomingMessage, capture: BoundedCapture | undefined): AsyncGenerator<Buffer> {
  // Not destroyed when production stops reading early (it answered or failed): Node then discards the rest and the 502 still reaches the client.
  const chunks = req.iterator({ destroyOnReturn: false });
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const chunk = next.value as Buffer;
      capture?.add(chunk);
      yield chunk;
    }
  } catch (error) {
    exchange.clientFailed();
    throw error;
  }
  exchange.requestBodyDone();
}

function bodyOf(capture: BoundedCapture | undefined): { body?: Uint8Array; bodyTruncated: boolean } {
  if (capture === undefined) return { bodyTruncated: false };
  const body = capture.bytes();
  return body === undefined ? { bodyTruncated: capture.truncated } : { body, bodyTruncated: capture.truncated };
}

/** The path and query to forward: origin-form as sent, or the path of an absolute-form target; undefined for `*` and the like. */
function originForm(target: string): string | undefined {
  if (target.startsWith("/")) return target;
  if (/^https?:\/\//i.test(target) && URL.canParse(target)) {
    const url = new URL(target);
    return url.pathname + url.search;
  }
  return undefined;
}

function reply(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": body.byteLength });
  res.end(body);
}
