import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { detectFormat } from "../src/index.js";
import { fixture, issuesOf, useTempDir } from "./support.js";

const dir = useTempDir("detect");

describe("detectFormat", () => {
  it("goes by extension first", async () => {
    assert.equal(await detectFormat("/nowhere/rec.HAR"), "har");
    assert.equal(await detectFormat("/nowhere/rec.jsonl"), "jsonl");
    assert.equal(await detectFormat("/nowhere/rec.ndjson"), "jsonl");
  });

  it("otherwise sniffs the first bytes", async () => {
    const har = join(dir(), "capture.json");
    await copyFile(fixture("sample.har"), har);
    assert.equal(await detectFormat(har), "har");
    const minified = join(dir(), "min.txt");
    await writeFile(minified, '{"log":{"version":"1.2","entries":[]}}');
    assert.equal(await detectFormat(minified), "har");
    const jsonl = join(dir(), "traffic.log");
    await copyFile(fixture("sample.jsonl"), jsonl);
    assert.equal(await detectFormat(jsonl), "jsonl");
  });

  it("says when it cannot tell", async () => {
    const file = join(dir(), "notes.txt");
    await writeFile(file, "GET / HTTP/1.1\r\n");
    assert.deepEqual(await issuesOf(detectFormat(file)), [
      { file, message: "cannot tell the traffic format: expected a HAR 1.2 file or Parallax JSONL (name it .har or .jsonl, or pass the format)" },
    ]);
    const missing = join(dir(), "missing.dump");
    assert.deepEqual(await issuesOf(detectFormat(missing)), [{ file: missing, message: "file not found" }]);
  });
});
