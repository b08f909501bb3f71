import type { Outcome } from "@parallax/diff";
import { DEFAULT_REDACTED_HEADERS, InvalidInputError, REDACTED, type TargetName } from "@parallax/protocol";
import { Client, Metadata, connectivityState, status as Status, type StatusObject } from "@grpc/grpc-js";
import type { PreparedRequest, Target } from "../target.js";
import type { PreparedGrpcCall } from "./call.js";
import { channelFor } from "./channel.js";
import { GRPC_OK, grpcStatusName, normalizeGrpcCode, outcomeStatusOf } from "./status.js";

export interface GrpcTlsOptions {
  /** PEM roots to trust instead of the system's. */
  readonly ca?: Uint8Array;
  /** PEM client certificate and key, for mutual TLS. */
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
  /** Name the server certificate must carry (and SNI), when it is not the URL's host. */
  readonly serverName?: string;
}

export interface GrpcTargetOptions {
  readonly name: TargetName;
  /** `grpc://host:port` (HTTP/2 without TLS) or `grpcs://host:port` (TLS); no path. */
  readonly url: string;
  /** The deadline of every call, from the moment it is sent. */
  readonly timeoutMs: number;
  /** Metadata this target gets on every call (credentials from the agent's environment); replaces recorded entries of the same name. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** For `grpcs://`; without it, the system roots and the URL's host are used. */
  readonly tls?: GrpcTlsOptions;
  /** Response metadata (initial and trailing) kept as headers for comparison, lower-case. */
  readonly keepHeaders: readonly string[];
  /** JSON bodies above this are kept only up to it, and marked truncated. */
  readonly maxBodyBytes: number;
  /**
   * Largest response message accepted, default `GRPC_TARGET_DEFAULTS.maxMessageBytes` (64 MiB,
   * not grpc-js' 4 MiB: model servers answer with large tensors); a larger one is
   * `{ ok: false, error: "response too large" }`.
   */
  readonly maxMessageBytes?: number;
  /** Connect only to these addresses (those an allowlist checked), whatever DNS answers later. */
  readonly addresses?: readonly string[];
}

export const GRPC_TARGET_DEFAULTS = Object.freeze({ maxMessageBytes: 64 * 1024 * 1024 });

/** Our own deadline firing vs a DEADLINE_EXCEEDED the server sent: a status this close to the deadline is ours. */
const DEADLINE_SLACK_MS = 10;
const SECRET_HEADERS = new Set(DEFAULT_REDACTED_HEADERS);
const NOT_GRPC: Outcome = Object.freeze({ ok: false, error: "not a gRPC call" });
const MALFORMED: Outcome = Object.freeze({ ok: false, error: "malformed response" });
/**
 * The details grpc-js gives the RESOURCE_EXHAUSTED it makes up when a response exceeds the
 * receive limit (as sent, or once decompressed); the limit is the last number. A server that
 * refuses a request too large for it sends the same words, but with its own limit.
 */
const TOO_LARGE = /^Received message (?:larger than max \(\d+ vs (\d+)\)|that decompresses to a size larger than (\d+))$/;
const passThrough = (bytes: Buffer): Buffer => bytes;

/**
 * Unary gRPC calls on one grpc-js channel (one HTTP/2 connection per address), reused for the
 * whole run. What `send` returns:
 * - a status from the server (OK or not): `ok: true`, `status` from `outcomeStatusOf` (200,
 *   46x, 56x; see status.ts), header `grpc-status: <NAME>`, and as body the response in canonical
 *   proto3 JSON (OK) or `{"code": <n>, "message": "<details>"}` (google.rpc.Status without
 *   details) otherwise, UTF-8, so the JSON diff compares it;
 * - our deadline passing: `{ ok: false, error: "timeout" }`, as for HTTP;
 * - no connection (refused, unreachable, TLS handshake failed, name not resolved): `ok: false`
 *   with the errno HTTP would report (`ECONNREFUSED`, `ENOTFOUND`, ...) when grpc-js names one,
 *   else `UNAVAILABLE`;
 * - an OK response without a message, or one that does not decode as the method's response type:
 *   `{ ok: false, error: "malformed response" }`;
 * - a response above `maxMessageBytes`: `{ ok: false, error: "response too large" }` (grpc-js
 *   reports it as RESOURCE_EXHAUSTED, but no server said so);
 * - CANCELLED: `{ ok: false, error: "cancelled" }`. Parallax never cancels a call but by its
 *   deadline, so a CANCELLED is grpc-js' word for a connection that went away mid-call (a target
 *   killed or restarted), or a proxy's for the same, not an answer to compare.
 * Retries are off (`grpc.enable_retries: 0`): a recorded call reaches a target at most once.
 */
export class GrpcTarget implements Target {
  readonly name: TargetName;
  readonly #client: Client;
  readonly #timeoutMs: number;
  readonly #extraMetadata: ReadonlyArray<readonly [string, string]>;
  readonly #replacedNames: ReadonlySet<string>;
  readonly #keepHeaders: readonly string[];
  readonly #maxBodyBytes: number;
  readonly #maxMessageBytes: number;

