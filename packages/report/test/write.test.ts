import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createLatencyHistogram, decodeHistogram, percentileDistribution, type LoggedInterval } from "@parallax/metrics";
import type { RunResult } from "@parallax/protocol";
import { renderJson, renderMarkdown, writeReport } from "../src/index.js";
import { fixtureResult } from "./fixture.js";

const base = await mkdtemp(join(tmpdir(), "parallax-report-"));
after(() => rm(base, { recursive: true, force: true }));

async function fresh(name: string): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir);
  return dir;
}

/** `counts[i]` responses in second i, each of `valueMs` + i ms. */
function intervals(counts: readonly number[], valueMs: number): LoggedInterval[] {
  return counts.map((n, i) => {
    const histogram = createLatencyHistogram();
    for (let k = 0; k < n; k++) histogram.record((valueMs + i) * 1000);
    return { startMs: i * 1000, durationMs: 1000, histogram };
  });
}

describe("writeReport", () => {
  const result = fixtureResult();

  it("writes report.json, report.md and one .hgrm per target, and no temporary directory remains", async () => {
    const parent = await fresh("ok");
    const dir = join(parent, "report");
    const written = await writeReport(dir, result);
    assert.equal(written.dir, dir);
    const names = ["production.hgrm", "candidate.hgrm", "secondary.hgrm", "report.md", "report.json"];
    assert.deepEqual(written.files, names.map((n) => join(dir, n)));
    assert.deepEqual((await readdir(dir)).sort(), [...names].sort());
    assert.deepEqual(await readdir(parent), ["report"]);
    assert.equal(await readFile(join(dir, "report.json"), "utf8"), renderJson(result));
    assert.equal(await readFile(join(dir, "report.md"), "utf8"), renderMarkdown(result));
    const hgrm = await readFile(join(dir, "candidate.hgrm"), "utf8");
    assert.equal(hgrm, percentileDistribution(decodeHistogram(result.targets.candidate.histogram)));
    assert.match(hgrm, /^ {7}Value {5}Percentile TotalCount 1\/\(1-Percentile\)\n/);
    assert.match(hgrm, /#\[Max {5}= {6}180\.095, Total count {4}= {9}1989\]/);
  });

  it("writes no .hgrm for an absent target, creates missing parents and leaves other files alone", async () => {
    const parent = await fresh("existing");
    const dir = join(parent, "a", "b");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "notes.txt"), "keep me");
    await writeFile(join(dir, "report.json"), "old");
    const { secondary: _secondary, ...targets } = result.targets;
    const twoTargets: RunResult = { ...result, targets };
    await writeReport(dir, twoTargets);
    assert.deepEqual((await readdir(dir)).sort(), ["candidate.hgrm", "notes.txt", "production.hgrm", "report.json", "report.md"]);
    assert.equal(await readFile(join(dir, "notes.txt"), "utf8"), "keep me");
    assert.equal(await readFile(join(dir, "report.json"), "utf8"), renderJson(twoTargets));
    const nested = join(await fresh("nested"), "x", "y", "z");
    await writeReport(nested, result);
    assert.equal((await readdir(nested)).length, 5);
  });

  it("rejects and leaves nothing behind when the directory path is an existing file", async () => {
    const parent = await fresh("blocked");
    const file = join(parent, "report");
    await writeFile(file, "I am a file");
    await assert.rejects(writeReport(file, result), (error: NodeJS.ErrnoException) => error.code === "EEXIST" || error.code === "ENOTDIR");
    assert.deepEqual(await readdir(parent), ["report"]);
    assert.equal(await readFile(file, "utf8"), "I am a file");
  });

  it("rejects before touching the disk when a histogram cannot be decoded", async () => {
    const parent = await fresh("corrupt");
    const bad: RunResult = { ...result, targets: { ...result.targets, candidate: { ...result.targets.candidate, histogram: "garbage!" } } };
    await assert.rejects(writeReport(join(parent, "new", "report"), bad), { message: "candidate: latency histogram of the result cannot be decoded" });
    assert.deepEqual(await readdir(parent), []);
  });

  it("writes an empty .hgrm for a target whose histogram is empty (\"\")", async () => {
    const dir = join(await fresh("empty-histogram"), "report");
    const empty: RunResult = { ...result, targets: { ...result.targets, secondary: { ...result.targets.production, histogram: "", serviceHistogram: "", responses: 0 } } };
    await writeReport(dir, empty);
    assert.equal(await readFile(join(dir, "secondary.hgrm"), "utf8"), percentileDistribution(createLatencyHistogram()));
  });
});

