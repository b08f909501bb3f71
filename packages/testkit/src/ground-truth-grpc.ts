// The gRPC ground-truth target: like ./ground-truth.ts for HTTP, every difference, failure and
// delay is a pure function of the call number n, so an end-to-end test knows the exact counts a
// run against `groundtruth.Classifier` must report.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import {
  Metadata,
  Server,
  ServerCredentials,
  status as Status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { REPLAY_MARKER_HEADER } from "@parallax/protocol";
import { HEADERS_CAP, groundTruthScore, type GroundTruthRole } from "./ground-truth.js";
import { afterAtLeast, type Cancel } from "./timing.js";

/** Absolute path of `protos/groundtruth.proto`, which sits at the package root next to both src/ and dist/. */
export const GRPC_GROUND_TRUTH_PROTO = fileURLToPath(new URL("../protos/groundtruth.proto", import.meta.url));

/** The one service of the proto. */
export const GRPC_GROUND_TRUTH_SERVICE = "groundtruth.Classifier";

export const GRPC_GROUND_TRUTH_DEFAULTS = Object.freeze({ slowDelayMs: 200, host: "127.0.0.1", reflection: false });

/** The unary methods a recording uses; `Watch` (server-streaming) is served but never recorded. */
export type GrpcGroundTruthMethod = "Classify" | "GetItem" | "Record";

/** The server-fault statuses the candidate answers on fail cases. */
export type GrpcFailStatus = "INTERNAL" | "UNAVAILABLE";

export type GrpcGroundTruthLabel = "POSITIVE" | "NEGATIVE" | "NEUTRAL";

export interface GrpcGroundTruthCase {
  readonly n: number;
  readonly method: GrpcGroundTruthMethod;
  /**
   * The request message in proto3 JSON with proto field names throughout (what a client loaded
   * with `keepCase: true` sends). The recording writes a few of them in lowerCamelCase instead.
   */
  readonly message: Readonly<Record<string, unknown>>;
  /** The candidate answers a different label (Classify only). */
  readonly flip: boolean;
  /** The candidate answers `failStatus` (Classify only). */
  readonly fail: boolean;
  /** Present exactly when `fail`. */
  readonly failStatus?: GrpcFailStatus;
  /** The candidate waits `slowDelayMs` before answering (Classify only). */
  readonly slow: boolean;
  /** Every role answers NOT_FOUND with the same message (GetItem only): a status, not an error, and no difference. */
  readonly notFound: boolean;
}

export interface ExpectedGrpcCounts {
  readonly classify: number;
  readonly getItem: number;
  /** Unsafe calls: held back from every target unless the scenario allows `Record`. */
  readonly record: number;
  readonly flips: number;
  /** The candidate's failures, by status name. */
  readonly failures: Readonly<Record<GrpcFailStatus, number>>;
  readonly slow: number;
  /** GetItem calls every role answers NOT_FOUND. */
  readonly notFound: number;
}

export interface GrpcGroundTruthOptions {
  readonly role: GroundTruthRole;
  /** How long the candidate waits before answering a slow call. Default 200. */
  readonly slowDelayMs?: number;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Also serve gRPC server reflection (v1 and v1alpha). Reflection calls are not tallied. Default false. */
  readonly reflection?: boolean;
}

export type GrpcMetadataRecord = Record<string, string | string[]>;

export interface GrpcReceivedTally {
  /** Calls of the Classifier service, whatever their outcome. */
  total: number;
  /** Keyed by method name (`Classify`, `GetItem`, `Record`, `Watch`). */
  byMethod: Record<string, number>;
  /** What this target answered, keyed by status name (`OK`, `NOT_FOUND`, `INVALID_ARGUMENT`, ...). */
  byStatus: Record<string, number>;
  /** Every value of the replay marker metadata seen. */
  markers: Set<string>;
  /** Every call's metadata (`-bin` values base64; a name given twice as an array), for secret checks; the first HEADERS_CAP only. */
  metadata: GrpcMetadataRecord[];
}

export interface RunningGrpcTarget {
  /** `grpc://host:port`. */
  readonly url: string;
  readonly received: GrpcReceivedTally;
  close(): Promise<void>;
}

