import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as connectTcp, createServer, type AddressInfo, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Metadata, Server, ServerCredentials, status, type ChannelOptions, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { IgnoreMatcher, diffJson, type Outcome } from "@parallax/diff";
import { InvalidInputError, REDACTED, type RecordedRequest } from "@parallax/protocol";
import protobuf from "protobufjs";
import { prepareGrpcCall, preparedGrpcRequest } from "../src/grpc/call.js";
import { GRPC_TARGET_DEFAULTS, GrpcTarget, type GrpcTargetOptions } from "../src/grpc/grpc-target.js";
import { loadProtos, type GrpcMethod, type ProtoRegistry } from "../src/grpc/protos.js";
import { GRPC_STATUS_NAMES, isServerFault, outcomeStatusOf } from "../src/grpc/status.js";
import { ProtocolRouter } from "../src/protocol-router.js";
import type { PreparedRequest, Target } from "../src/target.js";

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
    case "exhausted":
      return fail(status.RESOURCE_EXHAUSTED, "quota exceeded");
    case "cancelled":
      return fail(status.CANCELLED, "client went away");
    case "slow":
      setTimeout(() => callback(null, { model_name: "slow" }), 1000).unref();
      return;
    case "hang":
      return; // never answers
    case "large":
      // A response message a few bytes over `id` bytes.
      return callback(null, { model_name: "large", raw_output_contents: [Buffer.alloc(Number(request.id), 7)] });
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

interface StartedServer {
  readonly server: Server;
  readonly port: number;
  /** Calls received so far. */
  calls: number;
}

async function startServer(credentials = ServerCredentials.createInsecure(), options: ChannelOptions = {}, onCall?: () => void): Promise<StartedServer> {
  const server = new Server(options);
  const port = await new Promise<number>((ok, fail) => server.bindAsync("127.0.0.1:0", credentials, (error, p) => (error ? fail(error) : ok(p))));
  const started: StartedServer = { server, port, calls: 0 };
  server.addService(serviceDefinition(), {
    ModelInfer: (call: ServerUnaryCall<InferRequest, unknown>, callback: sendUnaryData<unknown>) => {
      started.calls++;
      onCall?.();
      if (call.request.model_name === "garbage") return callback(null, { model_name: "garbage" });
      modelInfer(call, callback);
    },
  });
  return started;
}

