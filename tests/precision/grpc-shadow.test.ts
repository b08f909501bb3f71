// Ground truth over gRPC, end to end: the real CLI replays recorded unary calls to gRPC targets
// whose label flips, failing statuses, NOT_FOUND answers and slow answers are a pure function of
// the request number, so every count the report gives is known.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { GRPC_GROUND_TRUTH_PROTO, expectedGrpcCounts, grpcGroundTruthRecording, startGrpcGroundTruthTarget, type RunningGrpcTarget } from "@parallax/testkit";
import { readTree, runCli, tempDir } from "../support/cli.js";

const COUNT = 400;
const SECRET = "s3cr3t-planted-in-the-grpc-recording";
const truth = expectedGrpcCounts(COUNT);
const CLASSIFY = "groundtruth.Classifier/Classify";
const GET_ITEM = "groundtruth.Classifier/GetItem";
const failures = truth.failures.INTERNAL + truth.failures.UNAVAILABLE;
/** Record has no idempotency_level: held back from every target unless allowed. */
const sent = COUNT - truth.record;

describe("gRPC shadow run against ground-truth targets (--proto, 2 local agents, with a secondary)", () => {
  let production: RunningGrpcTarget;
  let candidate: RunningGrpcTarget;
  let secondary: RunningGrpcTarget;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let run: Awaited<ReturnType<typeof runCli>>;
  let report: RunResult;

  before(async () => {
    [production, candidate, secondary] = await Promise.all([
      startGrpcGroundTruthTarget({ role: "production" }),
      startGrpcGroundTruthTarget({ role: "candidate", slowDelayMs: 300 }),
      startGrpcGroundTruthTarget({ role: "secondary" }),
    ]);
    dir = await tempDir("grpc-shadow");
    await writeFile(join(dir.path, "calls.jsonl"), grpcGroundTruthRecording(COUNT, { secret: SECRET }));
    run = await runCli([
      "run",
      "--traffic", join(dir.path, "calls.jsonl"),
      "--production", production.url,
      "--candidate", candidate.url,
      "--secondary", secondary.url,
      "--proto", GRPC_GROUND_TRUTH_PROTO,
      // Three gRPC servers in this process and the CLI share two cores: 100/s keeps both unsaturated.
      "--rate", "100",
      "--agents", "2",
      "--run-id", "grpc-gt",
      "--out", join(dir.path, "out"),
      "--json",
    ]);
    report = JSON.parse(run.stdout) as RunResult;
  });

  after(async () => {
    await Promise.all([production?.close(), candidate?.close(), secondary?.close(), dir?.remove()]);
  });

  it("passes (exit 0) with no threshold set", () => {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(report.verdict.pass, true);
  });

  it("sends every safe call exactly once to each target, marked with the run id, and holds back the unsafe method", () => {
    for (const target of [production, candidate, secondary]) {
      assert.equal(target.received.total, sent);
      assert.equal(target.received.byMethod["Record"] ?? 0, 0);
      assert.deepEqual([...target.received.markers], ["grpc-gt"]);
    }
    assert.equal(report.targets.production.requests, sent);
    assert.equal(report.targets.candidate.requests, sent);
    assert.equal(report.skipped.count, truth.record);
    assert.deepEqual(report.skipped.reasons, { "gRPC method without a safe idempotency_level not allowed on production": truth.record });
  });

  it("keys status counts by gRPC status name; only server faults are errors", () => {
    const ok = sent - truth.notFound;
    assert.deepEqual(report.targets.production.statusCodes, { OK: ok, NOT_FOUND: truth.notFound });
    assert.equal(report.targets.production.errors, 0);
    assert.deepEqual(report.targets.candidate.statusCodes, { OK: ok - failures, NOT_FOUND: truth.notFound, INTERNAL: truth.failures.INTERNAL, UNAVAILABLE: truth.failures.UNAVAILABLE });
    assert.equal(report.targets.candidate.errors, failures);
    assert.equal(report.targets.candidate.transportErrors, 0);
  });

  it("finds exactly the label flips and the status changes, per service/method; random instance ids are noise", () => {
    const { diff } = report;
    assert.equal(diff.compared, sent);
    assert.equal(diff.different, truth.flips + failures);
    // NOT_FOUND answers are the same everywhere; every other pair differs in the random instance id only.
    assert.equal(diff.identical, truth.notFound);
    assert.equal(diff.noise, sent - truth.flips - failures - truth.notFound);
    const group = (path: string, endpoint = CLASSIFY) => diff.groups.find((g) => g.path === path && g.endpoint === endpoint);
    assert.equal(group("$.label")?.count, truth.flips);
    assert.equal(group("$.label")?.noise, false);
    assert.equal(group("status")?.count, failures);
    assert.equal(group("status")?.noise, false);
    assert.equal(group("$.model.instanceId")?.noise, true);
    assert.equal(group("$.instanceId", GET_ITEM)?.noise, true);
    const statusChange = group("status")?.examples[0];
    assert.ok(statusChange !== undefined, "an exemplar is kept for the status change");
    assert.deepEqual(new Set(report.endpoints.map((e) => e.endpoint)), new Set([CLASSIFY, GET_ITEM]));
  });

  it("reflects the slow answers in the candidate's p99 only", () => {
    assert.ok(report.targets.candidate.latencyMs.p99 >= 300, `candidate p99 ${report.targets.candidate.latencyMs.p99}`);
    assert.ok(report.targets.candidate.latencyMs.p50 < 300);
    assert.ok(report.targets.production.latencyMs.p99 < 300, `production p99 ${report.targets.production.latencyMs.p99}`);
  });

  it("never lets the planted secret out: not to targets, files, stdout, stderr or logs", async () => {
    for (const { file, content } of await readTree(join(dir.path, "out"))) assert.ok(!content.includes(SECRET), `secret in ${file}`);
    assert.ok(!run.stdout.includes(SECRET), "secret on stdout");
    assert.ok(!run.stderr.includes(SECRET), "secret on stderr");
    for (const target of [production, candidate, secondary]) assert.ok(!JSON.stringify(target.received.metadata).includes(SECRET), "secret sent in metadata");
  });
});

