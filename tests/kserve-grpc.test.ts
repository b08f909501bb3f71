// The KServe v2 gRPC example (scenarios/kserve-grpc), locally and over NATS: three gRPC model
// servers as their own processes, the committed recording, the committed scenario. The servers'
// differences are known exactly (scenarios/kserve-grpc/README.md), so are the report's figures.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { natsServerBinary, startNatsServer, type NatsServerHandle } from "@parallax/testkit";
import { startAgent, type AgentProcess } from "./support/agents.js";
import { REPO, runCli } from "./support/cli.js";

const MODEL_SERVER = join(REPO, "scenarios/kserve-grpc/model-server.js");
const SCENARIO = "scenarios/kserve-grpc/scenario.yaml";
const INFER = "inference.GRPCInferenceService/ModelInfer";
const CALLS = 1200;
/** The example's count gates; its latency gate is left out: tests never judge speed, and this machine runs other tests beside it. */
const GATES = ["--threshold", "diff.rate < 15%", "--threshold", "candidate.errors.rate < 5%"];
const noNats = natsServerBinary(process.env) === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;

interface ModelServer {
  readonly url: string;
  /** Stops it; resolves with how many calls it served. */
  stop(): Promise<number>;
}

function startModelServer(variant: "production" | "candidate"): Promise<ModelServer> {
  const child = spawn(process.execPath, [MODEL_SERVER, "--variant", variant, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  let served = -1;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`model server (${variant}) exited with ${code}`)));
    lines.on("line", (line) => {
      served = Number(/^served (\d+) requests$/.exec(line)?.[1] ?? served);
      const url = /^listening (\S+)$/.exec(line)?.[1];
      if (url !== undefined)
        resolve({
          url,
          async stop() {
            child.kill("SIGTERM");
            await exited;
            return served;
          },
        });
    });
  });
}

/** What both runs must report: the example's known findings. */
function assertKnownFindings(report: RunResult): void {
  assert.equal(report.verdict.pass, true);
  assert.deepEqual(report.verdict.thresholds.map((t) => [t.expression, t.pass]), [["diff.rate < 15%", true], ["candidate.errors.rate < 5%", true]]);
  assert.equal(report.skipped.count, 0);
  assert.deepEqual(report.targets.production.statusCodes, { OK: CALLS });
  assert.deepEqual(report.targets.candidate.statusCodes, { OK: CALLS - 29, INTERNAL: 29 });
  assert.equal(report.targets.candidate.errors, 29);
  assert.equal(report.diff.compared, CALLS);
  assert.equal(report.diff.different, 133);
  assert.equal(report.diff.noise, 0);
  const tensor = report.comparisons.find((c) => c.endpoint === INFER && c.kind === "tensor");
  assert.equal(tensor?.compared, 1940);
  assert.equal(tensor?.["valueMismatches"], 145);
  assert.equal(tensor?.["elementsMismatched"], 381);
  assert.equal((tensor?.secondary as { valueMismatches?: number } | undefined)?.valueMismatches, 0);
  const label = report.comparisons.find((c) => c.endpoint === INFER && c.kind === "label");
  assert.equal(label?.compared, 1546);
  assert.equal(label?.["agreed"], 1546 - 25);
}

describe("the KServe v2 gRPC example", () => {
  let servers: ModelServer[] = [];
  let env: Record<string, string> = {};

  before(async () => {
    servers = await Promise.all([startModelServer("production"), startModelServer("candidate"), startModelServer("production")]);
    const [production, candidate, secondary] = servers.map((s) => s.url) as [string, string, string];
    env = { PARALLAX_KSERVE_PRODUCTION: production, PARALLAX_KSERVE_CANDIDATE: candidate, PARALLAX_KSERVE_SECONDARY: secondary };
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("runs locally and reports exactly the candidate's known differences", async () => {
    const run = await runCli(["run", SCENARIO, ...GATES, "--json"], { env });
    assert.equal(run.code, 0, run.stderr);
    assertKnownFindings(JSON.parse(run.stdout) as RunResult);
  });

  describe("over NATS, with two agent processes", { skip: noNats }, () => {
    let nats: NatsServerHandle;
    let agents: AgentProcess[] = [];
    before(async () => {
      nats = await startNatsServer({ env: process.env });
      agents = ["k1", "k2"].map((name) => startAgent(nats.url, name));
      await Promise.all(agents.map((a) => a.ready));
    });
    after(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await nats?.close();
    });

    it("gives the same figures, each agent sending its half", async () => {
      const run = await runCli(["run", SCENARIO, ...GATES, "--nats", nats.url, "--agents", "2", "--json"], { env });
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as RunResult;
      assert.equal(report.run.mode, "nats");
      assert.deepEqual(report.run.agents.map((a) => [a.id, a.requests]), [["k1", CALLS / 2], ["k2", CALLS / 2]]);
      assertKnownFindings(report);
    });
  });

  it("served every call exactly once per run to each server", async () => {
    const served = await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    const runs = noNats === false ? 2 : 1;
    assert.deepEqual(served, [CALLS * runs, CALLS * runs, CALLS * runs]);
  });
});
