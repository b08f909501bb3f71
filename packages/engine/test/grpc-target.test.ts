import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { InvalidInputError, type RecordedRequest } from "@parallax/protocol";
import { prepareGrpcCall, preparedGrpcRequest } from "../src/grpc/call.js";
import { GrpcTarget, type GrpcTargetOptions } from "../src/grpc/grpc-target.js";
import { loadProtos, type GrpcMethod, type ProtoRegistry } from "../src/grpc/protos.js";
import { GRPC_STATUS_NAMES, isServerFault, outcomeStatusOf } from "../src/grpc/status.js";
import type { PreparedRequest } from "../src/target.js";

const FIXTURES = resolve(fileURLToPath(new URL("./fixtures/grpc", import.meta.url)));
const IMPORTS = join(FIXTURES, "imports");
const SOURCES = { files: ["inference.proto"], importPaths: [FIXTURES, IMPORTS] };
const INFER = "inference.GRPCInferenceService/ModelInfer";
const decoder = new TextDecoder();

// ---- a model server whose answer is a pure function of the request --------------------------------

interface Tensor { name: string; datatype: string; shape: string[]; contents?: { fp32_contents?: number[] } }
interface InferRequest { model_name: string; id: string; inputs: Tensor[]; raw_input_contents: Buffer[] }

/** `model_name` picks the behaviour; otherwise the output is the sum of the fp32 inputs, the raw input reversed, and the metadata echoed. */
function modelInfer(call: ServerUnaryCall<InferRequest, unknown>, callback: sendUnaryData<unknown>): void {
  const request = call.request;
  const fail = (code: status, details: string) => callback({ code, details, metadata: new Metadata() });
  switch (request.model_name) {
    case "unavailable":
      return fail(status.UNAVAILABLE, "model is warming up");
    case "internal":
      return fail(status.INTERNAL, "tensor shape mismatch");
    case "invalid":
      return fail(status.INVALID_ARGUMENT, "unknown input");
    case "slow":
      setTimeout(() => callback(null, { model_name: "slow" }), 1000).unref();
      return;
  }
  const sum = request.inputs.flatMap((t) => t.contents?.fp32_contents ?? []).reduce((a, b) => a + b, 0);
  const echo = (name: string) => ({ string_param: call.metadata.get(name).join("|") });
  const initial = new Metadata();
  initial.set("x-model-version", "7");
  initial.set("set-cookie", "session=server-secret");
  call.sendMetadata(initial);
  const trailer = new Metadata();
  trailer.set("x-trace", `trace-${request.id}`);
  callback(
    null,
    {
      model_name: request.model_name,
      id: request.id,
      parameters: { tenant: echo("x-tenant"), auth: echo("authorization"), marker: echo("x-parallax-replay"), session: echo("x-session-bin") },
      outputs: [{ name: "sum", datatype: "FP32", shape: ["1"], contents: { fp32_contents: [sum], int64_contents: ["9007199254740993"] } }],
      raw_output_contents: request.raw_input_contents.map((b) => Buffer.from(b).reverse()),
      precision: "FP16",
    },
    trailer,
  );
}

/** The server reads and writes messages with @grpc/proto-loader, independently of the code under test. */
function serviceDefinition(): ServiceDefinition {
  const definition = loadSync("inference.proto", { includeDirs: [FIXTURES, IMPORTS], keepCase: true, longs: String, enums: String });
  const service = definition["inference.GRPCInferenceService"] as ServiceDefinition;
  const infer = service["ModelInfer"] as ServiceDefinition[string];
  // "garbage" gets bytes that are no ModelInferResponse (a field tag with wire type 7).
  const serialize = infer.responseSerialize;
  return { ...service, ModelInfer: { ...infer, responseSerialize: (value: { model_name?: string }) => (value.model_name === "garbage" ? Buffer.from([0x0f, 0xff]) : serialize(value)) } };
}

async function startServer(credentials = ServerCredentials.createInsecure()): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(serviceDefinition(), {
    ModelInfer: (call: ServerUnaryCall<InferRequest, unknown>, callback: sendUnaryData<unknown>) => {
      if (call.request.model_name === "garbage") return callback(null, { model_name: "garbage" });
      modelInfer(call, callback);
    },
  });
  const port = await new Promise<number>((ok, fail) => server.bindAsync("127.0.0.1:0", credentials, (error, p) => (error ? fail(error) : ok(p))));
  return { server, port };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise((ok) => probe.close(ok));
  return port;
}

const SOURCE: RecordedRequest = { index: 0, offsetMs: 0, method: "POST", path: `/${INFER}`, headers: [] };

