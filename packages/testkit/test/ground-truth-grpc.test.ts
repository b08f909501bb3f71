import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Metadata, credentials, loadPackageDefinition, type Client, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { REPLAY_MARKER_HEADER } from "@parallax/protocol";
import {
  GRPC_GROUND_TRUTH_PROTO,
  GRPC_GROUND_TRUTH_RULES,
  GRPC_GROUND_TRUTH_SERVICE,
  expectedGrpcCounts,
  grpcGroundTruthCase,
  grpcGroundTruthLabel,
  grpcGroundTruthRecording,
  groundTruthScore,
  startGrpcGroundTruthTarget,
  type ExpectedGrpcCounts,
  type RunningGrpcTarget,
} from "../src/index.js";

type Rule = { readonly modulus: number; readonly remainder: number };

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Two residue classes meet iff their remainders agree modulo the gcd of their moduli (CRT). */
function intersect(a: Rule, b: Rule): boolean {
  return (a.remainder - b.remainder) % gcd(a.modulus, b.modulus) === 0;
}

function countByIteration(count: number): ExpectedGrpcCounts {
  const c = { classify: 0, getItem: 0, record: 0, flips: 0, failures: { INTERNAL: 0, UNAVAILABLE: 0 }, slow: 0, notFound: 0 };
  for (let n = 0; n < count; n++) {
    const x = grpcGroundTruthCase(n);
    if (x.method === "Classify") c.classify++;
    else if (x.method === "GetItem") c.getItem++;
    else c.record++;
    if (x.flip) c.flips++;
    if (x.failStatus !== undefined) c.failures[x.failStatus]++;
    if (x.slow) c.slow++;
    if (x.notFound) c.notFound++;
  }
  return c;
}

describe("grpcGroundTruthCase and expectedGrpcCounts", () => {
  test("the fault rules are pairwise disjoint, and so are the method rules", () => {
    const { getItem, record, flip, failInternal, failUnavailable, slow, notFound } = GRPC_GROUND_TRUTH_RULES;
    const faults = { flip, failInternal, failUnavailable, slow, notFound };
    for (const [a, ra] of Object.entries(faults)) {
      for (const [b, rb] of Object.entries(faults)) if (a < b) assert.equal(intersect(ra, rb), false, `${a} and ${b} overlap`);
    }
    assert.equal(intersect(getItem, record), false);
    // Flip, fail and slow never hit a GetItem or a Record; NOT_FOUND is only ever a GetItem.
    for (const rule of [flip, failInternal, failUnavailable, slow]) assert.equal(intersect(rule, getItem) || intersect(rule, record), false);
    assert.equal(notFound.modulus % getItem.modulus === 0 && notFound.remainder % getItem.modulus === getItem.remainder, true);
  });

  test("cases agree with the rules: flags are disjoint and on the documented methods", () => {
    for (let n = 0; n < 10_000; n++) {
      const c = grpcGroundTruthCase(n);
      assert.ok(Number(c.flip) + Number(c.fail) + Number(c.slow) + Number(c.notFound) <= 1, `n=${n} is in more than one set`);
      if (c.flip || c.fail || c.slow) assert.equal(c.method, "Classify", `n=${n}`);
      if (c.notFound) assert.equal(c.method, "GetItem", `n=${n}`);
      assert.equal(c.fail, c.failStatus !== undefined, `n=${n}`);
      assert.equal("failStatus" in c, c.fail, `n=${n}: failStatus present only on fail cases`);
    }
  });

  test("expectedGrpcCounts gives the documented figures, and agrees with iteration up to 1000", () => {
    assert.deepEqual(expectedGrpcCounts(300), { classify: 225, getItem: 60, record: 15, flips: 30, failures: { INTERNAL: 3, UNAVAILABLE: 3 }, slow: 15, notFound: 12 });
    assert.deepEqual(expectedGrpcCounts(1000), { classify: 750, getItem: 200, record: 50, flips: 100, failures: { INTERNAL: 10, UNAVAILABLE: 10 }, slow: 50, notFound: 40 });
    for (let count = 0; count <= 1000; count++) assert.deepEqual(expectedGrpcCounts(count), countByIteration(count), `count ${count}`);
    assert.throws(() => expectedGrpcCounts(-1), RangeError);
    assert.throws(() => grpcGroundTruthCase(1.5), RangeError);
  });

  test("cases follow the documented formulas", () => {
    assert.deepEqual(grpcGroundTruthCase(3), {
      n: 3,
      method: "Classify",
      message: { n: "3", text: "ground truth call 3", features: [0.375, 1.375, -1], model_name: "gt-classifier", options: { top_k: 3 } },
      flip: true,
      fail: false,
      slow: false,
      notFound: false,
    });
    assert.deepEqual(grpcGroundTruthCase(4), { n: 4, method: "GetItem", message: { item_id: "4" }, flip: false, fail: false, slow: false, notFound: false });
    assert.equal(grpcGroundTruthCase(2).method, "Record");
    assert.equal(grpcGroundTruthCase(12).method, "Classify");
    assert.equal(grpcGroundTruthCase(7).failStatus, "INTERNAL");
    assert.equal(grpcGroundTruthCase(57).failStatus, "UNAVAILABLE");
    assert.equal(grpcGroundTruthCase(107).failStatus, "INTERNAL");
    assert.equal(grpcGroundTruthCase(11).slow, true);
    assert.equal(grpcGroundTruthCase(9).notFound, true);
    assert.equal(grpcGroundTruthCase(34).notFound, true);
    assert.equal(grpcGroundTruthCase(14).notFound, false);
  });

  test("labels differ from production exactly on flips", () => {
    for (let n = 0; n < 500; n++) {
      assert.equal(grpcGroundTruthLabel(n, "secondary"), grpcGroundTruthLabel(n, "production"));
      assert.equal(grpcGroundTruthLabel(n, "candidate") !== grpcGroundTruthLabel(n, "production"), grpcGroundTruthCase(n).flip, `n=${n}`);
    }
  });
});

