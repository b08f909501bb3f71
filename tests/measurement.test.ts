// The open-loop schedule and the histogram format, checked end to end through the real CLI.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { RunResult } from "@parallax/protocol";
import { closeServer, onceListening } from "@parallax/testkit";
import { REPO, runCli, tempDir } from "./support/cli.js";

const COUNT = 2000;
const RATE = 1000;

/** A target that answers at once and remembers when each request (`/items/<i>`) arrived. */
async function startClock(): Promise<{ url: string; arrivals: Map<number, number>; server: Server }> {
  const arrivals = new Map<number, number>();
  const server = createServer((req, res) => {
    arrivals.set(Number(req.url?.split("/")[2]), performance.now());
    req.resume();
    req.on("end", () => res.end('{"ok":true}'));
  });
  await onceListening(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, server };
}

describe(`${COUNT} requests at --rate ${RATE}`, () => {
  let production: Awaited<ReturnType<typeof startClock>>;
  let candidate: Awaited<ReturnType<typeof startClock>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let report: RunResult;

  before(async () => {
    [production, candidate] = await Promise.all([startClock(), startClock()]);
    dir = await tempDir("rate");
    const lines = Array.from({ length: COUNT }, (_, i) => JSON.stringify({ method: "GET", url: `/items/${i}` }));
    await writeFile(join(dir.path, "rec.jsonl"), `${lines.join("\n")}\n`);
    const run = await runCli(["run", "--traffic", join(dir.path, "rec.jsonl"), "--production", production.url, "--candidate", candidate.url, "--rate", String(RATE), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    report = JSON.parse(run.stdout) as RunResult;
  });
  after(async () => Promise.all([closeServer(production.server), closeServer(candidate.server), dir.remove()]));

  it("sends each request once to each target, never ahead of its place in the schedule", () => {
    for (const target of [production, candidate]) {
      assert.equal(target.arrivals.size, COUNT);
      const first = target.arrivals.get(0) as number;
      // Request i is due i/RATE s after request 0. A busy machine can only make it later, never
      // earlier; the allowance covers request 0 itself having left late.
      const allowanceMs = 250;
      let early = 0;
      for (const [i, at] of target.arrivals) if (at - first < (i / RATE) * 1000 - allowanceMs) early++;
      assert.equal(early, 0, "requests sent ahead of the schedule (a burst)");
    }
    assert.equal(report.run.load, "constant 1000/s, each recorded request once (2000 requests)");
    assert.equal(report.targets.candidate.responses, COUNT);
  });

  it("writes histograms the reference Java HdrHistogram decodes to the same counts", async (t) => {
    const jar = "/usr/share/java/hdrhistogram.jar";
    if (!existsSync(jar)) return t.skip(`needs ${jar} (apt-get install libhdrhistogram-java; .ci/run does)`);
    const { stdout } = await promisify(execFile)("java", ["-cp", jar, join(REPO, "tests/java/DecodeHistogram.java"), report.targets.candidate.histogram]);
    const [total, p50, p99, max] = stdout.trim().split(" ").map(Number) as [number, number, number, number];
    assert.equal(total, COUNT);
    const ms = (micros: number) => micros / 1000;
    // Same histogram, same buckets: the reference implementation agrees to the bucket (3 significant digits).
    assert.ok(Math.abs(ms(p50) - report.targets.candidate.latencyMs.p50) <= report.targets.candidate.latencyMs.p50 * 0.002 + 0.002, `p50 ${ms(p50)} vs ${report.targets.candidate.latencyMs.p50}`);
    assert.ok(Math.abs(ms(p99) - report.targets.candidate.latencyMs.p99) <= report.targets.candidate.latencyMs.p99 * 0.002 + 0.002, `p99 ${ms(p99)} vs ${report.targets.candidate.latencyMs.p99}`);
    assert.ok(Math.abs(ms(max) - report.targets.candidate.latencyMs.max) <= report.targets.candidate.latencyMs.max * 0.002 + 0.002);
  });
});
