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
  /**
   * Open the target's connection(s) before the run's start instant, so that the first measured
   * requests do not pay for connection setup; no request reaches the target. Resolves when
   * connected, or once `timeoutMs` has passed if not; never rejects: an unreachable target is not
   * an error here, the run counts its failures. Optional: HttpTarget has none (undici connects on
   * the first request).
   */
  connect?(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
