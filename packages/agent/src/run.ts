import { createTally, type Comparator } from "@parallax/diff";
import { readFileSync } from "node:fs";
import {
  GrpcTarget,
  HttpTarget,
  IntervalSink,
  ProtocolRouter,
  prepareRequests,
  runClosedLoop,
  runOpenLoop,
  type ClosedTarget,
  type Clock,
  type GrpcTlsOptions,
  type PreparedRequest,
  type ProtoRegistry,
  type Target,
} from "@parallax/engine";
import { InvalidInputError, TARGET_NAMES, type DiffTally, type RecordedRequest, type TargetName } from "@parallax/protocol";
import { comparatorFor, warmUpTally } from "./comparison.js";
import { planForRecording, segmentSize, targetProtocol, type Plan, type Scenario, type Segment, type TargetSpec } from "@parallax/scenario";

/** Bodies kept for comparison per response; larger ones are marked truncated and not compared by content. */
export const MAX_COMPARED_BODY_BYTES = 4 * 1024 * 1024;

/** `addressesOf(url)`: when the agent checked the target's URLs, the only addresses each may connect to. */
export type TargetFactory = (name: TargetName, spec: TargetSpec, scenario: Scenario, addressesOf: (url: string) => readonly string[] | undefined) => Target;

/** An HTTP target, a gRPC target, or both behind a router when the target has both URLs. */
export const targetFactory: TargetFactory = (name, spec, scenario, addressesOf) => {
  const http = targetProtocol(spec.url) === "http" ? httpTarget(name, spec, scenario, addressesOf(spec.url)) : undefined;
  const grpc = spec.grpcUrl === undefined ? undefined : grpcTarget(name, spec, spec.grpcUrl, scenario, addressesOf(spec.grpcUrl));
  if (http !== undefined && grpc !== undefined) return new ProtocolRouter(name, { http, grpc });
  const only = http ?? grpc;
  if (only === undefined) throw new Error(`target ${name} has no usable URL (${spec.url})`);
  return only;
};

function httpTarget(name: TargetName, spec: TargetSpec, scenario: Scenario, addresses: readonly string[] | undefined): Target {
  return new HttpTarget({
    name,
    url: spec.url,
    timeoutMs: spec.timeoutMs,
    headers: spec.headers,
    keepHeaders: scenario.compare.headers,
    maxBodyBytes: MAX_COMPARED_BODY_BYTES,
    ...(addresses ? { addresses } : {}),
  });
}

function grpcTarget(name: TargetName, spec: TargetSpec, url: string, scenario: Scenario, addresses: readonly string[] | undefined): Target {
  const tls = spec.tls === undefined ? undefined : readTls(name, spec.tls);
  return new GrpcTarget({
    name,
    url,
    timeoutMs: spec.timeoutMs,
    metadata: spec.headers,
    keepHeaders: scenario.compare.headers,
    maxBodyBytes: MAX_COMPARED_BODY_BYTES,
    ...(tls ? { tls } : {}),
    ...(addresses ? { addresses } : {}),
  });
}

/** TLS files are read where the target is used: each agent from its own disk, so a key never travels. */
export function readTls(name: TargetName, tls: NonNullable<TargetSpec["tls"]>): GrpcTlsOptions {
  const read = (key: "ca" | "cert" | "key"): Uint8Array | undefined => {
    const file = tls[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new InvalidInputError([{ file, location: `targets.${name}.tls.${key}`, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }]);
    }
  };
  const ca = read("ca");
  const cert = read("cert");
  const key = read("key");
  if ((cert === undefined) !== (key === undefined)) throw new InvalidInputError([{ location: `targets.${name}.tls`, message: "cert and key go together (mutual TLS needs both)" }]);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }) };
}

/** One prepared share of a run: everything built before the start instant. */
export class PreparedRun {
  readonly plan: Plan;
  readonly planned: number;
  readonly sink: IntervalSink;
  readonly #targets: Target[];
  readonly #closedTargets: ClosedTarget[];
  readonly #requests: PreparedRequest[];
  readonly #comparator: Comparator;

  constructor(
    readonly runId: string,
    readonly epoch: number,
    readonly scenario: Scenario,
    recording: readonly RecordedRequest[],
    readonly segment: Segment,
    createTarget: TargetFactory,
    /** Keyed by target URL. */
    pinnedAddresses: ReadonlyMap<string, readonly string[]>,
    protos?: ProtoRegistry,
  ) {
    this.plan = planForRecording(scenario.load, recording);
    this.planned = segmentSize(segment, this.plan.total);
    this.#requests = prepareRequests(recording, { runId, allowUnsafeProduction: scenario.compare.allowUnsafeProduction, endpoints: scenario.compare.endpoints, ...(protos ? { protos } : {}) });
    this.#targets = [];
    this.#closedTargets = [];
    for (const name of TARGET_NAMES) {
      const spec = scenario.targets[name];
      if (!spec) continue;
      // The closed model drives its own HTTP connections (autocannon); the open model sends through Targets.
      if (this.plan.kind === "closed") {
        const addresses = pinnedAddresses.get(spec.url);
        this.#closedTargets.push({ name, url: spec.url, timeoutMs: spec.timeoutMs, headers: spec.headers, ...(addresses ? { addresses } : {}) });
      } else this.#targets.push(createTarget(name, spec, scenario, (url) => pinnedAddresses.get(url)));
    }
    this.#comparator = comparatorFor(scenario);
    this.sink = new IntervalSink(
      this.#comparator,
      TARGET_NAMES.filter((name) => scenario.targets[name] !== undefined),
    );
  }

  /**
   * A tally of one synthetic pair per recorded endpoint shape, compared by this run's own rules:
   * what the warm-up pushes through comparing, encoding and validating before the start instant.
   */
  warmUpTally(): DiffTally {
    const request = this.#requests.find((r) => r.heldBack === undefined) ?? this.#requests[0];
    return request === undefined ? createTally() : warmUpTally(this.#comparator, request.endpoint, request.source);
  }

  run(clock: Clock, startAt: number, signal: AbortSignal) {
    if (this.plan.kind === "closed") {
      return runClosedLoop({
        // The connections are split exactly like the request sequence: the shares add up to the whole.
        connections: segmentSize(this.segment, this.plan.connections),
        durationMs: this.plan.durationMs,
        requests: this.#requests,
        segment: this.segment,
        targets: this.#closedTargets,
        sink: this.sink,
        clock,
        startAt,
        signal,
      });
    }
    return runOpenLoop({
      plan: this.plan,
      segment: this.segment,
      requests: this.#requests,
      targets: this.#targets,
      sink: this.sink,
      clock,
      startAt,
      signal,
    });
  }

  /** Opens the targets' connections that can be opened without a request (gRPC channels), before the start instant. */
  async connect(timeoutMs: number): Promise<void> {
    await Promise.all(this.#targets.map((t) => t.connect?.(timeoutMs)));
  }

  async close(): Promise<void> {
    await Promise.all(this.#targets.map((t) => t.close()));
  }
}
