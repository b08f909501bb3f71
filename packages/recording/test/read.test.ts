import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadRecording, readRecording } from "../src/index.js";
import { fixture, issuesOf, useTempDir } from "./support.js";

const dir = useTempDir("read");

describe("readRecording and loadRecording", () => {
  it("detect the format of an unknown extension and honour an explicit one", async () => {
    const file = join(dir(), "traffic.log");
    await copyFile(fixture("sample.jsonl"), file);
    assert.equal((await loadRecording(file)).format, "jsonl");
    assert.equal((await loadRecording(file, { format: "jsonl" })).requests.length, 3);
    // Forced to HAR, a JSONL file is not one: the first line is a whole document without log.entries.
    assert.deepEqual(await issuesOf(loadRecording(file, { format: "har" })), [{ file, location: "3:1", message: "malformed JSON (unexpected characters)" }]);
  });

  it("report what a validator finds at the request's line, after redaction", async () => {
    const file = join(dir(), "calls.jsonl");
    await writeFile(
      file,
      ['{"method":"GET","url":"/a"}', "", '{"type":"grpc","service":"a.B","method":"Gone","metadata":{"authorization":"Bearer T0K"}}', '{"type":"grpc","service":"a.B","method":"Gone"}'].join("\n"),
    );
    const seen: string[] = [];
    const validate = (request: { path: string; headers: ReadonlyArray<readonly [string, string]> }) => {
      seen.push(JSON.stringify(request.headers));
      return request.path.endsWith("/Gone") ? `unknown method ${request.path.slice(1)}` : undefined;
    };
    assert.deepEqual(await issuesOf(loadRecording(file, { validate })), [
      { file, location: "3:1", message: "unknown method a.B/Gone" },
      { file, location: "4:1", message: "unknown method a.B/Gone" },
    ]);
    assert.ok(!seen.join().includes("T0K"), "the validator sees requests already redacted");
  });

  it("report a missing file", async () => {
    const file = join(dir(), "rec.har");
    assert.deepEqual(await issuesOf(loadRecording(file)), [{ file, message: "file not found" }]);
    const read = (async () => {
      for await (const _ of readRecording(file)) assert.fail("nothing to read");
    })();
    assert.deepEqual(await issuesOf(read), [{ file, message: "file not found" }]);
  });

  it("report a directory", async () => {
    const file = join(dir(), "folder.har");
    await mkdir(file);
    assert.deepEqual(await issuesOf(loadRecording(file)), [{ file, message: "is a directory, not a recording file" }]);
  });

  it("treat an empty recording as an error when loading it whole", async () => {
    const har = join(dir(), "empty.har");
    await writeFile(har, JSON.stringify({ log: { version: "1.2", entries: [] } }));
    assert.deepEqual(await issuesOf(loadRecording(har)), [{ file: har, message: "the recording holds no requests" }]);
    const jsonl = join(dir(), "blank.jsonl");
    await writeFile(jsonl, "\n\n  \n");
    assert.deepEqual(await issuesOf(loadRecording(jsonl)), [{ file: jsonl, message: "the recording holds no requests" }]);
    let streamed = 0;
    for await (const _ of readRecording(har)) streamed++;
    assert.equal(streamed, 0);
  });

  it("let a consumer stop early", async () => {
    const seen: number[] = [];
    for await (const request of readRecording(fixture("sample.har"))) {
      seen.push(request.index);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, [0, 1]);
  });
});
