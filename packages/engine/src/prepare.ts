import { endpointTemplate } from "@parallax/diff";
import { REDACTED, REPLAY_MARKER_HEADER, SAFE_METHODS, type RecordedRequest } from "@parallax/protocol";
import { matchesUnsafeAllowance } from "@parallax/scenario";
import type { PreparedRequest } from "./target.js";

export interface PrepareOptions {
  readonly runId: string;
  /** `METHOD /path-glob` rules that let an unsafe method reach production and secondary. */
  readonly allowUnsafeProduction: readonly string[];
}

/**
 * Build every request once, before the run, so the hot path only sends: headers flattened with
 * the replay marker, the endpoint template computed, and the production-safety decision made.
 * A request production may not receive is held back from every target: sending it to the
 * candidate alone would leave nothing to compare it with.
 */
export function prepareRequests(recording: readonly RecordedRequest[], options: PrepareOptions): PreparedRequest[] {
  return recording.map((recorded) => prepareRequest(recorded, options));
}

export function prepareRequest(recorded: RecordedRequest, options: PrepareOptions): PreparedRequest {
  const headers: string[] = [];
  for (const [name, value] of recorded.headers) {
    // A redacted credential is not sent at all: "[REDACTED]" would only earn a 401 on both sides.
    if (name === REPLAY_MARKER_HEADER || value === REDACTED) continue;
    headers.push(name, value);
  }
  headers.push(REPLAY_MARKER_HEADER, options.runId);
  const safe = SAFE_METHODS.has(recorded.method) || matchesUnsafeAllowance(options.allowUnsafeProduction, recorded.method, recorded.path);
  return {
    index: recorded.index,
    method: recorded.method,
    path: recorded.path,
    headers,
    body: recorded.body,
    endpoint: endpointTemplate(recorded.method, recorded.path),
    heldBack: safe ? undefined : heldBackReason(recorded.method),
    source: recorded,
  };
}

/** Reasons are report keys: few and stable, so they group rather than enumerate. */
export function heldBackReason(method: string): string {
  return `unsafe method ${method} not allowed on production`;
}