describe("grpcGroundTruthRecording", () => {
  const SECRET = "grpc-s3cr3t";

  test("every line is a gRPC recording line matching its case, with proto and lowerCamelCase names", () => {
    const text = grpcGroundTruthRecording(40);
    assert.ok(text.endsWith("\n"));
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 40);
    lines.forEach((line, n) => {
      const c = grpcGroundTruthCase(n);
      const parsed = JSON.parse(line) as { type: string; service: string; method: string; metadata: unknown; message: Record<string, unknown>; offsetMs: number };
      assert.deepEqual(Object.keys(parsed), ["type", "service", "method", "metadata", "message", "offsetMs"]);
      assert.equal(parsed.type, "grpc");
      assert.equal(parsed.service, GRPC_GROUND_TRUTH_SERVICE);
      assert.equal(parsed.method, c.method);
      assert.equal(parsed.offsetMs, n);
      const snake = Object.fromEntries(Object.entries(parsed.message).map(([k, v]) => [k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`), v]));
      assert.deepEqual(snake, c.message, `n=${n}`);
      if (c.method === "GetItem") {
        assert.deepEqual(parsed.metadata, [["x-client", "parallax-ground-truth"]]);
      } else {
        const call = Buffer.alloc(4);
        call.writeUInt32BE(n);
        assert.deepEqual(parsed.metadata, { "x-client": "parallax-ground-truth", "x-call-bin": call.toString("base64") });
      }
    });
    const first = JSON.parse(lines[0] as string) as { message: Record<string, unknown> };
    assert.deepEqual(Object.keys(first.message), ["n", "text", "features", "modelName", "options"]);
    assert.deepEqual(first.message["options"], { top_k: 3 });
    assert.equal(first.message["n"], "0");
    const record = JSON.parse(lines[2] as string) as { message: Record<string, unknown> };
    assert.deepEqual(Object.keys(record.message), ["n", "requestId", "payload"]);
    assert.equal(grpcGroundTruthRecording(0), "");
  });

  test("with a secret, every line carries it in authorization and x-api-key, and nowhere else", () => {
    const lines = grpcGroundTruthRecording(10, { secret: SECRET }).trimEnd().split("\n");
    for (const line of lines) {
      const parsed = JSON.parse(line) as { metadata: Record<string, string> | Array<[string, string]>; message: unknown };
      const metadata = Array.isArray(parsed.metadata) ? Object.fromEntries(parsed.metadata) : parsed.metadata;
      assert.equal(metadata["authorization"], `Bearer ${SECRET}`);
      assert.equal(metadata["x-api-key"], SECRET);
      assert.equal(line.split(SECRET).length - 1, 2);
    }
  });
});

// ---- real calls ---------------------------------------------------------------------------------

interface CallResult {
  readonly code: number;
  readonly details?: string;
  readonly response?: Record<string, unknown>;
}

type UnaryMethod = (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response?: Record<string, unknown>) => void) => void;

function classifierClient(url: string): Client {
  const definition = loadSync(GRPC_GROUND_TRUTH_PROTO, { keepCase: true, longs: String, enums: String, bytes: String, defaults: true });
  const pkg = loadPackageDefinition(definition) as unknown as { groundtruth: { Classifier: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client } };
  return new pkg.groundtruth.Classifier(url.replace(/^grpc:\/\//, ""), credentials.createInsecure());
}

function call(client: Client, method: string, request: unknown, entries: ReadonlyArray<readonly [string, string | Buffer]> = []): Promise<CallResult> {
  const metadata = new Metadata();
  for (const [name, value] of entries) metadata.add(name, value);
  const fn = (client as unknown as Record<string, UnaryMethod>)[method];
  assert.ok(fn, `client has no method ${method}`);
  return new Promise((resolve) => {
    fn.call(client, request, metadata, (error, response) => {
      resolve(error ? { code: error.code, details: error.details } : { code: 0, ...(response === undefined ? {} : { response }) });
    });
  });
}

const OK = 0;
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const SLOW_MS = 150;

describe("startGrpcGroundTruthTarget", { timeout: 20_000 }, () => {
  let production: RunningGrpcTarget;
  let candidate: RunningGrpcTarget;
  let secondary: RunningGrpcTarget;
  const clients: Client[] = [];
  let p: Client;
  let c: Client;
  let s: Client;

  before(async () => {
    [production, candidate, secondary] = await Promise.all([
      startGrpcGroundTruthTarget({ role: "production" }),
      startGrpcGroundTruthTarget({ role: "candidate", slowDelayMs: SLOW_MS }),
      startGrpcGroundTruthTarget({ role: "secondary" }),
    ]);
    [p, c, s] = [production, candidate, secondary].map((t) => classifierClient(t.url)) as [Client, Client, Client];
    clients.push(p, c, s);
  });

  after(async () => {
    for (const client of clients) client.close();
    await Promise.all([production?.close(), candidate?.close(), secondary?.close()]);
  });

  const message = (n: number): unknown => grpcGroundTruthCase(n).message;

  test("urls are grpc://127.0.0.1 on distinct ports", () => {
    for (const t of [production, candidate, secondary]) assert.match(t.url, /^grpc:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(new Set([production.url, candidate.url, secondary.url]).size, 3);
  });

  test("Classify: production and secondary agree except the per-process instance id", async () => {
    const [a, b, a2] = await Promise.all([call(p, "Classify", message(0)), call(s, "Classify", message(0)), call(p, "Classify", message(5))]);
    assert.equal(a.code, OK);
    assert.equal(b.code, OK);
    const ra = a.response as { n: string; label: string; score: number; top_k: Array<{ label: string; score: number }>; model: { instance_id: string; name: string } };
    const rb = b.response as typeof ra;
    assert.equal(ra.n, "0");
    assert.equal(ra.label, grpcGroundTruthLabel(0));
    assert.equal(ra.score, groundTruthScore(0));
    assert.equal(ra.top_k[0]?.label, ra.label);
    assert.deepEqual(ra.top_k.map((x) => x.label).sort(), ["NEGATIVE", "NEUTRAL", "POSITIVE"]);
    assert.notEqual(ra.model.instance_id, rb.model.instance_id);
    assert.deepEqual({ ...ra, model: { ...ra.model, instance_id: "" } }, { ...rb, model: { ...rb.model, instance_id: "" } });
    // The instance id is per process, not per call.
    assert.equal((a2.response as typeof ra).model.instance_id, ra.model.instance_id);
  });

  test("Classify: the candidate flips the label (and rotates top_k labels) on flip cases only", async () => {
    for (const n of [3, 5, 13]) {
      const [a, b] = await Promise.all([call(p, "Classify", message(n)), call(c, "Classify", message(n))]);
      const ra = a.response as { label: string; score: number; top_k: Array<{ label: string; score: number }> };
      const rb = b.response as typeof ra;
      const flip = grpcGroundTruthCase(n).flip;
      assert.equal(rb.label, grpcGroundTruthLabel(n, "candidate"));
      assert.equal(rb.label !== ra.label, flip, `n=${n}`);
      assert.equal(rb.score, ra.score);
      assert.deepEqual(rb.top_k.map((x) => x.score), ra.top_k.map((x) => x.score));
      assert.deepEqual(rb.top_k.map((x) => x.label), flip ? [...ra.top_k.slice(1), ra.top_k[0]].map((x) => x?.label) : ra.top_k.map((x) => x.label));
    }
  });

  test("Classify: the candidate fails with INTERNAL or UNAVAILABLE on fail cases; production answers", async () => {
    const results = await Promise.all([call(c, "Classify", message(7)), call(c, "Classify", message(57)), call(p, "Classify", message(7)), call(s, "Classify", message(57))]);
    assert.deepEqual(results.map((r) => r.code), [INTERNAL, UNAVAILABLE, OK, OK]);
    assert.equal(results[0]?.details, "ground truth: injected INTERNAL");
  });

  test("Classify: the candidate waits slowDelayMs on slow cases", async () => {
    const started = performance.now();
    const [slow, other] = await Promise.all([call(c, "Classify", message(11)), call(p, "Classify", message(11))]);
    assert.equal(slow.code, OK);
    assert.equal(other.code, OK);
    assert.ok(performance.now() - started >= SLOW_MS - 5, "the slow answer came early");
  });

  test("GetItem: an item, or NOT_FOUND with the same message from every role", async () => {
    const found = await call(p, "GetItem", message(4));
    assert.equal(found.code, OK);
    assert.equal(found.response?.["id"], "4");
    assert.equal(found.response?.["name"], "item-4");
    const missing = await Promise.all([p, c, s].map((client) => call(client, "GetItem", message(9))));
    assert.deepEqual(missing, [0, 1, 2].map(() => ({ code: NOT_FOUND, details: "item 9 not found" })));
  });

  test("Record answers when called (holding it back is the run's job); Watch streams two events", async () => {
    const record = await call(c, "Record", message(2));
    assert.equal(record.code, OK);
    assert.equal(record.response?.["accepted"], true);
    const events = await new Promise<unknown[]>((resolve, reject) => {
      const stream = (s as unknown as { Watch: (request: unknown) => NodeJS.ReadableStream }).Watch({ n: "8" });
      const seen: unknown[] = [];
      stream.on("data", (event: unknown) => seen.push(event));
      stream.on("end", () => resolve(seen));
      stream.on("error", reject);
    });
    assert.deepEqual(events, [{ n: "8", seq: 0 }, { n: "8", seq: 1 }]);
  });

  test("a message that is not the recorded one is INVALID_ARGUMENT, not a pass", async () => {
    const results = await Promise.all([
      call(p, "Classify", { ...grpcGroundTruthCase(3).message, model_name: "" }),
      call(p, "Classify", { ...grpcGroundTruthCase(3).message, features: [0.1, 1.375, -1] }),
      call(p, "Classify", { ...grpcGroundTruthCase(4).message, n: "4" }),
      call(p, "GetItem", { item_id: "3" }),
      call(p, "Record", { n: "2" }),
    ]);
    assert.deepEqual(results.map((r) => r.code), [INVALID_ARGUMENT, INVALID_ARGUMENT, INVALID_ARGUMENT, INVALID_ARGUMENT, INVALID_ARGUMENT]);
  });

  test("received tallies methods, statuses, replay markers and metadata", async () => {
    const target = await startGrpcGroundTruthTarget({ role: "candidate", slowDelayMs: 0 });
    const client = classifierClient(target.url);
    try {
      const bin = Buffer.from([0, 0, 0, 7]);
      const meta = [[REPLAY_MARKER_HEADER, "run-42"], ["authorization", "Bearer tally-secret"], ["x-call-bin", bin]] as const;
      const results = await Promise.all([
        call(client, "Classify", message(0), meta),
        call(client, "Classify", message(7), meta),
        call(client, "Classify", message(57), meta),
        call(client, "Classify", message(11), meta),
        call(client, "GetItem", message(9), meta),
        call(client, "GetItem", message(4)),
        call(client, "Record", message(2)),
      ]);
      assert.deepEqual(results.map((r) => r.code), [OK, INTERNAL, UNAVAILABLE, OK, NOT_FOUND, OK, OK]);
      assert.equal(target.received.total, 7);
      assert.deepEqual(target.received.byMethod, { Classify: 4, GetItem: 2, Record: 1 });
      assert.deepEqual(target.received.byStatus, { OK: 4, INTERNAL: 1, UNAVAILABLE: 1, NOT_FOUND: 1 });
      assert.deepEqual([...target.received.markers], ["run-42"]);
      assert.equal(target.received.metadata.length, 7);
      const marked = target.received.metadata.filter((m) => m[REPLAY_MARKER_HEADER] === "run-42");
      assert.equal(marked.length, 5);
      for (const m of marked) {
        assert.equal(m["authorization"], "Bearer tally-secret");
        assert.equal(m["x-call-bin"], bin.toString("base64"));
      }
    } finally {
      client.close();
      await target.close();
    }
  });

  test("close() is prompt with a slow call in flight, which ends UNAVAILABLE", async () => {
    const target = await startGrpcGroundTruthTarget({ role: "candidate", slowDelayMs: 60_000 });
    const client = classifierClient(target.url);
    try {
      const inFlight = call(client, "Classify", message(11));
      while (target.received.total === 0) await new Promise((r) => setTimeout(r, 5));
      await target.close();
      const result = await inFlight;
      assert.equal(result.code, UNAVAILABLE);
      assert.deepEqual(target.received.byStatus, { UNAVAILABLE: 1 });
      await target.close(); // idempotent
    } finally {
      client.close();
    }
  });

  test("rejects a bad role or delay", async () => {
    await assert.rejects(startGrpcGroundTruthTarget({ role: "nobody" as "production" }), RangeError);
    await assert.rejects(startGrpcGroundTruthTarget({ role: "candidate", slowDelayMs: -1 }), RangeError);
  });
});

describe("startGrpcGroundTruthTarget with reflection", { timeout: 20_000 }, () => {
  /** The reflection v1 proto shipped with @grpc/reflection, and the protobufjs copy proto-loader decodes with. */
  const require = createRequire(import.meta.url);
  const reflectionRoot = join(dirname(require.resolve("@grpc/reflection")), "..", "proto");
  const protobufRequire = createRequire(require.resolve("@grpc/proto-loader"));
  const descriptors = protobufRequire("protobufjs/ext/descriptor") as {
    FileDescriptorProto: { decode(bytes: Uint8Array): { name: string; service: Array<{ name: string; method: Array<{ name: string; options: { idempotencyLevel?: number } | null }> }> } };
  };

  async function reflect(url: string, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const definition = loadSync(join(reflectionRoot, "grpc/reflection/v1/reflection.proto"), { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
    type Bidi = NodeJS.ReadWriteStream & { end(): void; write(message: unknown): boolean };
    const pkg = loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client & { ServerReflectionInfo(): Bidi } } } };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(url.replace(/^grpc:\/\//, ""), credentials.createInsecure());
    try {
      return await new Promise((resolve, reject) => {
        const stream = client.ServerReflectionInfo();
        stream.on("data", (response: Record<string, unknown>) => {
          resolve(response);
          stream.end();
        });
        stream.on("error", reject);
        stream.write(request);
      });
    } finally {
      client.close();
    }
  }

  test("lists the service and serves its descriptor with the idempotency options", async () => {
    const target = await startGrpcGroundTruthTarget({ role: "production", reflection: true });
    try {
      const listed = (await reflect(target.url, { list_services: "" })) as { list_services_response?: { service: Array<{ name: string }> } };
      const names = listed.list_services_response?.service.map((x) => x.name) ?? [];
      assert.ok(names.includes(GRPC_GROUND_TRUTH_SERVICE), `services: ${names.join(", ")}`);

      const file = (await reflect(target.url, { file_containing_symbol: GRPC_GROUND_TRUTH_SERVICE })) as { file_descriptor_response?: { file_descriptor_proto: Buffer[] } };
      const protos = (file.file_descriptor_response?.file_descriptor_proto ?? []).map((bytes) => descriptors.FileDescriptorProto.decode(bytes));
      const service = protos.flatMap((p) => p.service).find((x) => x.name === "Classifier");
      assert.ok(service, "no Classifier in the descriptors");
      const levels = Object.fromEntries(service.method.map((m) => [m.name, m.options?.idempotencyLevel ?? null]));
      // google.protobuf.MethodOptions.IdempotencyLevel: NO_SIDE_EFFECTS = 1, IDEMPOTENT = 2.
      assert.deepEqual(levels, { Classify: 1, GetItem: 2, Record: null, Watch: null });
      // Reflection calls are not tallied.
      assert.equal(target.received.total, 0);
    } finally {
      await target.close();
    }
  });

  test("without reflection: true, no reflection service", async () => {
    const target = await startGrpcGroundTruthTarget({ role: "production" });
    try {
      await assert.rejects(reflect(target.url, { list_services: "" }), (error: ServiceError) => error.code === 12);
    } finally {
      await target.close();
    }
  });
});
