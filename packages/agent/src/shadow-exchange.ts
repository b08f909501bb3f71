// A captured exchange in the shapes the engine and the comparison take: the request to replay to
// the candidate (and secondary), and production's captured answer as an Outcome.
import type { Outcome } from "@parallax/diff";
import { endpointNamer, prepareRequest, type PreparedRequest, type ProtoRegistry } from "@parallax/engine";
import { DEFAULT_REDACTED_HEADERS, REDACTED, exchangeRequest, type CapturedExchange } from "@parallax/protocol";

/** Reasons are report keys (`skipped`): few and stable. */
export const TRUNCATED_REQUEST_REASON = "request body truncated by the tap";
export const UNPREPARABLE_REASON = "captured request cannot be replayed";

/**
 * Captured headers the engine sets itself: the request is sent to another host, and with a body
 * whose length undici states. (The tap already dropped the hop-by-hop ones.)
 */
const ENGINE_HEADERS: ReadonlySet<string> = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "expect"]);
const SECRET_HEADERS: ReadonlySet<string> = new Set(DEFAULT_REDACTED_HEADERS);

export interface ExchangePreparer {
  /** The request as the targets send it; `heldBack` set when it must not be sent at all. */
  prepare(exchange: CapturedExchange, index: number): PreparedRequest;
}

export function exchangePreparer(options: {
  readonly runId: string;
  readonly allowUnsafeProduction: readonly string[];
  readonly endpoints: readonly string[];
  readonly protos?: ProtoRegistry | undefined;
}): ExchangePreparer {
  const name = endpointNamer(options.endpoints);
  const prepareOptions = { runId: options.runId, allowUnsafeProduction: options.allowUnsafeProduction, endpoints: options.endpoints, ...(options.protos ? { protos: options.protos } : {}) };
  return {
    prepare(exchange, index) {
      const recorded = exchangeRequest(exchange, index, 0);
      const headers = recorded.headers.filter(([header]) => !ENGINE_HEADERS.has(header.toLowerCase()));
      const prepared = prepareRequest({ ...recorded, headers }, prepareOptions, name);
      // Only the start of the body was captured: the candidate would answer another request.
      if (prepared.heldBack === undefined && exchange.request.bodyTruncated) return { ...prepared, heldBack: TRUNCATED_REQUEST_REASON };
      return prepared;
    },
  };
}

/**
 * Production's captured answer as the comparison sees a target's: only the compared headers
 * (lower-case, repeats joined with ", ", credentials as present-or-absent, as `HttpTarget` keeps
 * them), the captured body (its start only when `bodyTruncated`), or the error the tap saw.
 */
export function capturedOutcome(response: CapturedExchange["response"], keepHeaders: readonly string[]): Outcome {
  if ("error" in response) return { ok: false, error: response.error };
  const all = new Map<string, string>();
  for (const [header, value] of response.headers) {
    const lower = header.toLowerCase();
    const before = all.get(lower);
    all.set(lower, before === undefined ? value : `${before}, ${value}`);
  }
  const headers: Record<string, string> = {};
  for (const header of keepHeaders) {
    const value = all.get(header);
    if (value !== undefined) headers[header] = SECRET_HEADERS.has(header) ? REDACTED : value;
  }
  return { ok: true, status: response.status, headers, body: response.body ?? new Uint8Array(0), bodyTruncated: response.bodyTruncated };
}
