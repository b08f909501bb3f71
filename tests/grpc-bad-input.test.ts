// Bad gRPC input: an unknown service or method, a streaming method, a message that does not fit
// its type, a bad proto, a target without reflection, and calls no target can take. Each gives
// one clear message naming the file and location, exit 2, no stack trace, nothing under --out.
import assert from "node:assert/strict";
import { access, copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GRPC_GROUND_TRUTH_PROTO, startGrpcGroundTruthTarget, type RunningGrpcTarget } from "@parallax/testkit";
import { runCli, tempDir } from "./support/cli.js";

const line = (method: string, message: object = {}, service = "groundtruth.Classifier") => JSON.stringify({ type: "grpc", service, method, message });
const GOOD = line("Classify", { n: "1", text: "fine" });

describe("bad gRPC input exits 2 with one clear message", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let noReflection: RunningGrpcTarget;
  const file = (name: string) => join(dir.path, name);

  before(async () => {
    dir = await tempDir("grpc-bad-input");
    noReflection = await startGrpcGroundTruthTarget({ role: "production" });
    const recordings: Record<string, string[]> = {
      "unknown-service.jsonl": [GOOD, line("Classify", {}, "groundtruth.Nope")],
      "unknown-method.jsonl": [GOOD, GOOD, line("Reclassify")],
      "streaming.jsonl": [line("Watch")],
      "bad-field.jsonl": [line("Classify", { n: "1", txet: "typo" })],
      "bad-int.jsonl": [line("GetItem", { item_id: "twelve" })],
      "good.jsonl": [GOOD],
      "mixed.jsonl": [JSON.stringify({ method: "GET", url: "/health" }), GOOD],
    };
    for (const [name, lines] of Object.entries(recordings)) await writeFile(file(name), lines.join("\n") + "\n");
    await copyFile(GRPC_GROUND_TRUTH_PROTO, file("groundtruth.proto"));
    await writeFile(file("broken.proto"), 'syntax = "proto3";\npackage broken;\nmessage M { string a = 1 }\n');
    const tlsScenario = (url: string, tls: string) =>
      `targets:\n  production: { url: "${url}", tls: ${tls} }\n  candidate: grpc://127.0.0.1:9\ntraffic: good.jsonl\ngrpc: { protos: [groundtruth.proto] }\n`;
    await writeFile(file("tls-missing-ca.yaml"), tlsScenario("grpcs://127.0.0.1:9", "{ ca: missing.pem }"));
    await writeFile(file("tls-plaintext.yaml"), tlsScenario("grpc://127.0.0.1:9", "{ serverName: prod }"));
    await writeFile(file("unresolved.proto"), 'syntax = "proto3";\npackage u;\nmessage M { Missing a = 1; }\nservice S { rpc Get(M) returns (M); }\n');
  });
  after(async () => Promise.all([dir?.remove(), noReflection?.close()]));

  const grpcTargets = ["--production", "grpc://127.0.0.1:9", "--candidate", "grpc://127.0.0.1:9"];
  const withProto = (recording: string) => ["--traffic", file(recording), ...grpcTargets, "--proto", file("groundtruth.proto")];
  const cases: Array<{ name: string; args: () => string[]; expect: RegExp }> = [
    { name: "unknown service", args: () => withProto("unknown-service.jsonl"), expect: /unknown-service\.jsonl:2:1: unknown gRPC service "groundtruth\.Nope" \(the protos define groundtruth\.Classifier\)/ },
    { name: "unknown method", args: () => withProto("unknown-method.jsonl"), expect: /unknown-method\.jsonl:3:1: gRPC service groundtruth\.Classifier has no method "Reclassify" \(it has Classify, GetItem, Record, Watch\)/ },
    { name: "streaming method", args: () => withProto("streaming.jsonl"), expect: /streaming\.jsonl:1:1: groundtruth\.Classifier\/Watch is a server-streaming method; only unary gRPC methods can be replayed/ },
    { name: "unknown message field", args: () => withProto("bad-field.jsonl"), expect: /bad-field\.jsonl:1:1: \$\.txet: groundtruth\.ClassifyRequest has no field "txet"/ },
    { name: "mistyped message field", args: () => withProto("bad-int.jsonl"), expect: /bad-int\.jsonl:1:1: \$\.item_id: expected .* \(got "twelve"\)/ },
    { name: "proto with a syntax error", args: () => ["--traffic", file("good.jsonl"), ...grpcTargets, "--proto", file("broken.proto")], expect: /broken\.proto:3: / },
    { name: "proto with an unresolved type", args: () => ["--traffic", file("good.jsonl"), ...grpcTargets, "--proto", file("unresolved.proto")], expect: /unresolved\.proto: .*Missing/ },
    { name: "proto not found", args: () => ["--traffic", file("good.jsonl"), ...grpcTargets, "--proto", "nope.proto", "--import-path", dir.path], expect: /nope\.proto: proto file not found \(import paths: / },
    { name: "no reflection on production", args: () => ["--traffic", file("good.jsonl"), "--production", noReflection.url, "--candidate", noReflection.url], expect: /targets\.production\.url: .*does not offer server reflection.*--proto/ },
    { name: "gRPC calls with HTTP targets", args: () => ["--traffic", file("good.jsonl"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9"], expect: /targets\.production\.url: the recording holds 1 gRPC calls .* but production has no gRPC URL/ },
    { name: "HTTP requests with gRPC targets", args: () => withProto("mixed.jsonl"), expect: /targets\.production\.url: the recording holds 1 HTTP requests .*GET \/health.* is gRPC/ },
    { name: "TLS file that cannot be read", args: () => [file("tls-missing-ca.yaml")], expect: /missing\.pem:targets\.production\.tls\.ca: cannot read: ENOENT/ },
    { name: "TLS on a plaintext gRPC URL", args: () => [file("tls-plaintext.yaml")], expect: /targets\.production\.tls: tls applies to a grpcs:\/\/ URL, and production has none \(grpc:\/\/127\.0\.0\.1:9\)/ },
    { name: "gRPC calls under the closed model", args: () => [...withProto("good.jsonl"), "--connections", "2", "--duration", "1s"], expect: /load\.model: the closed model drives HTTP connections only/ },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const out = file(`out-${c.name.replace(/\W+/g, "-")}`);
      const run = await runCli(["run", ...c.args(), "--out", out]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, c.expect);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.equal(run.stdout, "");
      await assert.rejects(access(out), "nothing written under --out");
    });
  }

  it("validate finds the same problems, and passes a good recording", async () => {
    const bad = await runCli(["validate", ...withProto("unknown-method.jsonl")]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /has no method "Reclassify"/);
    const good = await runCli(["validate", ...withProto("good.jsonl")]);
    assert.equal(good.code, 0, good.stderr);
  });
});