/** A TCP relay to `port` that counts the connections it is asked for; `stopListening` refuses new ones but keeps those it has. */
async function relay(port: number): Promise<{ port: number; connections: () => number; stopListening: () => void; destroy: () => void }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connectTcp(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    // server.close() calls back only once every connection is gone.
    stopListening: () => server.close(),
    destroy: () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) server.close();
    },
  };
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
    assert.deepEqual(clock.method.decodeResponse(clock.method.encodeRequest({ seconds: "1700000000", nanos: 5 })), "2023-11-14T22:13:20.000000005Z");
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

  it("refuses a 64-bit integer written as a JSON number beyond 2^53, which JSON.parse may have rounded", () => {
    const found = registry.unaryMethod(INFER);
    assert.ok(found.ok);
    const method = found.method;
    const problem = (message: unknown) => {
      try {
        method.encodeRequest(message);
      } catch (error) {
        assert.ok(error instanceof InvalidInputError, String(error));
        return error.message;
      }
      assert.fail("encodeRequest should have thrown");
    };
    // As JSON.parse reads `"shape": [9007199254740993]`: the number it gives is already 2^53.
    const parsed = JSON.parse('{"inputs": [{"shape": [2, 9007199254740993]}], "parameters": {"p": {"int64_param": -9007199254740993}}}') as { inputs: Array<{ shape: number[] }> };
    assert.equal(parsed.inputs[0]?.shape[1], 9007199254740992);
    const rounded = (path: string, value: string) => `${path}: ${value} is beyond 2^53 and may have been rounded; write 64-bit integers as strings (e.g. "9007199254740993")`;
    assert.equal(problem(parsed), rounded("$.inputs[0].shape[1]", "9007199254740992"));
    assert.equal(problem({ parameters: { p: { int64_param: -9007199254740992 } } }), rounded("$.parameters.p.int64_param", "-9007199254740992"));
    assert.equal(problem({ inputs: [{ contents: { uint64_contents: [1e21] } }] }), rounded("$.inputs[0].contents.uint64_contents[0]", "1e+21"));
    // The largest safe integers go through as numbers; beyond them, strings keep every digit.
    const safe = (shape: unknown[]) => method.encodeRequest({ inputs: [{ shape }] });
    assert.deepEqual(safe([9007199254740991, -9007199254740991]), safe(["9007199254740991", "-9007199254740991"]));
    assert.notDeepEqual(safe(["9007199254740993"]), safe(["9007199254740992"]));
    // A 32-bit field says out of range, whatever the size of the number.
    assert.equal(problem({ inputs: [{ contents: { int_contents: [1e21] } }] }), "$.inputs[0].contents.int_contents[0]: 1000000000000000000000 is out of range for int32 field intContents");
  });

  it("leaves out fields the recording's redaction replaced, whatever their type, rather than send or refuse the placeholder", () => {
    const signIn = loadProtos({ files: ["secrets.proto"], importPaths: [FIXTURES] }).unaryMethod("secrets.Login/SignIn");
    assert.ok(signIn.ok);
    const encode = (message: unknown) => signIn.method.encodeRequest(message);
    // What the redaction makes of {"user":"ada","password":"hunter2","token":"42","signature":"AQID",...}.
    const redacted = {
      user: "ada",
      password: REDACTED,
      token: REDACTED,
      signature: REDACTED,
      nested: { user: "bob", password: REDACTED, token: REDACTED, signature: REDACTED },
      history: [{ user: "eve", token: REDACTED }],
      secret: REDACTED,
      sig: REDACTED,
      headers: { "x-tenant": "acme", password: REDACTED },
      limits: { rate: "5", token: REDACTED },
    };
    const unredacted = { user: "ada", nested: { user: "bob" }, history: [{ user: "eve" }], headers: { "x-tenant": "acme" }, limits: { rate: "5" } };
    assert.deepEqual(encode(redacted), encode(unredacted));
    // A list element is never redacted on its own: one that reads REDACTED is data, checked as usual.
    assert.deepEqual(encode({ notes: [REDACTED] }), encode({ notes: ["[REDACTED]"] }));
    assert.notDeepEqual(encode({ notes: [REDACTED] }), encode({}));
    assert.throws(() => encode({ counters: ["1", REDACTED] }), { message: '$.counters[1]: expected int64 for field counters (got "[REDACTED]")' });
    // Anything that is not exactly the placeholder is checked as before.
    assert.throws(() => encode({ token: "[redacted]" }), { message: '$.token: expected int64 for field token (got "[redacted]")' });
  });

  it("keeps the fields a newer server adds as #<number> members at any depth, so the diff sees them added", () => {
    const base = registry.unaryMethod(INFER);
    assert.ok(base.ok);
    const extended = protobuf.loadSync(join(FIXTURES, "extended.proto")).lookupType("inference.ModelInferResponse");
    const encode = (message: Record<string, unknown>) => Buffer.from(extended.encode(extended.fromObject(message)).finish());
    const known = {
      modelName: "m",
      parameters: { p: { stringParam: "x" } },
      outputs: [{ name: "a", contents: { fp32Contents: [1] } }, { name: "b" }],
      rawOutputContents: ["AQ=="],
    };
    const added = {
      ...known,
      parameters: { p: { stringParam: "x", unit: "ms" } },
      outputs: [
        { name: "a", contents: { fp32Contents: [1], scale: 1.5, zeroPoint: 1.5 }, quantization: { bits: 8 } },
        { name: "b", rank: -2 },
      ],
      extra: "hello",
      latencyUs: "-1",
      flags: [1, 2, 300],
      tags: ["a", "b"],
    };
    const production = base.method.decodeResponse(encode(known));
    // A group (number 20, holding a varint), which proto3 cannot declare, after the rest.
    const candidate = base.method.decodeResponse(Buffer.concat([encode(added), Buffer.from([0xa3, 0x01, 0x08, 0x01, 0xa4, 0x01])]));
    assert.equal(JSON.stringify(production).includes("#"), false, "nothing unknown in what the proto describes");
    const differences = diffJson(production, candidate, { ignore: new IgnoreMatcher([]), tolerance: { absolute: 0, relative: 0 } });
    assert.deepEqual(
      differences.map((d) => [d.kind, d.signaturePath, d.path, d.other]),
      [
        ["added", "$.outputs[*].contents['#9']", "$.outputs[0].contents['#9']", "4609434218613702656"], // double 1.5, fixed64 bits
        ["added", "$.outputs[*].contents['#10']", "$.outputs[0].contents['#10']", "1069547520"], // float 1.5, fixed32 bits
        ["added", "$.outputs[*]['#8']", "$.outputs[0]['#8']", "CAg="], // quantization {bits: 8}, length-delimited
        ["added", "$.outputs[*]['#7']", "$.outputs[1]['#7']", "3"], // sint32 -2, zigzag varint
        ["added", "$['#12']", "$['#12']", "aGVsbG8="], // "hello"
        ["added", "$['#13']", "$['#13']", "18446744073709551615"], // int64 -1, 64-bit varint
        ["added", "$['#14']", "$['#14']", "AQKsAg=="], // packed [1, 2, 300]
        ["added", "$['#15']", "$['#15']", ["YQ==", "Yg=="]], // one value per occurrence
      ],
    );
    // Not looked into: map values (parameters.p's unit); left out: the group.
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

  it("takes responses up to maxMessageBytes (64 MiB by default), and reports a larger one as too large, not as the server's RESOURCE_EXHAUSTED", async () => {
    assert.equal(GRPC_TARGET_DEFAULTS.maxMessageBytes, 64 * 1024 * 1024);
    // Over grpc-js' own 4 MiB default; a deadline that a loaded machine cannot miss.
    const big = await target({ timeoutMs: 20_000 }).send(inferRequest(registry, { model_name: "large", id: String(4 * 1024 * 1024 + 1024) }));
    assert.ok(big.ok, JSON.stringify(big));
    assert.equal(big.statusName, "OK");
    const small = target({ maxMessageBytes: 64 * 1024 });
    assert.deepEqual(await small.send(inferRequest(registry, { model_name: "large", id: String(100 * 1024) })), { ok: false, error: "response too large" });
    const fits = await small.send(inferRequest(registry, { model_name: "large", id: String(60 * 1024) }));
    assert.equal(fits.ok && fits.statusName, "OK");
    // A RESOURCE_EXHAUSTED the server sends stays its answer, even in grpc-js' words about its own limit.
    const exhausted = await small.send(inferRequest(registry, { model_name: "exhausted" }));
    assert.ok(exhausted.ok);
    assert.equal(exhausted.status, 468);
    assert.deepEqual(JSON.parse(decoder.decode(exhausted.body)), { code: 8, message: "quota exceeded" });
    const strict = await startServer(undefined, { "grpc.max_receive_message_length": 1024 });
    servers.push(strict.server);
    const refused = await target({ url: `grpc://127.0.0.1:${strict.port}`, maxMessageBytes: 64 * 1024 }).send(inferRequest(registry, { model_name: "adder", id: "x".repeat(2000) }));
    assert.ok(refused.ok, JSON.stringify(refused));
    assert.equal(refused.statusName, "RESOURCE_EXHAUSTED");
    assert.match(JSON.parse(decoder.decode(refused.body)).message as string, /^Received message larger than max \(\d+ vs 1024\)$/);
  });

  it("reports a CANCELLED status, and the calls in flight when a target is killed, as failures, not as answers", async () => {
    const sent = await target().send(inferRequest(registry, { model_name: "cancelled" }));
    assert.deepEqual(sent, { ok: false, error: "cancelled" });
    let inFlight!: () => void;
    const arrived = new Promise<void>((ok) => (inFlight = ok));
    const doomed: StartedServer = await startServer(undefined, {}, () => doomed.calls === 2 && inFlight());
    servers.push(doomed.server);
    const t = target({ url: `grpc://127.0.0.1:${doomed.port}` });
    const outcomes = Promise.all([t.send(inferRequest(registry, { model_name: "hang" })), t.send(inferRequest(registry, { model_name: "hang" }))]);
    await arrived;
    doomed.server.forceShutdown();
    for (const outcome of await outcomes) {
      // grpc-js says "Call cancelled" (seen every time), or UNAVAILABLE when it noticed the connection drop first.
      assert.equal(outcome.ok, false, JSON.stringify(outcome));
      assert.match((outcome as Extract<Outcome, { ok: false }>).error, /^(cancelled|UNAVAILABLE|ECONNRESET)$/);
    }
    assert.equal(doomed.calls, 2);
  });

  it("connects before the first call when asked, sending no call, and never fails to", async () => {
    const started = await startServer();
    servers.push(started.server);
    const relayed = await relay(started.port);
    try {
      const t = target({ url: `grpc://127.0.0.1:${relayed.port}` });
      assert.equal(relayed.connections(), 0, "grpc-js connects lazily");
      await t.connect(2000);
      assert.equal(relayed.connections(), 1);
      assert.equal(started.calls, 0);
      // No new connection can be made from here on: the first call goes over the one connect() made ready.
      relayed.stopListening();
      const outcome = await t.send(inferRequest(registry, MESSAGE));
      assert.equal(outcome.ok && outcome.status, 200, JSON.stringify(outcome));
      assert.equal(started.calls, 1);
      assert.equal(relayed.connections(), 1);
    } finally {
      relayed.destroy();
    }
    // A target that is down, or that will not resolve, is no error here.
    await target({ url: `grpc://127.0.0.1:${await freePort()}` }).connect(200);
    await target({ url: "grpc://parallax.invalid:1" }).connect(200);
    // Nor a closed one.
    const closed = target();
    await closed.close();
    await closed.connect(200);
  });

  it("connects through a ProtocolRouter, which asks only the targets that can", async () => {
    const started = await startServer();
    servers.push(started.server);
    const relayed = await relay(started.port);
    try {
      const http: Target = { name: "candidate", send: () => Promise.resolve({ ok: false, error: "unused" }), close: () => Promise.resolve() };
      const router = new ProtocolRouter("candidate", { http, grpc: target({ url: `grpc://127.0.0.1:${relayed.port}` }) });
      await router.connect(2000);
      assert.equal(relayed.connections(), 1);
      assert.equal(started.calls, 0);
      await new ProtocolRouter("candidate", { http }).connect(2000);
    } finally {
      relayed.destroy();
    }
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
