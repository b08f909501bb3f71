// Ground-truth targets: every difference, failure and delay is a pure function of the request
// number n, so an end-to-end test knows the exact counts a run must report.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { REPLAY_MARKER_HEADER } from "@parallax/protocol";
import { closeServer, onceListening } from "./net.js";
import { afterAtLeast, type Cancel } from "./timing.js";

export type GroundTruthRole = "production" | "candidate" | "secondary";

export interface GroundTruthOptions {
  readonly role: GroundTruthRole;
  /** How long the candidate waits before answering a slow request. Default 200. */
  readonly slowDelayMs?: number;
  /** Default "127.0.0.1". */
  readonly host?: string;
}

export interface ReceivedTally {
  total: number;
  byMethod: Record<string, number>;
  /** Keyed by pathname, query string removed (`/predict`, `/items/4`). */
  byPath: Record<string, number>;
  /** Every value of the replay marker header seen. */
  markers: Set<string>;
  /** Every request's headers, for secret checks; the first HEADERS_CAP only. */
  headers: Array<Record<string, string | string[] | undefined>>;
  /** Every request target as received (path and query), for secret checks; the first HEADERS_CAP only. */
  urls: string[];
}

export interface RunningTarget {
  readonly url: string;
  readonly received: ReceivedTally;
  close(): Promise<void>;
}

export interface GroundTruthCase {
  readonly n: number;
  readonly method: "GET" | "POST";
  /** Without query string. */
  readonly path: string;
  /** Present on POSTs. */
  readonly body?: string;
  /** The candidate answers a different label (POSTs only). */
  readonly flip: boolean;
  /** The candidate answers 503 `{"error":"overloaded"}`. */
  readonly fail: boolean;
  /** The candidate waits `slowDelayMs` before answering. */
  readonly slow: boolean;
}

export interface ExpectedCounts {
  readonly flips: number;
  readonly failures: number;
  readonly slow: number;
  readonly posts: number;
  readonly gets: number;
}

export const GROUND_TRUTH_DEFAULTS = Object.freeze({ slowDelayMs: 200, host: "127.0.0.1" });

/** Caps the memory a long run's header log can take. */
export const HEADERS_CAP = 100_000;

/**
 * The formulas, as (modulus, remainder) pairs. They are pairwise disjoint: a flip is 3 mod 10,
 * a failure 7 mod 50 (so 7 mod 10), a slow request 11 mod 20 (so 1 mod 10), a GET 4 mod 5
 * (so 4 or 9 mod 10). Hence every flip, failure and slow request is a POST.
 */
export const GROUND_TRUTH_RULES = Object.freeze({
  get: { modulus: 5, remainder: 4 },
  flip: { modulus: 10, remainder: 3 },
  fail: { modulus: 50, remainder: 7 },
  slow: { modulus: 20, remainder: 11 },
});

const LABELS = ["positive", "negative", "neutral"] as const;
export type GroundTruthLabel = (typeof LABELS)[number];

const RECORDING_START_MS = Date.parse("2025-01-01T00:00:00.000Z");
const MAX_BODY_BYTES = 64 * 1024;

