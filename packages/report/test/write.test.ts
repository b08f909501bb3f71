import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeHistogram, percentileDistribution } from "@parallax/metrics";
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
});
