import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidInputError, formatIssue } from "@parallax/protocol";
import { matchesGrpcAllowance, resolveScenario, resolveShippedScenario, targetProtocol, toScenarioDocument, type Scenario } from "../src/index.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-scenario-grpc-"));
  await mkdir(join(dir, "sub"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string, overrides?: Record<string, unknown>): Promise<Scenario> {
  await writeFile(join(dir, "sub", "s.yaml"), text);
  return resolveScenario({ file: "sub/s.yaml", env: {}, cwd: dir, ...(overrides ? { overrides } : {}) });
}

async function issues(run: Promise<Scenario>): Promise<string[]> {
  const error: unknown = await run.then(
    () => assert.fail("expected an InvalidInputError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidInputError, String(error));
  return error.issues.map(formatIssue);
}

describe("scenarios with gRPC targets", () => {
  it("take grpc:// and grpcs:// URLs as the targets' gRPC URLs, and grpcUrl beside an HTTP url", async () => {
    const s = await load(`targets:
  production: grpc://127.0.0.1:8001
  candidate: { url: http://127.0.0.1:8080, grpcUrl: "grpcs://cand.internal:443", tls: { ca: ca.pem, serverName: cand } }
traffic: rec.jsonl
`);
    assert.equal(s.targets.production.grpcUrl, "grpc://127.0.0.1:8001");
    assert.equal(s.targets.candidate.url, "http://127.0.0.1:8080");
    assert.equal(s.targets.candidate.grpcUrl, "grpcs://cand.internal:443");
    // TLS files are relative to the scenario file, like the recording.
    assert.deepEqual(s.targets.candidate.tls, { ca: join(dir, "sub", "ca.pem"), serverName: "cand" });
    assert.equal(targetProtocol(s.targets.production.url), "grpc");
    assert.equal(targetProtocol(s.targets.candidate.url), "http");
  });

  it("keep proto files as written, to be looked up in the import paths and then beside the scenario file", async () => {
    const s = await load(`targets: { production: "grpc://127.0.0.1:1", candidate: "grpc://127.0.0.1:2" }
traffic: rec.jsonl
grpc: { protos: [inference.proto], importPaths: [protos, /abs/include] }
`);
    assert.deepEqual(s.grpc, { protos: ["inference.proto"], importPaths: [join(dir, "sub", "protos"), "/abs/include"], baseDir: join(dir, "sub") });
    // Given as flags, they are relative to the working directory.
    const flagged = await load(`targets: { production: "grpc://127.0.0.1:1", candidate: "grpc://127.0.0.1:2" }\ntraffic: rec.jsonl\n`, { grpc: { protos: ["x.proto"], importPaths: ["inc"] } });
    assert.deepEqual(flagged.grpc, { protos: ["x.proto"], importPaths: [join(dir, "inc")], baseDir: dir });
  });

  it("ship gRPC URLs and TLS file names to agents and read them back the same", async () => {
    const s = await load(`targets:
  production: grpc://127.0.0.1:8001
  candidate: { url: http://127.0.0.1:8080, grpcUrl: "grpc://127.0.0.1:8002", tls: { cert: c.pem, key: k.pem } }
traffic: rec.jsonl
compare: { allowUnsafeProduction: ["inference.GRPCInferenceService/*"], endpoints: ["inference.GRPCInferenceService/ModelInfer"] }
`);
    const shipped = await resolveShippedScenario(JSON.parse(JSON.stringify(toScenarioDocument(s))), {});
    assert.deepEqual(shipped.targets, s.targets);
    assert.deepEqual(shipped.compare.allowUnsafeProduction, ["inference.GRPCInferenceService/*"]);
    assert.deepEqual(shipped.compare.endpoints, ["inference.GRPCInferenceService/ModelInfer"]);
  });

  it("refuse a gRPC URL with a path, an HTTP grpcUrl and a malformed service glob, each at its line", async () => {
    assert.deepEqual(
      await issues(
        load(`targets:
  production: grpc://127.0.0.1:8001/v1
  candidate: { url: http://127.0.0.1:8080, grpcUrl: "http://127.0.0.1:8081" }
traffic: rec.jsonl
compare: { allowUnsafeProduction: ["inference GRPCInferenceService"] }
`),
      ),
      [
        'sub/s.yaml:2:15: targets.production.url: a gRPC URL is only grpc://host:port, without a path (got "grpc://127.0.0.1:8001/v1")',
        'sub/s.yaml:3:53: targets.candidate.grpcUrl: expected a grpc:// or grpcs:// URL, got "http://127.0.0.1:8081"',
        'sub/s.yaml:5:36: compare.allowUnsafeProduction[0]: invalid rule "inference GRPCInferenceService" (use METHOD /path, e.g. "POST /v1/models/*:predict", or service/method for gRPC, e.g. "inference.GRPCInferenceService/*"; * matches within a segment, ** across segments)',
      ],
    );
  });
});

describe("matchesGrpcAllowance", () => {
  it("matches service/method globs: * within the service's or the method's name, ** across", () => {
    const rules = ["inference.GRPCInferenceService/Model*", "shop.*/Get"];
    assert.equal(matchesGrpcAllowance(rules, "inference.GRPCInferenceService/ModelInfer"), true);
    assert.equal(matchesGrpcAllowance(rules, "inference.GRPCInferenceService/ServerLive"), false);
    assert.equal(matchesGrpcAllowance(rules, "shop.Cart/Get"), true);
    // `*` does not cross a package boundary, and `.` is literal.
    assert.equal(matchesGrpcAllowance(rules, "shop.v2.Cart/Get"), false);
    assert.equal(matchesGrpcAllowance(["a.B/C"], "aXB/C"), false);
    assert.equal(matchesGrpcAllowance(["**/Get"], "shop.v2.Cart/Get"), true);
    // HTTP rules never match a gRPC method.
    assert.equal(matchesGrpcAllowance(["POST /**"], "a.B/C"), false);
  });
});