describe("writeReport interval logs", () => {
  const result = fixtureResult();

  it("writes <target>.hlog for each target with intervals, before report.md and report.json", async () => {
    const dir = join(await fresh("hlog"), "report");
    const startTimeMs = Date.parse("2026-03-01T10:00:00.250Z");
    const written = await writeReport(dir, result, { intervals: { production: intervals([300, 500, 200], 40), candidate: intervals([120], 90), secondary: [] }, startTimeMs });
    const names = ["production.hgrm", "candidate.hgrm", "secondary.hgrm", "production.hlog", "candidate.hlog", "report.md", "report.json"];
    assert.deepEqual(written.files, names.map((n) => join(dir, n)));
    assert.deepEqual((await readdir(dir)).sort(), [...names].sort(), "an empty interval list writes no log");

    const log = (await readFile(join(dir, "production.hlog"), "utf8")).split("\n");
    assert.equal(log.at(-1), "", "ends with a newline");
    const header = log.filter((l) => l.startsWith("#"));
    assert.deepEqual(header.slice(2), [
      "#[Histogram log format version 1.3]",
      "#[StartTime: 1772359200.250 (seconds since epoch), Sun Mar 01 10:00:00 UTC 2026]",
      "#[BaseTime: 1772359200.250 (seconds since epoch)]",
    ]);
    assert.match(header[0] ?? "", /^#Parallax run run-7f3a: production response time \(from the intended send\).*microseconds/);
    assert.equal(header[1], "#Percentiles in ms: java -cp hdrhistogram.jar org.HdrHistogram.HistogramLogProcessor -i production.hlog -outputValueUnitRatio 1000");
    assert.equal(log[5], '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    const lines = log.slice(6, -1);
    assert.equal(lines.length, 3, "one line per interval");
    const fields = (lines[1] ?? "").split(",");
    assert.deepEqual(fields.slice(0, 3), ["1.000", "1.000", "41.023"]);
    const second = decodeHistogram(fields[3] ?? "");
    assert.equal(second.totalCount, 500);
    assert.equal((await readFile(join(dir, "candidate.hlog"), "utf8")).split("\n").filter((l) => /^\d/.test(l)).length, 1);
  });

  it("counts interval starts from the run's startedAt by default", async () => {
    const dir = join(await fresh("hlog-default"), "report");
    await writeReport(dir, result, { intervals: { candidate: intervals([1], 10) } });
    const text = await readFile(join(dir, "candidate.hlog"), "utf8");
    assert.ok(text.includes("#[BaseTime: 1772359200.000 (seconds since epoch)]\n"), text);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith(".hlog")), ["candidate.hlog"]);
  });

  it("writes no .hlog for intervals of a target the result does not have", async () => {
    const dir = join(await fresh("hlog-absent"), "report");
    const { secondary: _secondary, ...targets } = result.targets;
    await writeReport(dir, { ...result, targets }, { intervals: { secondary: intervals([5], 10) } });
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith(".hlog")));
  });

  it("rejects before touching the disk when an interval log cannot be written", async () => {
    const parent = await fresh("hlog-bad");
    const backwards = [...intervals([1, 1], 10)].reverse();
    await assert.rejects(writeReport(join(parent, "report"), result, { intervals: { production: backwards } }), (error: Error) => {
      assert.equal(error.message, "production: interval log cannot be written");
      assert.match(String((error.cause as Error).message), /intervals\[1\]\.startMs 0 is before the previous interval's 1000/);
      return true;
    });
    await assert.rejects(writeReport(join(parent, "report"), result, { intervals: { production: intervals([1], 10) }, startTimeMs: 1.5 }), {
      message: "production: interval log cannot be written",
    });
    assert.deepEqual(await readdir(parent), []);
  });
});
