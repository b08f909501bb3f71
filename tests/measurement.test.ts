// The open-loop schedule and the histogram format, checked end to end through the real CLI.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { RunResult } from "@parallax/protocol";
import { closeServer, onceListening } from "@parallax/testkit";
import { REPO, runCli, tempDir } from "./support/cli.js";

const COUNT = 2000;
const RATE = 1000;

/** A target that answers at once and remembers when each request arrived. */
async function startClock(): Promise<{ url: string; arrivals: number[]; server: Server }> {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on("end", () => res.end('{"ok":true}'));
  });
  const port = await onceListening(server);
  return { url: `http://127.0.0.1:${port}`, arrivals, server };
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

  it("sends each request once to each target, spread over the schedule rather than in a burst", () => {
    for (const target of [production, candidate]) {
      assert.equal(target.arrivals.length, COUNT);
      const span = (target.arrivals.at(-1) as number) - (target.arrivals[0] as number);
      // The last request is due (COUNT-1)/RATE s after the first; the scheduler never sends early.
      assert.ok(span >= ((COUNT - 1) / RATE) * 1000 - 5, `span ${span} ms`);
    }
    assert.equal(report.run.load, "constant 1000/s (2000 requests)");
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