function inferRequest(registry: ProtoRegistry, message: Record<string, unknown>, metadata: Record<string, string> = {}): PreparedRequest {
  const found = registry.unaryMethod(INFER);
  assert.ok(found.ok);
  return preparedGrpcRequest(prepareGrpcCall(found.method, { message, metadata }, { runId: "run-1" }), SOURCE);
}

const MESSAGE = {
  model_name: "adder",
  id: "req-7",
  inputs: [
    { name: "a", datatype: "FP32", shape: [1, "2"], contents: { fp32_contents: [1.5, 2.25] } },
    { name: "b", datatype: "FP32", shape: ["1"], contents: { fp32Contents: [4] } },
  ],
  rawInputContents: ["AQID"],
};

const EMPTY_CONTENTS = { boolContents: [], intContents: [], int64Contents: [], uintContents: [], uint64Contents: [], fp32Contents: [], fp64Contents: [], bytesContents: [] };

// ---- the proto registry ------------------------------------------------------------------------

describe("loadProtos", () => {
  const registry = loadProtos(SOURCES);

  it("finds methods by service/method, with their kind and declared idempotency", () => {
    const kinds = Object.fromEntries(registry.methods().map((m) => [m.name, [m.kind, m.idempotency]]));
    assert.deepEqual(kinds, {
      "inference.GRPCInferenceService/ServerLive": ["unary", "NO_SIDE_EFFECTS"],
      "inference.GRPCInferenceService/ModelReady": ["unary", "IDEMPOTENT"],
      "inference.GRPCInferenceService/ModelInfer": ["unary", "IDEMPOTENCY_UNKNOWN"],
      "inference.GRPCInferenceService/ModelStreamInfer": ["bidi-streaming", "IDEMPOTENCY_UNKNOWN"],
      "inference.GRPCInferenceService/ModelWatch": ["server-streaming", "IDEMPOTENCY_UNKNOWN"],
    });
    const infer = registry.lookup(`/${INFER}`);
    assert.ok(infer.ok);
    assert.equal(infer.method.path, `/${INFER}`);
    assert.equal(infer.method.requestType, "inference.ModelInferRequest");
  });

  it("loads protos that import well-known types and declare custom method options", () => {
    const clock = loadProtos({ files: ["options.proto"], importPaths: [FIXTURES] }).unaryMethod("custom.Clock/Now");
    assert.ok(clock.ok);
    assert.equal(clock.method.idempotency, "NO_SIDE_EFFECTS");
    assert.deepEqual(clock.method.decodeResponse(clock.method.encodeRequest({ seconds: "1700000000", nanos: 5 })), { seconds: "1700000000", nanos: 5 });
  });

  it("refuses an unknown service, an unknown method and a streaming method, each in one line", () => {
    assert.deepEqual(registry.unaryMethod("inference.Nope/ModelInfer"), {
      ok: false,
      reason: "unknown-service",
      message: 'unknown gRPC service "inference.Nope" (the protos define inference.GRPCInferenceService)',
    });
    assert.deepEqual(registry.unaryMethod("inference.GRPCInferenceService/ModelInfr"), {
      ok: false,
      reason: "unknown-method",
      message: 'gRPC service inference.GRPCInferenceService has no method "ModelInfr" (it has ServerLive, ModelReady, ModelInfer, ModelStreamInfer, ModelWatch)',
    });
    assert.deepEqual(registry.unaryMethod("inference.GRPCInferenceService/ModelStreamInfer"), {
      ok: false,
      reason: "streaming",
      message: "inference.GRPCInferenceService/ModelStreamInfer is a bidi-streaming method; only unary gRPC methods can be replayed",
    });
    assert.equal(registry.unaryMethod("inference.GRPCInferenceService/ModelWatch").ok, false);
    assert.equal(registry.unaryMethod("ModelInfer").ok, false);
  });

  it("reports a syntax error, a missing file and a missing import as one issue naming the file", () => {
    const issue = (sources: Parameters<typeof loadProtos>[0]) => {
      try {
        loadProtos(sources);
      } catch (error) {
        assert.ok(error instanceof InvalidInputError);
        assert.equal(error.issues.length, 1);
        assert.equal(error.message.includes("\n"), false);
        return error.message;
      }
      assert.fail("loadProtos should have thrown");
    };
    assert.equal(issue({ files: ["broken.proto"], importPaths: [FIXTURES] }), `${join(FIXTURES, "broken.proto")}:7: illegal token 'int32', ';' expected`);
    assert.equal(issue({ files: ["missing.proto"], importPaths: [FIXTURES] }), `missing.proto: proto file not found (import paths: ${FIXTURES})`);
    assert.equal(issue({ files: ["inference.proto"], importPaths: [FIXTURES] }), `${join(FIXTURES, "inference.proto")}: import "common/tensor.proto" not found (import paths: ${FIXTURES})`);
    // Read last is common/tensor.proto; the type that does not resolve is in unresolved.proto.
    assert.equal(
      issue({ files: ["unresolved.proto", "inference.proto"], importPaths: [FIXTURES, IMPORTS] }),
      `${join(FIXTURES, "unresolved.proto")}: unresolved.Request.thing: no such Type or Enum 'Missing' in Type .unresolved.Request`,
    );
  });

  it("reads proto3 JSON with proto or JSON field names alike, and rejects what it would otherwise drop", () => {
    const found = registry.unaryMethod(INFER);
    assert.ok(found.ok);
    const method: GrpcMethod = found.method;
    const snake = method.encodeRequest({ model_name: "m", inputs: [{ shape: ["9007199254740993"], contents: { fp32_contents: [1] } }], raw_input_contents: ["AQI"] });
    const camel = method.encodeRequest({ modelName: "m", inputs: [{ shape: ["9007199254740993"], contents: { fp32Contents: [1] } }], rawInputContents: ["AQI="] });
    assert.deepEqual(snake, camel);
    const problem = (message: unknown) => {
      try {
        method.encodeRequest(message);
      } catch (error) {
        assert.ok(error instanceof InvalidInputError);
        return error.message;
      }
      assert.fail("encodeRequest should have thrown");
    };
    assert.equal(problem({ inputs: [{ nmae: "a" }] }), '$.inputs[0].nmae: inference.ModelInferRequest.InferInputTensor has no field "nmae"');
    assert.equal(problem({ inputs: [{ shape: [1, 2.5] }] }), "$.inputs[0].shape[1]: expected int64 for field shape (got 2.5)");
    assert.equal(problem({ id: 7 }), "$.id: expected a string for field id (got 7)");
    assert.equal(problem({ model_name: "a", modelName: "b" }), "$.modelName: field modelName of inference.ModelInferRequest is given twice");
    assert.equal(problem({ parameters: { p: { bool_param: true, string_param: "x" } } }), '$.parameters.p.string_param: "string_param" and "bool_param" are both set, but only one field of oneof parameterChoice can be');
    assert.equal(problem({ raw_input_contents: ["not base64!"] }), "$.raw_input_contents[0]: expected base64 for bytes field rawInputContents");
    assert.equal(problem([]), "$: expected a JSON object for inference.ModelInferRequest (got an array)");
  });
});

