// Live traffic as the tap captures it: one request, production's answer to it and how long
// production took, already redacted. It travels through the traffic stream (JetStream) from the
// tap to the shadow agents, as JSON with bodies in base64.
import { z } from "zod";
import type { RecordedRequest } from "./recorded.js";

/** The traffic stream a tap publishes to when none is named. */
export const DEFAULT_TRAFFIC_STREAM = "traffic";

/** How long a traffic stream keeps exchanges nobody consumed, when the tap or shadow that creates it is not told. */
export const DEFAULT_TRAFFIC_RETAIN = "24h";

/** What the tap captured of one message (request or response). */
export interface CapturedMessage {
  /** Lower-case names in received order; secrets redacted. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Up to the tap's capture limit; absent when the message had no body. */
  readonly body?: Uint8Array;
  /** The body was longer than the capture limit: `body` is its start, and it is never compared. */
  readonly bodyTruncated: boolean;
}

export interface CapturedRequest extends CapturedMessage {
  readonly method: string;
  /** Path and query, starting with "/"; secrets in the query redacted. */
  readonly path: string;
}

export interface CapturedResponse extends CapturedMessage {
  readonly status: number;
}

/** One exchange between a client and production, through the tap. */
export interface CapturedExchange {
  /** Unique per exchange; the stream dedupes re-publishes by it. */
  readonly id: string;
  /** When the request reached the tap, epoch milliseconds. */
  readonly capturedAtMs: number;
  readonly request: CapturedRequest;
  /** Production's answer, or why there was none (`ECONNREFUSED`, `timeout`, ...). */
  readonly response: CapturedResponse | { readonly error: string };
  /** From the request's arrival at the tap to the end of production's answer, as the client saw it (less the tap's own forwarding). */
  readonly latencyMicros: number;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "not base64" });
const headerPairs = z.array(z.tuple([z.string(), z.string()]));
const messageFields = { headers: headerPairs, body: base64.optional(), bodyTruncated: z.boolean() };
const exchangeSchema = z.object({
  type: z.literal("parallax.v1.exchange"),
  id: z.string().min(1),
  capturedAtMs: z.number().nonnegative(),
  request: z.object({ method: z.string().min(1), path: z.string().startsWith("/"), ...messageFields }),
  response: z.union([z.object({ status: z.number().int().min(100).max(999), ...messageFields }), z.object({ error: z.string().min(1) })]),
  latencyMicros: z.number().nonnegative(),
});

function encodeBody(body: Uint8Array | undefined): { body?: string } {
  return body === undefined ? {} : { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64") };
}

function decodeBody(body: string | undefined): { body?: Uint8Array } {
  return body === undefined ? {} : { body: new Uint8Array(Buffer.from(body, "base64")) };
}

export function encodeExchange(exchange: CapturedExchange): Uint8Array {
  const { request, response } = exchange;
  const wire = {
    type: "parallax.v1.exchange",
    id: exchange.id,
    capturedAtMs: exchange.capturedAtMs,
    request: { method: request.method, path: request.path, headers: request.headers, ...encodeBody(request.body), bodyTruncated: request.bodyTruncated },
    response: "error" in response ? { error: response.error } : { status: response.status, headers: response.headers, ...encodeBody(response.body), bodyTruncated: response.bodyTruncated },
    latencyMicros: exchange.latencyMicros,
  };
  return new TextEncoder().encode(JSON.stringify(wire));
}

/** The exchange, or why the bytes are not one (a foreign or corrupt message on the stream). */
export function decodeExchange(bytes: Uint8Array): { readonly ok: true; readonly exchange: CapturedExchange } | { readonly ok: false; readonly error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const parsed = exchangeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".") || "$"}: ${i.message}`).join("; ") };
  const { request, response, ...rest } = parsed.data;
  return {
    ok: true,
    exchange: {
      ...rest,
      request: { method: request.method, path: request.path, headers: request.headers, ...decodeBody(request.body), bodyTruncated: request.bodyTruncated },
      response: "error" in response ? { error: response.error } : { status: response.status, headers: response.headers, ...decodeBody(response.body), bodyTruncated: response.bodyTruncated },
    },
  };
}

/** The captured request as a recording holds it (for `tap --out` and for replay to the candidate). */
export function exchangeRequest(exchange: CapturedExchange, index: number, offsetMs: number): RecordedRequest {
  const { method, path, headers, body } = exchange.request;
  return { index, offsetMs, method, path, headers, ...(body === undefined ? {} : { body }) };
}
