// Ground truth, end to end: the real CLI against targets whose label flips, 503s and slow
// answers are a pure function of the request, so every count the report gives is known.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { expectedCounts, groundTruthRecording, startGroundTruthTarget, type RunningTarget } from "@parallax/testkit";
import { readTree, runCli, tempDir } from "../support/cli.js";

const COUNT = 600;
const SECRET = "s3cr3t-planted-in-the-recording";
const truth = expectedCounts(COUNT);

describe("shadow run against ground-truth targets (2 local agents, with a secondary)", () => {
  let production: RunningTarget;
  let candidate: RunningTarget;
  let secondary: RunningTarget;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let run: Awaited<ReturnType<typeof runCli>>;
  let report: RunResult;

  before(async () => {
    [production, candidate, secondary] = await Promise.all([
      startGroundTruthTarget({ role: "production" }),
      startGroundTruthTarget({ role: "candidate", slowDelayMs: 300 }),
      startGroundTruthTarget({ role: "secondary" }),
    ]);
    dir = await tempDir("shadow");
    await writeFile(join(dir.path, "rec.jsonl"), groundTruthRecording(COUNT, { secret: SECRET }));
    run = await runCli([
      "run",
      "--traffic", join(dir.path, "rec.jsonl"),
      "--production", production.url,
      "--candidate", candidate.url,
      "--secondary", secondary.url,
      "--allow-unsafe-production", "POST /predict",
      "--rate", "200",
      "--agents", "2",
      "--run-id", "gt-run",
      "--out", join(dir.path, "out"),
      "--json",
    ]);
    report = JSON.parse(run.stdout) as RunResult;
  });

  after(async () => {
    await Promise.all([production?.close(), candidate?.close(), secondary?.close(), dir?.remove()]);
  });

  it("passes (exit 0) when no threshold is set, whatever the diffs", () => {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(report.verdict.pass, true);
  });

  it("sends every recorded request exactly once to each target, marked with the run id", () => {
    for (const target of [production, candidate, secondary]) {
      assert.equal(target.received.total, COUNT);
      assert.deepEqual([...target.received.markers], ["gt-run"]);
    }
    assert.equal(report.targets.production.requests, COUNT);
    assert.equal(report.targets.candidate.requests, COUNT);
    assert.equal(report.targets.secondary?.requests, COUNT);
    assert.equal(report.run.planned, COUNT);
    assert.equal(report.run.agents.length, 2);
    assert.equal(report.run.agents.reduce((n, a) => n + a.requests, 0), COUNT);
    assert.equal(report.skipped.count, 0);
  });

  it("counts the candidate's 503s as errors and status codes exactly", () => {
    assert.equal(report.targets.candidate.errors, truth.failures);
    assert.deepEqual(report.targets.candidate.statusCodes, { "200": COUNT - truth.failures, "503": truth.failures });
    assert.equal(report.targets.production.errors, 0);
    assert.deepEqual(report.targets.production.statusCodes, { "200": COUNT });
  });

  it("finds exactly the label flips and the status changes; random ids and timestamps are noise", () => {
    const { diff } = report;
    assert.equal(diff.compared, COUNT);
    assert.equal(diff.notComparable, 0);
    assert.equal(diff.different, truth.flips + truth.failures);
    // Every other pair differs only in the random id and timestamp, which the secondary shows too.
    assert.equal(diff.noise, COUNT - truth.flips - truth.failures);
    assert.equal(diff.identical, 0);
    const group = (path: string) => diff.groups.find((g) => g.path === path && g.endpoint === "POST /predict");
    assert.equal(group("$.label")?.count, truth.flips);
    assert.equal(group("$.label")?.noise, false);
    assert.equal(group("status")?.count, truth.failures);
    assert.equal(group("status")?.noise, false);
    assert.equal(group("$.id")?.noise, true);
    assert.equal(group("$.at")?.noise, true);
    assert.ok((group("$.label")?.examples.length ?? 0) > 0, "an exemplar is kept for the label change");
  });

  it("reflects the slow answers in the candidate's p99 only", () => {
    // 5 % of requests wait 300 ms on the candidate: its p99 is at least that; production's is not.
    assert.ok(report.targets.candidate.latencyMs.p99 >= 300, `candidate p99 ${report.targets.candidate.latencyMs.p99}`);
    assert.ok(report.targets.candidate.latencyMs.p50 < 300);
    assert.ok(report.targets.production.latencyMs.p99 < 300, `production p99 ${report.targets.production.latencyMs.p99}`);
  });

  it("never lets the planted secret out: not to targets, files, stdout, stderr or logs", async () => {
    const files = await readTree(join(dir.path, "out"));
    assert.deepEqual(files.map((f) => f.file.slice(dir.path.length + 5)).sort(), ["candidate.hgrm", "candidate.hlog", "production.hgrm", "production.hlog", "report.json", "report.md", "secondary.hgrm", "secondary.hlog"]);
    for (const { file, content } of files) assert.ok(!content.includes(SECRET), `secret in ${file}`);
    assert.ok(!run.stdout.includes(SECRET), "secret on stdout");
    assert.ok(!run.stderr.includes(SECRET), "secret on stderr");
    for (const target of [production, candidate, secondary]) {
      assert.ok(!JSON.stringify(target.received.headers).includes(SECRET), "secret sent in a header");
      assert.ok(!target.received.urls.some((u) => u.includes(SECRET)), "secret sent in a query string");
    }
  });
});

describe("production safety", () => {
  let production: RunningTarget;
  let candidate: RunningTarget;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  after(async () => Promise.all([production?.close(), candidate?.close(), dir?.remove()]));

  it("holds back unsafe methods from every target unless allowed, and counts them with the reason", async () => {
    [production, candidate] = await Promise.all([startGroundTruthTarget({ role: "production" }), startGroundTruthTarget({ role: "candidate" })]);
    dir = await tempDir("safety");
    await writeFile(join(dir.path, "rec.jsonl"), groundTruthRecording(100));
    const run = await runCli(["run", "--traffic", join(dir.path, "rec.jsonl"), "--production", production.url, "--candidate", candidate.url, "--rate", "500", "--json"]);
    const report = JSON.parse(run.stdout) as RunResult;
    const counts = expectedCounts(100);
    assert.equal(production.received.total, counts.gets);
    assert.equal(candidate.received.total, counts.gets);
    assert.equal(production.received.byMethod["POST"], undefined);
    assert.deepEqual(report.skipped, { count: counts.posts, reasons: { "unsafe method POST not allowed on production": counts.posts } });
    assert.equal(report.targets.production.requests, counts.gets);
  });
});
