// The closed model: fixed concurrency for raw throughput, on autocannon. Each connection sends
// its next request as soon as the previous one answers, so latency here is service time and
// there is no schedule to fall behind; responses are not paired (no diff).
import autocannon from "autocannon";
import type { Outcome } from "@parallax/diff";
import type { TargetName } from "@parallax/protocol";
import { segmentIndices, type Segment } from "@parallax/scenario";
import { sleep, type Clock } from "./clock.js";
import type { Sink } from "./interval-sink.js";
import type { PreparedRequest } from "./target.js";

export interface ClosedTarget {
  readonly name: TargetName;
  readonly url: string;
  readonly timeoutMs: number;
  /** The target's own headers; they replace recorded ones of the same name. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Connect only to these addresses (those an allowlist checked). */
  readonly addresses?: readonly string[];
}

export interface ClosedLoopOptions {
  /** This agent's connections per target. */
  readonly connections: number;
  readonly durationMs: number;
  /** Prepared requests by recording index; every connection cycles through the safe ones. */
  readonly requests: readonly PreparedRequest[];
  /** The agent's share of the recording: held-back requests are counted once, by the agent that owns them. */
  readonly segment: Segment;
  readonly targets: readonly ClosedTarget[];
  readonly sink: Sink;
  readonly clock: Clock;
  readonly startAt: number;
  readonly signal: AbortSignal;
}

/** An answer the closed model does not compare: its status is what counts. */
const UNCOMPARED: Omit<Extract<Outcome, { ok: true }>, "status" | "ok"> = Object.freeze({ headers: {}, body: new Uint8Array(0), bodyTruncated: false });

export async function runClosedLoop(options: ClosedLoopOptions): Promise<{ readonly done: number; readonly notSent: number }> {
  const { requests, sink, clock, signal } = options;
  // A request production may not receive is held back from every target, as in the open model.
  for (const i of segmentIndices(options.segment, requests.length)) {
    const reason = requests[i]?.heldBack;
    if (reason !== undefined) sink.heldBack(reason);
  }
  const safe = requests.filter((r) => r.heldBack === undefined);
  await sleep(options.startAt - clock.now(), signal);
  if (signal.aborted || options.connections === 0 || safe.length === 0) return { done: 0, notSent: 0 };
  await Promise.all(options.targets.map((target) => hammer(target, safe, options)));
  return { done: 0, notSent: 0 };
}

function hammer(target: ClosedTarget, requests: readonly PreparedRequest[], options: ClosedLoopOptions): Promise<void> {
  const { sink, signal } = options;
  const url = new URL(target.url);
  const basePath = url.pathname.replace(/\/+$/, "");
  const host = url.host;
  const pinned = target.addresses?.[0];
  if (pinned !== undefined) url.hostname = pinned.includes(":") ? `[${pinned}]` : pinned;
  const mapped = requests.map((r) => ({
    method: r.method,
    path: basePath + r.path,
    headers: { ...headerObject(r.headers), ...target.headers, host },
    ...(r.body ? { body: Buffer.from(r.body) } : {}),
  }));
  return new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.origin,
        connections: options.connections,
        duration: options.durationMs / 1000,
        timeout: Math.max(1, Math.ceil(target.timeoutMs / 1000)),
        pipelining: 1,
        requests: mapped,
        ...(pinned !== undefined && url.protocol === "https:" ? { servername: new URL(target.url).hostname } : {}),
      },
      (error) => {
        signal.removeEventListener("abort", stop);
        if (error) reject(error);
        else resolve();
      },
    );
    const stop = () => instance.stop();
    signal.addEventListener("abort", stop, { once: true });
    // Progress counts production's requests, as the open model counts pairs.
    const counted = target.name === "production";
    instance.on("response", (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
      if (counted) sink.dispatched(undefined);
      sink.sent(target.name, undefined, -1);
      const micros = responseTimeMs * 1000;
      sink.response(target.name, undefined, { ok: true, status, ...UNCOMPARED }, micros, micros, -1, -1);
    });
    instance.on("reqError", (error: Error) => {
      if (counted) sink.dispatched(undefined);
      sink.sent(target.name, undefined, -1);
      sink.response(target.name, undefined, { ok: false, error: error.message === "request timed out" ? "timeout" : closedErrorKind(error) }, 0, 0, -1, -1);
    });
  });
}

function headerObject(flat: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i] as string] = flat[i + 1] as string;
  return headers;
}

function closedErrorKind(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}
