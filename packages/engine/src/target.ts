import type { Outcome } from "@parallax/diff";
import type { RecordedRequest, TargetName } from "@parallax/protocol";
import type { PreparedGrpcCall } from "./grpc/call.js";

/** A request built once before the run, in the shape every target sends. */
export interface PreparedRequest {
  /** Position in the recording. */
  readonly index: number;
  readonly method: string;
  /** Path and query as recorded (each target prefixes its own base path). */
  readonly path: string;
  /** Flat `[name, value, name, value, ...]`, marker header included, no per-target headers. */
  readonly headers: readonly string[];
  readonly body: Uint8Array | undefined;
  /** Endpoint template the pair is tallied under. */
  readonly endpoint: string;
  /** Set when the request must not be sent at all (e.g. unsafe for production); the reason is counted. */
  readonly heldBack: string | undefined;
  /** The recorded request (already redacted), kept for exemplars. */
  readonly source: RecordedRequest;
  /**
   * Set for a recorded gRPC call, encoded once before the run; `method`, `path`, `headers` and
   * `body` then only describe it (POST to `/service/Method`, metadata as headers, the message's JSON).
   */
  readonly grpc?: PreparedGrpcCall;
}

/** Something a prepared request can be sent to: an HTTP or a gRPC endpoint. */
export interface Target {
  readonly name: TargetName;
  /** Never rejects: transport failures and timeouts come back as `{ ok: false }`. */
  send(request: PreparedRequest): Promise<Outcome>;
  close(): Promise<void>;
}