describe("gRPC protos by server reflection, with an unsafe method allowed", () => {
  const count = 100;
  const small = expectedGrpcCounts(count);
  let production: RunningGrpcTarget;
  let candidate: RunningGrpcTarget;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  after(async () => Promise.all([production?.close(), candidate?.close(), dir?.remove()]));

  it("asks production's reflection service for the schema and replays every call, Record included", async () => {
    [production, candidate] = await Promise.all([startGrpcGroundTruthTarget({ role: "production", reflection: true }), startGrpcGroundTruthTarget({ role: "candidate", slowDelayMs: 0 })]);
    dir = await tempDir("grpc-reflection");
    await writeFile(join(dir.path, "calls.jsonl"), grpcGroundTruthRecording(count));
    const run = await runCli([
      "run",
      "--traffic", join(dir.path, "calls.jsonl"),
      "--production", production.url,
      "--candidate", candidate.url,
      "--allow-unsafe-production", "groundtruth.Classifier/Rec*",
      "--rate", "200",
      "--json",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as RunResult;
    assert.equal(production.received.total, count);
    assert.equal(candidate.received.total, count);
    assert.equal(production.received.byMethod["Record"], small.record);
    assert.equal(report.skipped.count, 0);
    assert.equal(report.diff.compared, count);
    assert.equal(report.diff.groups.find((g) => g.path === "$.label")?.count, small.flips);
    // No request reached a target unencoded: a call that did not match the recording would be INVALID_ARGUMENT.
    assert.equal(report.targets.candidate.statusCodes["INVALID_ARGUMENT"], undefined);
  });
});