/**
 * The formulas, as (modulus, remainder) pairs; every modulus divides 100, so n in 0..99 shows
 * every combination. Which method call n is: GetItem when 4 mod 5 (so 4 or 9 mod 10), Record
 * when 2 mod 20 (so 2 mod 10), else Classify. The faults are pairwise disjoint and sit on
 * Classify calls: a flip is 3 mod 10, an INTERNAL 7 mod 100 and an UNAVAILABLE 57 mod 100 (both
 * 7 mod 10), a slow call 11 mod 20 (1 mod 10). NOT_FOUND, from every role, is 9 mod 25 (so 4 mod
 * 5: a GetItem).
 */
export const GRPC_GROUND_TRUTH_RULES = Object.freeze({
  getItem: Object.freeze({ modulus: 5, remainder: 4 }),
  record: Object.freeze({ modulus: 20, remainder: 2 }),
  flip: Object.freeze({ modulus: 10, remainder: 3 }),
  failInternal: Object.freeze({ modulus: 100, remainder: 7 }),
  failUnavailable: Object.freeze({ modulus: 100, remainder: 57 }),
  slow: Object.freeze({ modulus: 20, remainder: 11 }),
  notFound: Object.freeze({ modulus: 25, remainder: 9 }),
});

type Rule = { readonly modulus: number; readonly remainder: number };

const LABELS: readonly GrpcGroundTruthLabel[] = Object.freeze(["POSITIVE", "NEGATIVE", "NEUTRAL"]);
const MODEL_NAME = "gt-classifier";
const MODEL_VERSION = "1.0.0";
const CLIENT_NAME = "parallax-ground-truth";

/**
 * Proto field names the recording writes in lowerCamelCase (proto3 JSON accepts both); the rest
 * stay as in the proto, so each kind of line mixes the two or uses one throughout.
 */
const CAMEL_IN_RECORDING: Readonly<Record<GrpcGroundTruthMethod, Readonly<Record<string, string>>>> = Object.freeze({
  Classify: Object.freeze({ model_name: "modelName" }),
  GetItem: Object.freeze({}),
  Record: Object.freeze({ request_id: "requestId" }),
});

/** Before closing, calls still in flight get this long to finish; then the server is torn down. */
const SHUTDOWN_GRACE_MS = 500;

