import type { Outcome } from "@parallax/diff";
import type { TargetName } from "@parallax/protocol";
import type { PreparedRequest, Target } from "./target.js";

const NO_HTTP: Outcome = Object.freeze({ ok: false, error: "no HTTP URL for this target" });
const NO_GRPC: Outcome = Object.freeze({ ok: false, error: "no gRPC URL for this target" });

/**
 * One target role reached over two protocols, for recordings that mix HTTP requests and gRPC
 * calls: each request goes to the endpoint that speaks its protocol. Validation refuses a
 * recording with requests a target has no URL for, so the `no ... URL` outcomes are a backstop.
 */
export class ProtocolRouter implements Target {
  readonly name: TargetName;
  readonly #http: Target | undefined;
  readonly #grpc: Target | undefined;

  constructor(name: TargetName, targets: { readonly http?: Target; readonly grpc?: Target }) {
    this.name = name;
    this.#http = targets.http;
    this.#grpc = targets.grpc;
  }

  send(request: PreparedRequest): Promise<Outcome> {
    const target = request.grpc === undefined ? this.#http : this.#grpc;
    return target === undefined ? Promise.resolve(request.grpc === undefined ? NO_HTTP : NO_GRPC) : target.send(request);
  }

  /** Connects those of its targets that can, at once. */
  async connect(timeoutMs: number): Promise<void> {
    await Promise.all([this.#http?.connect?.(timeoutMs), this.#grpc?.connect?.(timeoutMs)]);
  }

  async close(): Promise<void> {
    await Promise.all([this.#http?.close(), this.#grpc?.close()]);
  }
}