function matches(n: number, rule: { modulus: number; remainder: number }): boolean {
  return n % rule.modulus === rule.remainder;
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** The n-th request of a ground-truth recording (0-based). */
export function groundTruthCase(n: number): GroundTruthCase {
  checkIndex(n, "n");
  const isGet = matches(n, GROUND_TRUTH_RULES.get);
  const base = {
    n,
    flip: !isGet && matches(n, GROUND_TRUTH_RULES.flip),
    fail: !isGet && matches(n, GROUND_TRUTH_RULES.fail),
    slow: !isGet && matches(n, GROUND_TRUTH_RULES.slow),
  };
  return isGet
    ? { ...base, method: "GET", path: `/items/${n}` }
    : { ...base, method: "POST", path: "/predict", body: JSON.stringify({ n, text: `ground truth request ${n}` }) };
}

/** The label `role` answers for POST request n; production and secondary always agree. */
export function groundTruthLabel(n: number, role: GroundTruthRole = "production"): GroundTruthLabel {
  const flip = role === "candidate" && groundTruthCase(n).flip;
  return LABELS[(n + (flip ? 1 : 0)) % LABELS.length] as GroundTruthLabel;
}

/** The score of request n: identical in every role, 4 decimals. */
export function groundTruthScore(n: number): number {
  const residue = ((n % 10007) * 7919) % 10007;
  return Math.round((residue / 10007) * 10_000) / 10_000;
}

/** Number of k in [0, count) with k % modulus === remainder. */
function countResidue(count: number, modulus: number, remainder: number): number {
  return count > remainder ? Math.floor((count - 1 - remainder) / modulus) + 1 : 0;
}

/** Exact counts for a recording of `count` ground-truth requests, in closed form. */
export function expectedCounts(count: number): ExpectedCounts {
  checkIndex(count, "count");
  const { get, flip, fail, slow } = GROUND_TRUTH_RULES;
  const gets = countResidue(count, get.modulus, get.remainder);
  return {
    flips: countResidue(count, flip.modulus, flip.remainder),
    failures: countResidue(count, fail.modulus, fail.remainder),
    slow: countResidue(count, slow.modulus, slow.remainder),
    posts: count - gets,
    gets,
  };
}

/**
 * Parallax JSONL for `count` ground-truth requests, one per line, 1 ms apart. With `secret`, every
 * line carries it in `authorization`, `x-api-key`, and (on GETs) an `access_token` query parameter.
 */
export function groundTruthRecording(count: number, options: { readonly secret?: string } = {}): string {
  checkIndex(count, "count");
  const { secret } = options;
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    const c = groundTruthCase(n);
    const headers: Record<string, string> = { accept: "application/json" };
    if (c.body !== undefined) headers["content-type"] = "application/json";
    if (secret !== undefined) {
      headers["authorization"] = `Bearer ${secret}`;
      headers["x-api-key"] = secret;
    }
    const url = secret !== undefined && c.method === "GET" ? `${c.path}?access_token=${encodeURIComponent(secret)}` : c.path;
    const line: Record<string, unknown> = { method: c.method, url, headers };
    if (c.body !== undefined) line["body"] = c.body;
    line["time"] = new Date(RECORDING_START_MS + n).toISOString();
    lines.push(JSON.stringify(line));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Reads n from the request, or returns undefined when it is not a ground-truth request. */
async function readCaseNumber(req: IncomingMessage, pathname: string): Promise<number | undefined> {
  if (req.method === "GET") {
    const m = /^\/items\/(\d+)$/.exec(pathname);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  }
  if (req.method !== "POST" || pathname !== "/predict") return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const n = typeof parsed === "object" && parsed !== null ? (parsed as { n?: unknown }).n : undefined;
    return typeof n === "number" ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Starts one ground-truth target on an ephemeral port. */
export async function startGroundTruthTarget(options: GroundTruthOptions): Promise<RunningTarget> {
  const role = options.role;
  const slowDelayMs = options.slowDelayMs ?? GROUND_TRUTH_DEFAULTS.slowDelayMs;
  const host = options.host ?? GROUND_TRUTH_DEFAULTS.host;
  if (!["production", "candidate", "secondary"].includes(role)) throw new RangeError(`role must be production, candidate or secondary, got ${String(role)}`);
  if (!Number.isFinite(slowDelayMs) || slowDelayMs < 0) throw new RangeError(`slowDelayMs must be >= 0, got ${slowDelayMs}`);

  const received: ReceivedTally = { total: 0, byMethod: {}, byPath: {}, markers: new Set(), headers: [], urls: [] };
  const pending = new Set<Cancel>();

  const answer = (res: ServerResponse, method: string, n: number): void => {
    // Sub-microsecond precision: two answers never carry the same instant, so `at` differs
    // between any two targets on every request — pure noise. (A millisecond timestamp would
    // differ more often against a slower target, which the noise test rightly calls real.)
    const now = performance.timeOrigin + performance.now();
    if (method === "GET") {
      sendJson(res, 200, { n, item: `item-${n}`, id: randomUUID(), at: now });
      return;
    }
    const c = groundTruthCase(n);
    if (role === "candidate" && c.fail) {
      sendJson(res, 503, { error: "overloaded" });
      return;
    }
    sendJson(res, 200, { n, label: groundTruthLabel(n, role), score: groundTruthScore(n), id: randomUUID(), at: now });
  };

  const server = createServer((req, res) => {
    const target = req.url ?? "/";
    const pathname = target.split("?", 1)[0] ?? "/";
    const method = req.method ?? "GET";
    received.total++;
    bump(received.byMethod, method);
    bump(received.byPath, pathname);
    const marker = req.headers[REPLAY_MARKER_HEADER];
    for (const value of Array.isArray(marker) ? marker : marker === undefined ? [] : [marker]) received.markers.add(value);
    if (received.headers.length < HEADERS_CAP) {
      received.headers.push({ ...req.headers });
      received.urls.push(target);
    }

    readCaseNumber(req, pathname).then(
      (n) => {
        if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
          sendJson(res, req.method === "GET" || req.method === "POST" ? 400 : 405, { error: "not a ground-truth request" });
          return;
        }
        if (role === "candidate" && method === "POST" && groundTruthCase(n).slow && slowDelayMs > 0) {
          const cancel = afterAtLeast(slowDelayMs, () => {
            pending.delete(cancel);
            answer(res, method, n);
          });
          pending.add(cancel);
          return;
        }
        answer(res, method, n);
      },
      () => res.destroy(),
    );
  });

  await onceListening(server, 0, host);
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("ground-truth target has no TCP address");
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    received,
    close() {
      closing ??= (async () => {
        for (const cancel of pending) cancel();
        pending.clear();
        await closeServer(server);
      })();
      return closing;
    },
  };
}