function matches(n: number, rule: Rule): boolean {
  return n % rule.modulus === rule.remainder;
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

function requestMessage(n: number, method: GrpcGroundTruthMethod): Record<string, unknown> {
  switch (method) {
    case "Classify":
      return {
        n: String(n),
        text: `ground truth call ${n}`,
        // Multiples of 1/8, never -0: exact in float32, and equal after a round trip.
        features: [(n % 8) / 8, 1 + (n % 5) / 8, -1 - (n % 3) / 8],
        model_name: MODEL_NAME,
        options: { top_k: LABELS.length },
      };
    case "GetItem":
      return { item_id: String(n) };
    case "Record":
      return { n: String(n), request_id: `rec-${n}`, payload: Buffer.from(`record ${n}`).toString("base64") };
  }
}

/** The n-th call of a gRPC ground-truth recording (0-based). */
export function grpcGroundTruthCase(n: number): GrpcGroundTruthCase {
  checkIndex(n, "n");
  const R = GRPC_GROUND_TRUTH_RULES;
  const method: GrpcGroundTruthMethod = matches(n, R.getItem) ? "GetItem" : matches(n, R.record) ? "Record" : "Classify";
  const classify = method === "Classify";
  const failStatus: GrpcFailStatus | undefined = !classify ? undefined : matches(n, R.failInternal) ? "INTERNAL" : matches(n, R.failUnavailable) ? "UNAVAILABLE" : undefined;
  const base = {
    n,
    method,
    message: requestMessage(n, method),
    flip: classify && matches(n, R.flip),
    fail: failStatus !== undefined,
    slow: classify && matches(n, R.slow),
    notFound: method === "GetItem" && matches(n, R.notFound),
  };
  return failStatus === undefined ? base : { ...base, failStatus };
}

/** The label `role` answers for Classify call n; production and secondary always agree. */
export function grpcGroundTruthLabel(n: number, role: GroundTruthRole = "production"): GrpcGroundTruthLabel {
  const flip = role === "candidate" && grpcGroundTruthCase(n).flip;
  return LABELS[(n + (flip ? 1 : 0)) % LABELS.length] as GrpcGroundTruthLabel;
}

/** Number of k in [0, count) with k % modulus === remainder. */
function countResidue(count: number, rule: Rule): number {
  return count > rule.remainder ? Math.floor((count - 1 - rule.remainder) / rule.modulus) + 1 : 0;
}

/** Exact counts for a recording of `count` gRPC ground-truth calls, in closed form. */
export function expectedGrpcCounts(count: number): ExpectedGrpcCounts {
  checkIndex(count, "count");
  const R = GRPC_GROUND_TRUTH_RULES;
  const getItem = countResidue(count, R.getItem);
  const record = countResidue(count, R.record);
  return {
    classify: count - getItem - record,
    getItem,
    record,
    flips: countResidue(count, R.flip),
    failures: { INTERNAL: countResidue(count, R.failInternal), UNAVAILABLE: countResidue(count, R.failUnavailable) },
    slow: countResidue(count, R.slow),
    notFound: countResidue(count, R.notFound),
  };
}

function recordedMessage(c: GrpcGroundTruthCase): Record<string, unknown> {
  const renames = CAMEL_IN_RECORDING[c.method];
  return Object.fromEntries(Object.entries(c.message).map(([key, value]) => [renames[key] ?? key, value]));
}

/**
 * Parallax JSONL for `count` ground-truth gRPC calls, one per line, `offsetMs` n. Classify and
 * Record lines give metadata as an object (with an `x-call-bin` entry: n as 4 bytes, base64),
 * GetItem lines as a list of pairs. With `secret`, every line carries it in `authorization`
 * (`Bearer <secret>`) and `x-api-key`.
 */
export function grpcGroundTruthRecording(count: number, options: { readonly secret?: string } = {}): string {
  checkIndex(count, "count");
  const { secret } = options;
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    const c = grpcGroundTruthCase(n);
    const pairs: Array<[string, string]> = [["x-client", CLIENT_NAME]];
    if (secret !== undefined) pairs.push(["authorization", `Bearer ${secret}`], ["x-api-key", secret]);
    let metadata: Record<string, string> | Array<[string, string]> = pairs;
    if (c.method !== "GetItem") {
      const call = Buffer.alloc(4);
      call.writeUInt32BE(n % 2 ** 32);
      metadata = Object.fromEntries([...pairs, ["x-call-bin", call.toString("base64")]]);
    }
    lines.push(JSON.stringify({ type: "grpc", service: GRPC_GROUND_TRUTH_SERVICE, method: c.method, metadata, message: recordedMessage(c), offsetMs: n }));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

// ---- the server ---------------------------------------------------------------------------------

/** How the server decodes requests: proto field names, 64-bit integers and bytes as strings, every field present. */
const LOADER_OPTIONS = Object.freeze({ keepCase: true, longs: String, enums: String, bytes: String, defaults: true });

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function classifyResponse(n: number, role: GroundTruthRole, flip: boolean, instanceId: string): Record<string, unknown> {
  const score = groundTruthScore(n);
  const first = (n + (role === "candidate" && flip ? 1 : 0)) % LABELS.length;
  const scores = [score, round4((1 - score) * 0.6), round4((1 - score) * 0.4)];
  return {
    n: String(n),
    label: LABELS[first],
    score,
    // A flip rotates every label, so it changes $.label and $.topK[0..2].label; scores never change.
    top_k: scores.map((s, i) => ({ label: LABELS[(first + i) % LABELS.length], score: s })),
    model: { name: MODEL_NAME, version: MODEL_VERSION, instance_id: instanceId },
  };
}

function itemResponse(n: number, instanceId: string): Record<string, unknown> {
  return { id: String(n), name: `item-${n}`, tags: ["ground-truth", `shelf-${n % 7}`], dimensions: { width: (n % 13) + 0.5, height: (n % 17) + 0.25 }, instance_id: instanceId };
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function metadataRecord(metadata: Metadata): GrpcMetadataRecord {
  const out: GrpcMetadataRecord = {};
  for (const [name, values] of Object.entries(metadata.toJSON())) {
    const texts = values.map((v) => (typeof v === "string" ? v : Buffer.from(v).toString("base64")));
    out[name] = texts.length === 1 ? (texts[0] as string) : texts;
  }
  return out;
}

/** n from a request's int64 field (a decimal string, as the loader decodes it). */
function callNumber(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

interface StatusError {
  code: Status;
  details: string;
  metadata: Metadata;
}

function statusError(code: Status, details: string): StatusError {
  return { code, details, metadata: new Metadata() };
}

function loadDefinition(): PackageDefinition {
  return loadSync(GRPC_GROUND_TRUTH_PROTO, LOADER_OPTIONS);
}

function bindServer(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
  });
}

/** Starts one gRPC ground-truth target on an ephemeral port. */
export async function startGrpcGroundTruthTarget(options: GrpcGroundTruthOptions): Promise<RunningGrpcTarget> {
  const role = options.role;
  const slowDelayMs = options.slowDelayMs ?? GRPC_GROUND_TRUTH_DEFAULTS.slowDelayMs;
  const host = options.host ?? GRPC_GROUND_TRUTH_DEFAULTS.host;
  if (!["production", "candidate", "secondary"].includes(role)) throw new RangeError(`role must be production, candidate or secondary, got ${String(role)}`);
  if (!Number.isFinite(slowDelayMs) || slowDelayMs < 0) throw new RangeError(`slowDelayMs must be >= 0, got ${slowDelayMs}`);

  const instanceId = randomUUID();
  const received: GrpcReceivedTally = { total: 0, byMethod: {}, byStatus: {}, markers: new Set(), metadata: [] };
  // Slow answers not yet sent, each with the function that sends it now.
  const pending = new Map<Cancel, () => void>();

  const tally = (method: string, metadata: Metadata): void => {
    received.total++;
    bump(received.byMethod, method);
    for (const value of metadata.get(REPLAY_MARKER_HEADER)) received.markers.add(typeof value === "string" ? value : Buffer.from(value).toString("base64"));
    if (received.metadata.length < HEADERS_CAP) received.metadata.push(metadataRecord(metadata));
  };

  const unary = (method: GrpcGroundTruthMethod) => (call: ServerUnaryCall<Record<string, unknown>, unknown>, callback: sendUnaryData<unknown>) => {
    tally(method, call.metadata);
    const fail = (code: Status, details: string): void => {
      bump(received.byStatus, Status[code]);
      callback(statusError(code, details));
    };
    const ok = (response: Record<string, unknown>): void => {
      bump(received.byStatus, "OK");
      callback(null, response);
    };

    const n = callNumber(method === "GetItem" ? call.request["item_id"] : call.request["n"]);
    const c = n === undefined ? undefined : grpcGroundTruthCase(n);
    // The whole message must be the recorded one: a field lost or mangled on the way (a
    // lowerCamelCase name dropped, a float rounded) shows up as INVALID_ARGUMENT, not as a pass.
    if (n === undefined || c === undefined || c.method !== method || !isDeepStrictEqual(call.request, c.message)) {
      fail(Status.INVALID_ARGUMENT, `not ground-truth ${method} call ${n ?? "(no number)"}: the message differs from the recorded one`);
      return;
    }
    if (c.notFound) {
      fail(Status.NOT_FOUND, `item ${n} not found`);
      return;
    }
    if (method === "GetItem") return ok(itemResponse(n, instanceId));
    if (method === "Record") return ok({ n: String(n), accepted: true, instance_id: instanceId });

    const answer = (): void => {
      if (role === "candidate" && c.failStatus !== undefined) fail(Status[c.failStatus], `ground truth: injected ${c.failStatus}`);
      else ok(classifyResponse(n, role, c.flip, instanceId));
    };
    if (role === "candidate" && c.slow && slowDelayMs > 0) {
      const cancel = afterAtLeast(slowDelayMs, () => {
        pending.delete(cancel);
        answer();
      });
      pending.set(cancel, () => fail(Status.UNAVAILABLE, "ground truth: target closing"));
      return;
    }
    answer();
  };

  const watch = (call: ServerWritableStream<Record<string, unknown>, unknown>): void => {
    tally("Watch", call.metadata);
    const n = callNumber(call.request["n"]) ?? 0;
    bump(received.byStatus, "OK");
    call.write({ n: String(n), seq: 0 });
    call.write({ n: String(n), seq: 1 });
    call.end();
  };

  const definition = loadDefinition();
  const service = definition[GRPC_GROUND_TRUTH_SERVICE] as ServiceDefinition;
  const implementation: UntypedServiceImplementation = { Classify: unary("Classify"), GetItem: unary("GetItem"), Record: unary("Record"), Watch: watch };
  const server = new Server();
  server.addService(service, implementation);
  if (options.reflection ?? GRPC_GROUND_TRUTH_DEFAULTS.reflection) new ReflectionService(definition).addToServer(server);

  const bracketed = host.includes(":") ? `[${host}]` : host;
  let port: number;
  try {
    port = await bindServer(server, `${bracketed}:0`);
  } catch (error) {
    server.forceShutdown();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url: `grpc://${bracketed}:${port}`,
    received,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const [cancel, abandon] of pending) {
          cancel();
          abandon();
        }
        pending.clear();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}