// ---- the target, against real servers ------------------------------------------------------------

describe("GrpcTarget", () => {
  const registry = loadProtos(SOURCES);
  const servers: Server[] = [];
  const targets: GrpcTarget[] = [];
  let port = 0;
  const target = (options: Partial<GrpcTargetOptions> = {}) => {
    const t = new GrpcTarget({ name: "candidate", url: `grpc://127.0.0.1:${port}`, timeoutMs: 2000, keepHeaders: [], maxBodyBytes: 1 << 20, ...options });
    targets.push(t);
    return t;
  };

  before(async () => {
    const started = await startServer();
    servers.push(started.server);
    port = started.port;
  });
  after(async () => {
    await Promise.all(targets.map((t) => t.close()));
    for (const server of servers) server.forceShutdown();
  });

  it("returns the response as canonical proto3 JSON, with the recorded and the target's metadata sent", async () => {
    const t = target({ metadata: { authorization: "Bearer target-token" }, keepHeaders: ["x-model-version", "x-trace", "set-cookie", "x-absent"] });
    const request = inferRequest(registry, MESSAGE, { "X-Tenant": "acme", authorization: "[REDACTED]", "x-parallax-replay": "old", "grpc-timeout": "1S", "x-session-bin": "AAEC" });
    const outcome = await t.send(request);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.status, 200);
    assert.equal(outcome.statusName, "OK");
    // Initial metadata and trailers alike; a credential as present, never its value.
    assert.deepEqual(outcome.headers, { "grpc-status": "OK", "x-model-version": "7", "x-trace": "trace-req-7", "set-cookie": "[REDACTED]" });
    assert.equal(outcome.bodyTruncated, false);
    assert.deepEqual(JSON.parse(decoder.decode(outcome.body)), {
      modelName: "adder",
      modelVersion: "",
      id: "req-7",
      parameters: {
        tenant: { stringParam: "acme" },
        auth: { stringParam: "Bearer target-token" },
        marker: { stringParam: "run-1" },
        // The server echoes a binary value as its Buffer's text: bytes 0, 1, 2.
        session: { stringParam: "\u0000\u0001\u0002" },
      },
      outputs: [{ name: "sum", datatype: "FP32", shape: ["1"], parameters: {}, contents: { ...EMPTY_CONTENTS, fp32Contents: [7.75], int64Contents: ["9007199254740993"] } }],
      rawOutputContents: ["AwIB"],
      precision: "FP16",
    });
  });

  it("keeps a server's non-OK status as a response: 46x for the caller's faults, 56x for the server's", async () => {
    const t = target();
    const cases = [
      ["unavailable", 574, "UNAVAILABLE", 14, "model is warming up"],
      ["internal", 573, "INTERNAL", 13, "tensor shape mismatch"],
      ["invalid", 463, "INVALID_ARGUMENT", 3, "unknown input"],
    ] as const;
    for (const [model, code, name, grpcCode, details] of cases) {
      const outcome = await t.send(inferRequest(registry, { model_name: model }));
      assert.ok(outcome.ok, `${model}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.status, code);
      assert.equal(outcome.statusName, name);
      assert.deepEqual(outcome.headers, { "grpc-status": name });
      assert.deepEqual(JSON.parse(decoder.decode(outcome.body)), { code: grpcCode, message: details });
    }
  });

  it("reports a passed deadline as a timeout, and no connection with HTTP's error kinds", async () => {
    const slow = await target({ timeoutMs: 150 }).send(inferRequest(registry, { model_name: "slow" }));
    assert.deepEqual(slow, { ok: false, error: "timeout" });
    const down = target({ url: `grpc://127.0.0.1:${await freePort()}` });
    const refused = await down.send(inferRequest(registry, MESSAGE));
    assert.deepEqual(refused, { ok: false, error: "ECONNREFUSED" });
    // `.invalid` never resolves.
    assert.deepEqual(await target({ url: "grpc://parallax.invalid:1" }).send(inferRequest(registry, MESSAGE)), { ok: false, error: "ENOTFOUND" });
  });

  it("cuts a body above maxBodyBytes, refuses a non-gRPC request and an undecodable response", async () => {
    const small = await target({ maxBodyBytes: 16 }).send(inferRequest(registry, MESSAGE));
    assert.ok(small.ok);
    assert.equal(small.bodyTruncated, true);
    assert.equal(decoder.decode(small.body), '{"outputs":[{"sh');
    const t = target();
    assert.deepEqual(await t.send({ ...SOURCE, body: undefined, headers: [], endpoint: "POST /", heldBack: undefined, source: SOURCE }), { ok: false, error: "not a gRPC call" });
    assert.deepEqual(await t.send(inferRequest(registry, { model_name: "garbage" })), { ok: false, error: "malformed response" });
  });

  it("speaks TLS to a pinned address, checking the certificate against the URL's host", async () => {
    // A self-signed, test-only certificate for grpc.parallax.test (openssl, EC P-256, valid to 2126).
    const dir = FIXTURES;
    const cert = readFileSync(join(dir, "server.crt"));
    const started = await startServer(ServerCredentials.createSsl(null, [{ private_key: readFileSync(join(dir, "server.key")), cert_chain: cert }], false));
    servers.push(started.server);
    // `.test` never resolves: the call can only reach the server through the pinned address.
    const url = `grpcs://grpc.parallax.test:${started.port}`;
    const outcome = await target({ url, addresses: ["127.0.0.1"], tls: { ca: cert } }).send(inferRequest(registry, MESSAGE));
    assert.equal(outcome.ok && outcome.status, 200, JSON.stringify(outcome));
    const untrusted = await target({ url, addresses: ["127.0.0.1"] }).send(inferRequest(registry, MESSAGE));
    assert.deepEqual(untrusted, { ok: false, error: "UNAVAILABLE" }, "a certificate no root vouches for: no connection");
  });

  it("rejects a URL that is not grpc:// or grpcs://", () => {
    assert.throws(() => target({ url: "http://127.0.0.1:1" }), /not a gRPC URL/);
    assert.throws(() => target({ url: "grpc://127.0.0.1:1/v1" }), /has a path/);
  });
});

describe("gRPC status encoding", () => {
  it("gives every code its own number, and counts exactly the server-fault statuses as >= 500", () => {
    assert.equal(new Set(GRPC_STATUS_NAMES.map((_, code) => outcomeStatusOf(code))).size, GRPC_STATUS_NAMES.length);
    GRPC_STATUS_NAMES.forEach((name, code) => assert.equal(outcomeStatusOf(code) >= 500, isServerFault(code), name));
    assert.deepEqual(GRPC_STATUS_NAMES.filter((_, code) => isServerFault(code)), ["UNKNOWN", "DEADLINE_EXCEEDED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"]);
    assert.equal(outcomeStatusOf(42), outcomeStatusOf(2), "an unknown code is UNKNOWN");
  });
});
