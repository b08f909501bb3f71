// Bad input: one clear message naming the file and location, exit 2, no stack trace, and
// nothing written under --out.
import assert from "node:assert/strict";
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { groundTruthRecording } from "@parallax/testkit";
import { runCli, tempDir } from "./support/cli.js";

const HAR_ENTRY = {
  startedDateTime: "2025-01-01T00:00:00.000Z",
  request: { method: "GET", url: "http://example.test/items/1", headers: [], queryString: [] },
};

describe("bad input exits 2 with one clear message", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const file = (name: string) => join(dir.path, name);

  before(async () => {
    dir = await tempDir("bad-input");
    const har = JSON.stringify({ log: { version: "1.2", entries: [HAR_ENTRY, HAR_ENTRY] } });
    await writeFile(file("truncated.har"), har.slice(0, har.length - 40));
    await writeFile(file("no-entries.har"), JSON.stringify({ log: { version: "1.2" } }));
    await writeFile(file("rec.jsonl"), groundTruthRecording(5));
    await writeFile(file("untimed.jsonl"), '{"method":"GET","url":"/a"}\n{"method":"GET","url":"/b"}\n{"method":"GET","url":"/c"}\n');
    const scenario = (load: string, production = "http://127.0.0.1:9") =>
      `targets:\n  production: ${production}\n  candidate: http://127.0.0.1:9\ntraffic:\n  file: rec.jsonl\nload:\n${load}\n`;
    await writeFile(file("unknown-key.yaml"), scenario("  rate: 10\n  duraton: 10s"));
    await writeFile(file("bad-duration.yaml"), scenario("  rate: 10\n  duration: 10 minutes"));
    await writeFile(file("bad-url.yaml"), scenario("  rate: 10", "ftp://127.0.0.1:9"));
    await writeFile(file("bad-stage.yaml"), scenario("  model: ramp\n  stages:\n    - { rate: 10, duration: 5 }"));
  });
  after(async () => dir?.remove());

  const flagsOnly = () => ["--traffic", file("rec.jsonl"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9"];
  const cases: Array<{ name: string; args: () => string[]; expect: RegExp }> = [
    { name: "truncated HAR", args: () => ["--traffic", file("truncated.har"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9"], expect: /truncated\.har:\d+(:\d+)?: .*(truncated|unexpected end)/i },
    { name: "HAR without log.entries", args: () => ["--traffic", file("no-entries.har"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9"], expect: /no-entries\.har.*log\.entries/ },
    { name: "unknown scenario key", args: () => [file("unknown-key.yaml")], expect: /unknown-key\.yaml:8:3: .*"duraton".*did you mean "duration"/ },
    { name: "bad duration", args: () => [file("bad-duration.yaml")], expect: /bad-duration\.yaml:8:\d+: .*"10 minutes"/ },
    { name: "non-http target URL", args: () => [file("bad-url.yaml")], expect: /bad-url\.yaml:2:\d+: .*ftp/ },
    { name: "ramp stage without a unit", args: () => [file("bad-stage.yaml")], expect: /bad-stage\.yaml:9:29: load\.stages\[0\]\.duration: plain number 5 is not a duration/ },
    { name: "steps without an SLO", args: () => [...flagsOnly(), "--load", "steps", "--start-rate", "10", "--step-rate", "5", "--max-rate", "20", "--step-duration", "1s"], expect: /--load: load\.slo: / },
    { name: "flags of two load models", args: () => [...flagsOnly(), "--connections", "8", "--speed", "2"], expect: /--speed, --connections: these flags belong to different load models/ },
    {
      name: "replay of a recording without timestamps",
      args: () => ["--traffic", file("untimed.jsonl"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9", "--speed", "2"],
      expect: /untimed\.jsonl: replay keeps the recording's timing, but its 3 requests are all at one instant \(no line has offsetMs or time, or every line the same\): all would be sent at once/,
    },
    { name: "missing file", args: () => [file("nope.yaml")], expect: /nope\.yaml: .*(not found|no such file)/i },
    { name: "missing recording", args: () => ["--traffic", file("nope.har"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9"], expect: /nope\.har: .*(not found|no such file)/i },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const out = file(`out-${c.name.replace(/\W+/g, "-")}`);
      const run = await runCli(["run", ...c.args(), "--out", out]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, c.expect);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.equal(run.stdout, "");
      await assert.rejects(access(out), "nothing written under --out");
      const validate = await runCli(["validate", ...c.args()]);
      assert.equal(validate.code, 2);
      assert.match(validate.stderr, c.expect);
    });
  }

  it("reports every problem of a scenario at once", async () => {
    await writeFile(file("many.yaml"), "targets:\n  production: ftp://x\n  candidate: http://127.0.0.1:9\ntraffic:\n  file: rec.jsonl\nload:\n  rate: -1\n  duraton: 1s\n");
    const run = await runCli(["validate", file("many.yaml")]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /many\.yaml:2:\d+/);
    assert.match(run.stderr, /many\.yaml:7:\d+/);
    assert.match(run.stderr, /many\.yaml:8:3/);
  });

  it("an --out that cannot be written is refused before any request is sent", async () => {
    const run = await runCli(["run", "--traffic", file("rec.jsonl"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9", "--out", "/proc/parallax-report"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--out: cannot write under \/proc/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it("an --out below a file is refused before any request is sent", async () => {
    await writeFile(file("a-file"), "not a directory");
    const run = await runCli(["run", "--traffic", file("rec.jsonl"), "--production", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9", "--out", file("a-file/report")]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--out: .*a-file exists and is not a directory/);
  });

  it("a usage error (unknown flag) is exit 2 too", async () => {
    const run = await runCli(["run", "--no-such-flag"]);
    assert.equal(run.code, 2);
  });

  it("validate accepts a good scenario with exit 0", async () => {
    await writeFile(file("good.yaml"), "targets:\n  production: http://127.0.0.1:9\n  candidate: http://127.0.0.1:9\ntraffic:\n  file: rec.jsonl\nload:\n  rate: 10\n");
    const run = await runCli(["validate", file("good.yaml")]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /5 requests/);
  });
});
