// A HAR recording end to end, and Ctrl-C mid-run: exit 130 with the partial report, labelled.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { startGroundTruthTarget, type RunningTarget } from "@parallax/testkit";
import { PARALLAX_BIN, REPO, runCli, tempDir } from "./support/cli.js";

const SECRET = "har-cookie-secret-42";

function harEntry(n: number): object {
  const get = n % 2 === 1;
  return {
    startedDateTime: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, n * 10)).toISOString(),
    request: {
      method: get ? "GET" : "POST",
      url: get ? `https://shop.example/items/${n}?access_token=${SECRET}` : "https://shop.example/predict",
      httpVersion: "HTTP/2",
      headers: [
        { name: ":authority", value: "shop.example" },
        { name: ":method", value: get ? "GET" : "POST" },
        { name: "cookie", value: `session=${SECRET}` },
        { name: "content-type", value: "application/json" },
      ],
      queryString: [],
      ...(get ? {} : { postData: { mimeType: "application/json", text: JSON.stringify({ n, text: `har ${n}` }) } }),
    },
  };
}

describe("parallax run with a HAR recording and interrupts", () => {
  let production: RunningTarget;
  let candidate: RunningTarget;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    [production, candidate] = await Promise.all([startGroundTruthTarget({ role: "production" }), startGroundTruthTarget({ role: "candidate" })]);
    dir = await tempDir("har");
  });
  after(async () => Promise.all([production?.close(), candidate?.close(), dir?.remove()]));

  it("replays a Chrome HAR: pseudo headers stripped, origin replaced, cookie and token redacted", async () => {
    await writeFile(join(dir.path, "rec.har"), JSON.stringify({ log: { version: "1.2", creator: { name: "test", version: "1" }, entries: Array.from({ length: 40 }, (_, n) => harEntry(n)) } }));
    const before = production.received.total;
    const run = await runCli(["run", "--traffic", join(dir.path, "rec.har"), "--production", production.url, "--candidate", candidate.url, "--allow-unsafe-production", "POST /predict", "--rate", "200", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as RunResult;
    assert.equal(report.run.traffic.format, "har");
    assert.equal(report.targets.production.requests, 40);
    assert.equal(production.received.total - before, 40);
    assert.equal(production.received.byPath["/predict"], 20);
    const seen = JSON.stringify(production.received.headers) + production.received.urls.join(" ");
    assert.ok(!seen.includes(SECRET), "secret reached the target");
    assert.ok(!seen.includes(":authority"));
    assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET));
  });

  it("on SIGINT stops the agents, writes the partial report labelled aborted, and exits 130", async () => {
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ method: "GET", url: `/items/${4 + 5 * i}` }));
    await writeFile(join(dir.path, "long.jsonl"), `${lines.join("\n")}\n`);
    const out = join(dir.path, "out");
    const child = spawn(process.execPath, [PARALLAX_BIN, "run", "--traffic", join(dir.path, "long.jsonl"), "--production", production.url, "--candidate", candidate.url, "--rate", "50", "--duration", "60s", "--out", out], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    // Interrupt once the run is sending.
    const sending = production.received.total;
    while (production.received.total < sending + 20) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(killer);
    assert.equal(code, 130, stderr);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as RunResult;
    assert.equal(report.run.status, "aborted");
    assert.equal(report.verdict.pass, false);
    assert.ok(report.run.planned === 3000 && report.run.agents[0] !== undefined && report.run.agents[0].requests < 3000);
    assert.equal(report.targets.production.requests, report.run.agents[0]?.requests);
    assert.match(report.verdict.reasons.join("\n"), /aborted/);
  });
});
