import type { Outcome } from "@parallax/diff";
import { DEFAULT_REDACTED_HEADERS, REDACTED, type TargetName } from "@parallax/protocol";
import { isIP, type LookupFunction } from "node:net";
import { Pool } from "undici";
import type { PreparedRequest, Target } from "./target.js";

export interface HttpTargetOptions {
  readonly name: TargetName;
  readonly url: string;
  readonly timeoutMs: number;
  /** Extra headers this target gets on every request (credentials from the agent's environment, etc.). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Response headers kept for comparison (lower-case). */
  readonly keepHeaders: readonly string[];
  /** Bodies above this are read to the end but kept only up to it, and marked truncated. */
  readonly maxBodyBytes: number;
  /** Upper bound on connections; the open model otherwise opens what the arrival rate needs. */
  readonly connections?: number;
  /** Connect only to these addresses (those an allowlist checked), whatever DNS answers later. */
  readonly addresses?: readonly string[];
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** HTTP/1.1 target on an undici connection pool. */
export class HttpTarget implements Target {
  readonly name: TargetName;
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #extraHeaders: readonly string[];
  readonly #replacedNames: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #keepHeaders: readonly string[];
  readonly #maxBodyBytes: number;

  constructor(options: HttpTargetOptions) {
    const url = new URL(options.url);
    this.name = options.name;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#pool = new Pool(url.origin, {
      connections: options.connections ?? 512,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      ...(options.addresses?.length ? { connect: { lookup: pinnedLookup(options.addresses) } } : {}),
    });
    const extra = Object.entries(options.headers ?? NO_HEADERS).map(([name, value]) => [name.toLowerCase(), value] as const);
    this.#extraHeaders = extra.flat();
    this.#replacedNames = new Set(extra.map(([name]) => name));
    this.#timeoutMs = options.timeoutMs;
    this.#keepHeaders = options.keepHeaders;
    this.#maxBodyBytes = options.maxBodyBytes;
  }

  async send(request: PreparedRequest): Promise<Outcome> {
    try {
      const response = await this.#pool.request({
        method: request.method as "GET",
        path: this.#basePath + request.path,
        headers: this.#extraHeaders.length ? this.#withTargetHeaders(request.headers) : (request.headers as string[]),
        body: request.body ?? null,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        // undici runs its own timeouts on coarse timers (about a second); a precise one bounds the whole exchange.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const { body, truncated } = await readBounded(response.body, this.#maxBodyBytes);
      return { ok: true, status: response.statusCode, headers: pickHeaders(response.headers, this.#keepHeaders), body, bodyTruncated: truncated };
    } catch (error) {
      return { ok: false, error: errorKind(error) };
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** The target's own headers (credentials from the environment) replace recorded ones of the same name. */
  #withTargetHeaders(recorded: readonly string[]): string[] {
    const headers: string[] = [];
    for (let i = 0; i < recorded.length; i += 2) {
      const name = recorded[i] as string;
      if (!this.#replacedNames.has(name)) headers.push(name, recorded[i + 1] as string);
    }
    headers.push(...this.#extraHeaders);
    return headers;
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/** A `dns.lookup` stand-in that answers with the checked addresses only. */
function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  let next = 0;
  const lookup = (_hostname: string, options: { all?: boolean } | LookupCallback, callback?: LookupCallback): void => {
    const cb = (typeof options === "function" ? options : callback) as LookupCallback;
    if (typeof options === "object" && options.all) return cb(null, entries);
    const entry = entries[next++ % entries.length] as { address: string; family: number };
    cb(null, entry.address, entry.family);
  };
  return lookup as unknown as LookupFunction;
}

async function readBounded(stream: AsyncIterable<Buffer>, limit: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    if (size >= limit) {
      truncated = true;
      continue; // drain so the connection can be reused
    }
    const room = limit - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = limit;
      truncated = true;
    } else {
      chunks.push(chunk);
      size += chunk.length;
    }
  }
  return { body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), truncated };
}

const SECRET_HEADERS = new Set(DEFAULT_REDACTED_HEADERS);

/** Compared headers only; a credential (e.g. `set-cookie`) is kept as present-or-absent, never as its value. */
function pickHeaders(headers: Record<string, string | string[] | undefined>, keep: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of keep) {
    const value = headers[name];
    if (value === undefined) continue;
    picked[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(", ") : value;
  }
  return picked;
}

/** UND_ERR_ABORTED too: the only signal a request carries is its own timeout. */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT", "UND_ERR_ABORTED"]);

/** A short, stable name for a transport failure: `timeout`, `ECONNREFUSED`, `ECONNRESET`, ... */
export function errorKind(error: unknown): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  const name = (error as { name?: unknown })?.name;
  if (name === "TimeoutError") return "timeout";
  if (typeof code === "string") {
    if (TIMEOUT_CODES.has(code)) return "timeout";
    if (code === "UND_ERR_SOCKET") return "socket closed";
    return code;
  }
  return error instanceof Error ? error.name : "unknown error";
}
