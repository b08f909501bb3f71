// Verdicts end to end through the real CLI: ML-aware comparisons against a model server whose
// differences are a pure function of the request, thresholds and their exit codes, abort rules.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { closeServer, onceListening } from "@parallax/testkit";
import { runCli, tempDir } from "./support/cli.js";

const COUNT = 300;
const LABELS = ["cat", "dog", "bird"];
/** The truth: which requests the candidate answers differently, and how. */
const flips = (n: number) => n % 10 === 3;
const nudged = (n: number) => n % 7 === 0;
const reshaped = (n: number) => n % 25 === 5;
const failing = (n: number) => n % 4 === 1;

/** A KServe-style model server: production's answers, or the candidate's known departures from them. */
async function startModel(role: "production" | "candidate", options: { failProduction?: boolean } = {}): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const n = (JSON.parse(body || "{}") as { n?: number }).n ?? 0;
      if (options.failProduction && role === "production" && failing(n)) {
        res.statusCode = 500;
        res.end("{}");
        return;
      }
      const candidate = role === "candidate";
      const label = LABELS[(n + (candidate && flips(n) ? 1 : 0)) % 3];
      // Eighths are exact in binary: the perturbation's difference is exactly 0.25.
      const scores = [(n % 8) / 8, 0.5, 0.125].map((s, i) => (i === 0 && candidate && nudged(n) ? s + 0.25 : s));
      const shape = candidate && reshaped(n) ? [3, 1] : [1, 3];
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ predictions: [{ label, scores }], outputs: [{ name: "probs", shape, datatype: "FP32", data: [0.25, 0.5, 0.25] }] }));
    });
  });
  await onceListening(server);
  return server;
}

const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe("verdicts", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let production: Server;
  let candidate: Server;
  let traffic: string;
  const compareFlags = [
    "--allow-unsafe-production", "POST /v1/models/*",
    "--compare", "label:$.predictions[*].label",
    "--compare", "scores:$.predictions[*].scores:topK=1",
    "--compare", "tensor:$.outputs:abs=1e-5,rel=1e-3",
  ];

  before(async () => {
    dir = await tempDir("verdicts");
    [production, candidate] = await Promise.all([startModel("production"), startModel("candidate")]);
    const lines = Array.from({ length: COUNT }, (_, n) =>
      JSON.stringify({ method: "POST", url: `/v1/models/m${n % 2}:predict`, headers: { "content-type": "application/json" }, body: JSON.stringify({ n }) }),
    );
    traffic = join(dir.path, "model.jsonl");
    await writeFile(traffic, `${lines.join("\n")}\n`);
  });
  after(async () => {
    await Promise.all([closeServer(production), closeServer(candidate)]);
    await dir.remove();
  });

  it("reports the exact confusion matrix, agreement, score difference and tensor shape changes; a failing threshold is exit 1", async () => {
    const run = await runCli([
      "run", "--traffic", traffic, "--production", url(production), "--candidate", url(candidate), "--rate", "500", "--json",
      ...compareFlags, "--endpoint", "POST /v1/models/{model}:predict",
      "--threshold", "label.agreement > 99%", "--threshold", "scores.maxAbsDiff <= 0.25", "--threshold", "candidate.errors.rate < 1%",
    ]);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as RunResult;
    const endpoint = "POST /v1/models/{model}:predict";
    assert.deepEqual(report.endpoints.map((e) => e.endpoint), [endpoint]);

    const expectedConfusion: Record<string, Record<string, number>> = {};
    for (let n = 0; n < COUNT; n++) {
      const p = LABELS[n % 3] as string;
      const c = LABELS[(n + (flips(n) ? 1 : 0)) % 3] as string;
      (expectedConfusion[p] ??= {})[c] = (expectedConfusion[p]?.[c] ?? 0) + 1;
    }
    const flipCount = Array.from({ length: COUNT }, (_, n) => n).filter(flips).length;
    const label = report.comparisons.find((c) => c.kind === "label");
    assert.ok(label, "a label comparison");
    assert.equal(label.endpoint, endpoint);
    assert.equal(label.compared, COUNT);
    assert.deepEqual(label.confusion, expectedConfusion);
    assert.equal(label.agreement, (COUNT - flipCount) / COUNT);

    const scores = report.comparisons.find((c) => c.kind === "scores");
    assert.equal(scores?.["maxAbsDiff"], 0.25);
    const tensor = report.comparisons.find((c) => c.kind === "tensor");
    const reshapedCount = Array.from({ length: COUNT }, (_, n) => n).filter(reshaped).length;
    assert.equal(tensor?.["shapeMismatches"], reshapedCount);
    // A shape change is a diff kind of its own, counted per pair.
    const shapeGroup = report.diff.groups.find((g) => g.kind === ("tensor-shape" as string));
    assert.equal(shapeGroup?.count, reshapedCount);
    // The rules' paths are not compared structurally as well.
    assert.equal(report.diff.groups.filter((g) => g.kind === "changed" && g.path.startsWith("$.predictions")).length, 0);

    // The failing threshold is listed with what was observed; the passing ones pass.
    assert.deepEqual(
      report.verdict.thresholds.map((t) => [t.expression, t.observed, t.limit, t.pass]),
      [
        ["label.agreement > 99%", (COUNT - flipCount) / COUNT, 0.99, false],
        ["scores.maxAbsDiff <= 0.25", 0.25, 0.25, true],
        ["candidate.errors.rate < 1%", 0, 0.01, true],
      ],
    );
    assert.equal(report.verdict.pass, false);
    assert.match(run.stderr, /label\.agreement > 99%/);
  });

  it("passing thresholds are exit 0", async () => {
    const run = await runCli(["run", "--traffic", traffic, "--production", url(production), "--candidate", url(candidate), "--rate", "500", "--json", ...compareFlags, "--threshold", "label.agreement > 85%", "--threshold", "candidate.p99 < 5s"]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as RunResult;
    assert.deepEqual(report.verdict.thresholds.map((t) => t.pass), [true, true]);
  });

  it("an abort rule stops the run early with status aborted", async () => {
    const failingProduction = await startModel("production", { failProduction: true });
    try {
      const long = join(dir.path, "long.jsonl");
      const lines = Array.from({ length: 2000 }, (_, n) => JSON.stringify({ method: "POST", url: "/v1/models/m:predict", body: JSON.stringify({ n }) }));
      await writeFile(long, `${lines.join("\n")}\n`);
      // 2000 requests at 200/s would take 10 s; a quarter of production's answers are 500s.
      const run = await runCli(["run", "--traffic", long, "--production", url(failingProduction), "--candidate", url(candidate), "--rate", "200", "--json", "--allow-unsafe-production", "POST /v1/models/*", "--abort", "production.errors.rate > 5%"]);
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.run.status, "aborted");
      assert.ok(report.targets.production.requests < 1000, `stopped after ${report.targets.production.requests} of 2000`);
      assert.ok(report.run.events.some((e) => e.type === "abort-rule" && e.message.includes("production.errors.rate > 5%")));
      assert.match(report.verdict.reasons[0] ?? "", /abort rule production\.errors\.rate > 5%/);
    } finally {
      await closeServer(failingProduction);
    }
  });
});
