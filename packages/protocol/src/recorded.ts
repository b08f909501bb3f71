/** One captured request, normalised from any traffic format and already redacted. */
export interface RecordedRequest {
  /** Position in the recording, 0-based. Segments and loops are counted in these. */
  readonly index: number;
  /** Milliseconds after the first request of the recording; 0 when the source has no times. */
  readonly offsetMs: number;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path and query string, starting with "/"; the origin is dropped (each target supplies its own). */
  readonly path: string;
  /** Lower-case names in recorded order; hop-by-hop, pseudo and replaced headers removed; secrets redacted. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Raw body bytes, absent when the request had none. */
  readonly body?: Uint8Array;
  /**
   * Set for a recorded unary gRPC call. Then `method` is `POST`, `path` is `/service/Method` (the
   * HTTP/2 path), `headers` are its metadata (`-bin` values base64) and `body` is the request
   * message as UTF-8 proto3 JSON: the protos turn it into wire bytes when the run is prepared.
   */
  readonly protocol?: "grpc";
}

/** The value that replaces a redacted secret everywhere. */
export const REDACTED = "[REDACTED]";

/** Header added to every replayed request so a recorder never captures its own traffic. */
export const REPLAY_MARKER_HEADER = "x-parallax-replay";

/**
 * Headers that carry credentials: redacted at ingest by every traffic reader, and in responses
 * before anything keeps them (exemplars, reports).
 */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = Object.freeze(["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]);
