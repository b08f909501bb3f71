import { REDACTED, REPLAY_MARKER_HEADER, SAFE_METHODS, type RecordedRequest } from "@parallax/protocol";
import { declaredEndpoints, matchesUnsafeAllowance } from "@parallax/scenario";
import { endpointTemplate } from "@parallax/diff";
import type { PreparedRequest } from "./target.js";
import { prepareRecordedGrpcCall } from "./grpc/call.js";
import type { ProtoRegistry } from "./grpc/protos.js";

export interface PrepareOptions {
  readonly runId: string;
  /** `METHOD /path-glob` rules that let an unsafe method reach production and secondary. */
  readonly allowUnsafeProduction: readonly string[];
  /** Declared endpoint templates, tried before the automatic templating. */
  readonly endpoints?: readonly string[];
  /** Needed when the recording holds gRPC calls, which it encodes. */
  readonly protos?: ProtoRegistry;
}

/** Declared templates first (`compare.endpoints`), then the automatic one (`GET /users/{id}`). */
export function endpointNamer(templates: readonly string[]): (method: string, pathAndQuery: string) => string {
  const declared = declaredEndpoints(templates);
  return (method, pathAndQuery) => declared(method, pathAndQuery) ?? endpointTemplate(method, pathAndQuery);
}

/**
 * Build every request once, before the run, so the hot path only sends: headers flattened with
 * the replay marker, the endpoint template computed, and the production-safety decision made.
 * A request production may not receive is held back from every target: sending it to the
 * candidate alone would leave nothing to compare it with.
 */
export function prepareRequests(recording: readonly RecordedRequest[], options: PrepareOptions): PreparedRequest[] {
  const name = endpointNamer(options.endpoints ?? []);
  return recording.map((recorded) => prepareRequest(recorded, options, name));
}

export function prepareRequest(recorded: RecordedRequest, options: PrepareOptions, name = endpointNamer(options.endpoints ?? [])): PreparedRequest {
  if (recorded.protocol === "grpc") {
    if (options.protos === undefined) throw new Error(`request ${recorded.index} is a gRPC call, but no protos were given to prepare it with`);
    return prepareRecordedGrpcCall(recorded, options.protos, options);
  }
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
    endpoint: name(recorded.method, recorded.path),
    heldBack: safe ? undefined : heldBackReason(recorded.method),
    source: recorded,
  };
}

/** Reasons are report keys: few and stable, so they group rather than enumerate. */
export function heldBackReason(method: string): string {
  return `unsafe method ${method} not allowed on production`;
}