  constructor(options: GrpcTargetOptions) {
    const maxMessageBytes = options.maxMessageBytes ?? GRPC_TARGET_DEFAULTS.maxMessageBytes;
    const { target, channelCredentials, channelOptions } = channelFor({ ...options, maxMessageBytes });
    this.#maxMessageBytes = maxMessageBytes;
    this.name = options.name;
    this.#timeoutMs = options.timeoutMs;
    this.#extraMetadata = Object.entries(options.metadata ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const);
    try {
      for (const [name, value] of this.#extraMetadata) new Metadata().add(name, value);
    } catch (error) {
      throw new InvalidInputError([{ location: `targets.${options.name}.metadata`, message: error instanceof Error ? error.message : String(error) }]);
    }
    this.#client = new Client(target, channelCredentials, channelOptions);
    this.#replacedNames = new Set(this.#extraMetadata.map(([name]) => name));
    this.#keepHeaders = options.keepHeaders;
    this.#maxBodyBytes = options.maxBodyBytes;
  }

  send(request: PreparedRequest): Promise<Outcome> {
    const call = request.grpc;
    if (call === undefined) return Promise.resolve(NOT_GRPC);
    return new Promise<Outcome>((resolve) => {
      try {
        const deadline = Date.now() + this.#timeoutMs;
        let response: Buffer | undefined;
        let initial: Metadata | undefined;
        const unary = this.#client.makeUnaryRequest<Buffer, Buffer>(call.method.path, passThrough, passThrough, call.message, this.#metadataFor(call), { deadline }, (_error, value) => {
          response = value;
        });
        if (this.#keepHeaders.length > 0) unary.on("metadata", (metadata: Metadata) => (initial = metadata));
        // Emitted after the callback, with the trailers, for every way a call ends.
        unary.on("status", (status: StatusObject) => resolve(this.#outcome(call, status, response, initial, deadline)));
      } catch (error) {
        resolve({ ok: false, error: error instanceof Error ? error.message : "unknown error" });
      }
    });
  }

  /**
   * Bring the channel to READY (name resolved, TCP and TLS connected, HTTP/2 settings exchanged)
   * without sending a call, so the first calls of the run do not pay for it. Resolves once READY,
   * or at `timeoutMs` if it is not (an unreachable target waits the whole timeout; with several
   * pinned addresses, READY is the first one connected); never rejects: the run counts a target's
   * failures, this does not.
   */
  connect(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      try {
        this.#client.waitForReady(Date.now() + timeoutMs, () => resolve());
      } catch {
        resolve();
      }
    });
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  #metadataFor(call: PreparedGrpcCall): Metadata {
    const metadata = new Metadata();
    for (const [name, value] of call.metadata) if (!this.#replacedNames.has(name)) metadata.add(name, value);
    for (const [name, value] of this.#extraMetadata) metadata.add(name, value);
    return metadata;
  }

  #outcome(call: PreparedGrpcCall, status: StatusObject, response: Buffer | undefined, initial: Metadata | undefined, deadline: number): Outcome {
    const code = normalizeGrpcCode(status.code);
    let json: string;
    if (code === GRPC_OK) {
      // OK without a message breaks the protocol as much as bytes that do not decode.
      if (response === undefined) return MALFORMED;
      try {
        json = JSON.stringify(call.method.decodeResponse(response));
      } catch {
        return MALFORMED;
      }
    } else {
      const failure = this.#transportFailure(code, status.details, deadline);
      if (failure !== undefined) return { ok: false, error: failure };
      json = JSON.stringify({ code, message: status.details });
    }
    const bytes = Buffer.from(json, "utf8");
    const truncated = bytes.length > this.#maxBodyBytes;
    return { ok: true, status: outcomeStatusOf(code), statusName: grpcStatusName(code), headers: this.#headers(code, initial, status.metadata), body: truncated ? bytes.subarray(0, this.#maxBodyBytes) : bytes, bodyTruncated: truncated };
  }

  /** A status grpc-js made up because no server answered, as an error kind; undefined for a server's status. */
  #transportFailure(code: number, details: string, deadline: number): string | undefined {
    if (code === Status.DEADLINE_EXCEEDED && Date.now() >= deadline - DEADLINE_SLACK_MS) return "timeout";
    if (code === Status.CANCELLED) return "cancelled";
    if (code === Status.RESOURCE_EXHAUSTED) {
      const limit = TOO_LARGE.exec(details);
      return limit !== null && Number(limit[1] ?? limit[2]) === this.#maxMessageBytes ? "response too large" : undefined;
    }
    if (code !== Status.UNAVAILABLE) return undefined;
    // A server's UNAVAILABLE comes over a READY channel; a refused or lost connection leaves it in
    // TRANSIENT_FAILURE or IDLE, and grpc-js says so in the details.
    const connected = this.#client.getChannel().getConnectivityState(false) === connectivityState.READY;
    if (connected && !details.startsWith("No connection established")) return undefined;
    if (details.startsWith("Name resolution failed")) return "ENOTFOUND";
    return /\b(E[A-Z][A-Z0-9_]{2,})\b/.exec(details)?.[1] ?? "UNAVAILABLE";
  }

  #headers(code: number, initial: Metadata | undefined, trailers: Metadata | undefined): Record<string, string> {
    const headers: Record<string, string> = { "grpc-status": grpcStatusName(code) };
    for (const name of this.#keepHeaders) {
      if (name === "grpc-status") continue;
      const values = [...(initial?.get(name) ?? []), ...(trailers?.get(name) ?? [])];
      if (values.length === 0) continue;
      headers[name] = SECRET_HEADERS.has(name) ? REDACTED : values.map((v) => (typeof v === "string" ? v : v.toString("base64"))).join(", ");
    }
    return headers;
  }
}
