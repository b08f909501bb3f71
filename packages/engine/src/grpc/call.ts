// How a recorded gRPC call travels in a `PreparedRequest`, built once before the run: only the
// proto3 JSON → wire conversion needs the protos, so it happens here, once per recorded call; a
// target sends the bytes as they are and never sees the request's JSON.

import { REDACTED, REPLAY_MARKER_HEADER, InvalidInputError, type RecordedRequest } from "@parallax/protocol";
import { matchesGrpcAllowance } from "@parallax/scenario";
import type { PreparedRequest } from "../target.js";
import type { GrpcMethod, ProtoRegistry } from "./protos.js";

export interface PreparedGrpcCall {
  /** A unary method (see `ProtoRegistry.unaryMethod`); it also decodes the response. */
  readonly method: GrpcMethod;
  /** Recorded metadata, lower-case names, replay marker included; `-bin` values as bytes. */
  readonly metadata: ReadonlyArray<readonly [string, string | Buffer]>;
  /** The request message, encoded. */
  readonly message: Buffer;
}


/** A recorded gRPC call, as a `{"type":"grpc", ...}` recording line holds it. */
export interface RecordedGrpcCall {
  /** proto3 JSON. */
  readonly message: unknown;
  /** Names as recorded; `-bin` values base64. Redacted values are not sent. */
  readonly metadata?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
}

/**
 * Metadata a replay must not copy from a recording: HTTP/2 pseudo-headers and connection headers,
 * and `grpc-*`, which gRPC reserves for itself (`grpc-timeout` comes from the target's deadline).
 */
const RESERVED = new Set(["content-type", "content-length", "te", "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "user-agent"]);
const LEGAL_NAME = /^[0-9a-z_.-]+$/;
const LEGAL_VALUE = /^[ -~]*$/;

/**
 * Encode the message and build the metadata of one recorded call to `method`. Throws an
 * `InvalidInputError` for a message that does not fit the request type (location: its JSON path)
 * or metadata gRPC cannot carry; the caller adds the recording's file and line.
 */
export function prepareGrpcCall(method: GrpcMethod, recorded: RecordedGrpcCall, options: { readonly runId: string }): PreparedGrpcCall {
  const metadata: Array<readonly [string, string | Buffer]> = [];
  const entries = recorded.metadata === undefined ? [] : Array.isArray(recorded.metadata) ? recorded.metadata : Object.entries(recorded.metadata);
  for (const [rawName, value] of entries as ReadonlyArray<readonly [string, string]>) {
    const name = rawName.toLowerCase();
    // A redacted credential is not sent at all, as for HTTP: the target's own credentials replace it.
    if (name === REPLAY_MARKER_HEADER || value === REDACTED || name.startsWith(":") || name.startsWith("grpc-") || RESERVED.has(name)) continue;
    if (!LEGAL_NAME.test(name)) throw new InvalidInputError([{ location: `metadata.${rawName}`, message: `"${rawName}" is not a valid gRPC metadata name (lower-case letters, digits, "_", "-", ".")` }]);
    if (name.endsWith("-bin")) {
      metadata.push([name, Buffer.from(value, "base64")]);
    } else {
      if (typeof value !== "string" || !LEGAL_VALUE.test(value)) throw new InvalidInputError([{ location: `metadata.${rawName}`, message: `the value of ${name} must be printable ASCII (binary values go in a "-bin" entry, base64)` }]);
      metadata.push([name, value]);
    }
  }
  metadata.push([REPLAY_MARKER_HEADER, options.runId]);
  return { method, metadata, message: method.encodeRequest(recorded.message) };
}

/**
 * The `PreparedRequest` for a gRPC call, as the open loop sends it. The HTTP-shaped fields
 * describe the call for exemplars: `POST` to the method's path, metadata as headers.
 */
export function preparedGrpcRequest(call: PreparedGrpcCall, source: RecordedRequest, heldBack?: string): PreparedRequest {
  const headers: string[] = [];
  for (const [name, value] of call.metadata) headers.push(name, typeof value === "string" ? value : value.toString("base64"));
  return { index: source.index, method: "POST", path: call.method.path, headers, body: call.message, endpoint: call.method.name, heldBack, source, grpc: call };
}

/** Held-back reasons are report keys: one for every gRPC method production may not receive. */
export const UNSAFE_GRPC_REASON = "gRPC method without a safe idempotency_level not allowed on production";

/**
 * A recorded gRPC call (`RecordedRequest.protocol === "grpc"`) prepared against the protos. It
 * reaches production and secondary only when its proto declares it free of side effects
 * (`idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`) or a `service/method` glob allows it;
 * otherwise it is held back from every target, as an unsafe HTTP request is. Throws an
 * `InvalidInputError` for a call `grpcCallProblem` would refuse.
 */
export function prepareRecordedGrpcCall(recorded: RecordedRequest, protos: ProtoRegistry, options: { readonly runId: string; readonly allowUnsafeProduction: readonly string[] }): PreparedRequest {
  const call = encodeRecordedCall(recorded, protos, options.runId);
  const method = call.method;
  const safe = method.idempotency !== "IDEMPOTENCY_UNKNOWN" || matchesGrpcAllowance(options.allowUnsafeProduction, method.name);
  return preparedGrpcRequest(call, recorded, safe ? undefined : UNSAFE_GRPC_REASON);
}

/**
 * Why a recorded gRPC call cannot be replayed (an unknown service or method, a streaming method,
 * a message that does not fit the request type, metadata gRPC cannot carry), or undefined. The
 * message names the JSON path in the message; the caller adds the recording's file and line.
 */
export function grpcCallProblem(recorded: Pick<RecordedRequest, "path" | "headers" | "body">, protos: ProtoRegistry): string | undefined {
  try {
    encodeRecordedCall(recorded, protos, "check");
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.issues.map((issue) => (issue.location === undefined ? issue.message : `${issue.location}: ${issue.message}`)).join("; ");
  }
}

function encodeRecordedCall(recorded: Pick<RecordedRequest, "path" | "headers" | "body">, protos: ProtoRegistry, runId: string): PreparedGrpcCall {
  const found = protos.unaryMethod(recorded.path);
  if (!found.ok) throw new InvalidInputError([{ message: found.message }]);
  const message: unknown = recorded.body === undefined ? {} : JSON.parse(new TextDecoder().decode(recorded.body));
  return prepareGrpcCall(found.method, { message, metadata: recorded.headers }, { runId });
}
