// Test parts: an upstream whose answers are a pure function of the request (and which counts
// what it receives), a raw HTTP client, and a publish function that keeps decoded exchanges.
import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { decodeExchange, type CapturedExchange } from "@parallax/protocol";

export interface Upstream {
  readonly url: string;
  readonly origin: string;
  /** Requests received per `id` query parameter (or per path when there is none). */
  readonly received: Map<string, number>;
  /** What the upstream saw of each request, by id. */
  readonly seen: Map<string, SeenRequest>;
  close(): Promise<void>;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** Deterministic bytes: byte i of stream `seed` is (i * 31 + seed * 7) mod 256, every value 0..255 appears. */
export function patternBytes(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) % 256;
  return out;
}

export const SECRET_JSON = { user: "ada", access_token: "live-token", nested: { password: "hunter2", keep: 1 } };

/**
 * Routes (all take `?id=` to count requests by):
 *   /bytes?n=N[&seed=S]        N pattern bytes, with content-length
 *   /chunked?n=N&chunks=K      N pattern bytes in K writes, no content-length
 *   /cookies                   repeated set-cookie and mixed-case headers, interleaved
 *   /status?code=C             status C, no body (204, 304) or a short one
 *   /delay?ms=M                answers after M ms
 *   /stall-headers             never answers
 *   /stall-body                sends headers and half a body, then stalls
 *   /break-body                sends headers and half a body, then resets the connection
 *   /secret                    JSON with secrets, a session cookie and a location with a token
 *   /gzip                      gzip'd JSON with a secret
 *   /echo                      200 with what it received, as JSON
 */
export async function startUpstream(): Promise<Upstream> {
  const received = new Map<string, number>();
  const seen = new Map<string, SeenRequest>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://upstream");
      const id = url.searchParams.get("id") ?? url.pathname;
      received.set(id, (received.get(id) ?? 0) + 1);
      const body = Buffer.concat(chunks);
      seen.set(id, { method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders, body });
      answer(url, req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    origin,
    received,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(url: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const n = Number(url.searchParams.get("n") ?? "0");
  const seed = Number(url.searchParams.get("seed") ?? "1");
  switch (url.pathname) {
    case "/bytes": {
      const bytes = patternBytes(n, seed);
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.byteLength, "X-Seed": String(seed) });
      res.end(bytes);
      return;
    }
    case "/chunked": {
      const bytes = patternBytes(n, seed);
      const chunks = Number(url.searchParams.get("chunks") ?? "4");
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const size = Math.ceil(bytes.byteLength / chunks);
      for (let i = 0; i < bytes.byteLength; i += size) res.write(bytes.subarray(i, i + size));
      res.end();
      return;
    }
    case "/cookies":
      res.writeHead(200, "Fine Thanks", ["Set-Cookie", "a=1; Path=/", "X-Mixed-Case", "One", "set-cookie", "b=2; HttpOnly", "X-Mixed-Case", "Two", "Content-Type", "text/plain", "Content-Length", "2"]);
      res.end("ok");
      return;
    case "/status": {
      const code = Number(url.searchParams.get("code") ?? "200");
      res.writeHead(code, { "x-code": String(code), ...(code === 304 ? { etag: '"v1"' } : {}) });
      res.end(code === 204 || code === 304 ? undefined : `status ${code}\n`);
      return;
    }
    case "/delay":
      setTimeout(() => res.end("late\n"), Number(url.searchParams.get("ms") ?? "0"));
      return;
    case "/stall-headers":
      return;
    case "/stall-body":
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": 100 });
      res.write(patternBytes(50));
      return;
    case "/break-body":
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": 100 });
      res.write(patternBytes(50), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
      return;
    case "/secret":
      res.writeHead(302, ["Content-Type", "application/json", "Set-Cookie", "session=live-session; HttpOnly", "Location", "/callback?code=abc&token=live-location-token", "X-Api-Key", "live-key"]);
      res.end(JSON.stringify(SECRET_JSON));
      return;
    case "/gzip":
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON.stringify(SECRET_JSON)));
      return;
    case "/echo":
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, bodyLength: body.byteLength, sha256: sha256(body) }));
      return;
    default:
      res.writeHead(404);
      res.end();
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface RawResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  /** The response ended normally (not cut off). */
  readonly complete: boolean;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders | readonly string[];
  /** Sent in one piece with content-length, or in pieces (chunked) when an array. */
  readonly body?: Buffer | readonly Buffer[];
  readonly signal?: AbortSignal;
}

/** One request on a fresh connection (no agent pooling, so tests stay independent); never rejects on a cut response. */
export function send(base: string, path: string, options: SendOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: options.method ?? "GET", headers: options.headers as OutgoingHttpHeaders, agent: false, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      const done = (complete: boolean): void =>
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? "", rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), complete });
      res.on("end", () => done(res.complete));
      res.on("error", () => done(false));
      res.on("aborted", () => done(false));
    });
    req.on("error", reject);
    const body = options.body;
    if (Array.isArray(body)) {
      for (const piece of body as readonly Buffer[]) req.write(piece);
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Connection-level headers differ per hop by design; everything else must match. */
const PER_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "date"]);

export function endToEndHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!PER_HOP.has((raw[i] as string).toLowerCase())) out.push(raw[i] as string, raw[i + 1] as string);
  return out;
}

/** A publish function that decodes what it is given, as a shadow agent would. */
export function collectingPublish(): { readonly exchanges: CapturedExchange[]; readonly publish: (data: Uint8Array, id: string) => Promise<void> } {
  const exchanges: CapturedExchange[] = [];
  return {
    exchanges,
    publish: async (data, id) => {
      const decoded = decodeExchange(data);
      if (!decoded.ok) throw new Error(`undecodable exchange: ${decoded.error}`);
      if (decoded.exchange.id !== id) throw new Error(`id ${id} does not match the exchange's ${decoded.exchange.id}`);
      exchanges.push(decoded.exchange);
    },
  };
}

/** Resolves once `check` holds, polling; rejects after `ms`. */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function headerValues(headers: ReadonlyArray<readonly [string, string]>, name: string): string[] {
  return headers.filter(([n]) => n === name).map(([, v]) => v);
}

export type { Server };
