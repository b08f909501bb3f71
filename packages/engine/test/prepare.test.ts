import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { RecordedRequest } from "@parallax/protocol";
import { UNSAFE_GRPC_REASON, grpcCallProblem, loadProtos, prepareRequest } from "../src/index.js";

const request = (method: string, path: string) => ({
  index: 0,
  offsetMs: 0,
  method,
  path,
  headers: [["x-parallax-replay", "old"], ["accept", "*/*"], ["authorization", "[REDACTED]"]] as Array<[string, string]>,
});

it("builds flat headers with the marker and the endpoint template, without redacted credentials", () => {
  const prepared = prepareRequest(request("GET", "/users/42?full=1"), { runId: "r1", allowUnsafeProduction: [] });
  assert.deepEqual(prepared.headers, ["accept", "*/*", "x-parallax-replay", "r1"]);
  assert.equal(prepared.endpoint, "GET /users/{id}");
  assert.equal(prepared.heldBack, undefined);
});

it("holds back unsafe methods unless a rule allows the route", () => {
  assert.equal(prepareRequest(request("DELETE", "/users/1"), { runId: "r", allowUnsafeProduction: [] }).heldBack, "unsafe method DELETE not allowed on production");
  assert.equal(prepareRequest(request("POST", "/v1/models/m:predict?x=1"), { runId: "r", allowUnsafeProduction: ["POST /v1/models/*"] }).heldBack, undefined);
  assert.equal(prepareRequest(request("POST", "/v1/other"), { runId: "r", allowUnsafeProduction: ["POST /v1/models/*"] }).heldBack, "unsafe method POST not allowed on production");
  for (const safe of ["GET", "HEAD", "OPTIONS"]) assert.equal(prepareRequest(request(safe, "/"), { runId: "r", allowUnsafeProduction: [] }).heldBack, undefined);
});

describe("recorded gRPC calls", () => {
  const fixtures = fileURLToPath(new URL("./fixtures/grpc", import.meta.url));
  const protos = loadProtos({ files: ["inference.proto"], importPaths: [fixtures, join(fixtures, "imports")] });
  const call = (method: string, message: object): RecordedRequest => ({
    index: 3,
    offsetMs: 0,
    method: "POST",
    path: `/inference.GRPCInferenceService/${method}`,
    headers: [["x-tenant", "acme"], ["authorization", "[REDACTED]"]],
    body: new TextEncoder().encode(JSON.stringify(message)),
    protocol: "grpc",
  });
  const prepare = (recorded: RecordedRequest, allowUnsafeProduction: string[] = []) => prepareRequest(recorded, { runId: "r1", allowUnsafeProduction, protos });

  it("encode the message once, name the endpoint service/method and send the metadata with the marker", () => {
    const prepared = prepare(call("ModelReady", { name: "m", version: "2" }));
    assert.equal(prepared.endpoint, "inference.GRPCInferenceService/ModelReady");
    assert.equal(prepared.grpc?.method.name, "inference.GRPCInferenceService/ModelReady");
    assert.deepEqual(prepared.grpc?.metadata, [["x-tenant", "acme"], ["x-parallax-replay", "r1"]]);
    // name = 1 ("m"), version = 2 ("2"), as the wire format lays them out.
    assert.deepEqual(prepared.grpc?.message, Buffer.from([0x0a, 0x01, 0x6d, 0x12, 0x01, 0x32]));
  });

  it("reach production only when the proto declares them free of side effects, or a service/method glob allows them", () => {
    assert.equal(prepare(call("ServerLive", {})).heldBack, undefined, "NO_SIDE_EFFECTS");
    assert.equal(prepare(call("ModelReady", {})).heldBack, undefined, "IDEMPOTENT");
    assert.equal(prepare(call("ModelInfer", {})).heldBack, UNSAFE_GRPC_REASON, "no idempotency_level");
    assert.equal(prepare(call("ModelInfer", {}), ["inference.GRPCInferenceService/Model*"]).heldBack, undefined);
    assert.equal(prepare(call("ModelInfer", {}), ["POST /inference.GRPCInferenceService/ModelInfer"]).heldBack, UNSAFE_GRPC_REASON, "an HTTP rule does not allow a gRPC method");
  });

  it("say what is wrong with a call the protos refuse", () => {
    assert.equal(grpcCallProblem(call("ModelInfer", { model_nam: "m" }), protos), '$.model_nam: inference.ModelInferRequest has no field "model_nam"');
    assert.equal(grpcCallProblem(call("ModelStreamInfer", {}), protos), "inference.GRPCInferenceService/ModelStreamInfer is a bidi-streaming method; only unary gRPC methods can be replayed");
    assert.equal(grpcCallProblem(call("ModelInfer", { model_name: "m" }), protos), undefined);
    assert.throws(() => prepareRequest(call("ModelInfer", {}), { runId: "r1", allowUnsafeProduction: [] }), /no protos were given/);
  });

  it("refuse a 64-bit integer the recording wrote as a JSON number beyond 2^53, which parsing rounded", () => {
    const recorded = { ...call("ModelInfer", {}), body: new TextEncoder().encode('{"parameters": {"p": {"int64_param": 9007199254740993}}}') };
    assert.equal(grpcCallProblem(recorded, protos), '$.parameters.p.int64_param: 9007199254740992 is beyond 2^53 and may have been rounded; write 64-bit integers as strings (e.g. "9007199254740993")');
    assert.equal(grpcCallProblem({ ...recorded, body: new TextEncoder().encode('{"parameters": {"p": {"int64_param": "9007199254740993"}}}') }, protos), undefined);
  });

  it("send a map entry or a field the recording's redaction replaced as unset", () => {
    // The redaction replaces a member named like a secret, here a map key, whatever its value was.
    const redacted = call("ModelInfer", { model_name: "m", parameters: { tenant: { string_param: "acme" }, token: "[REDACTED]" } });
    assert.equal(grpcCallProblem(redacted, protos), undefined);
    assert.deepEqual(prepare(redacted).grpc?.message, prepare(call("ModelInfer", { model_name: "m", parameters: { tenant: { string_param: "acme" } } })).grpc?.message);
  });
});
