import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidInputError, REDACTED, type RecordedRequest } from "@parallax/protocol";
import { loadRecording, readRecording } from "../src/index.js";

const SAMPLE = fileURLToPath(new URL("./fixtures/sample.har", import.meta.url));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const R = encodeURIComponent(REDACTED);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-har-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function issuesOf(file: string): Promise<unknown[]> {
  const error = await loadRecording(file).then(
    () => assert.fail("expected an InvalidInputError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidInputError);
  return [...error.issues];
}

function har(entries: unknown[]): string {
  return JSON.stringify({ log: { version: "1.2", creator: { name: "test", version: "1" }, entries } });
}

function entry(request: Record<string, unknown>): unknown {
  return { startedDateTime: "2024-05-01T10:00:00.000Z", request: { headers: [], ...request }, response: { status: 200 } };
}

describe("HAR", () => {
  it("normalises every kind of entry and redacts default and configured secrets", async () => {
    const { requests, format } = await loadRecording(SAMPLE, { redact: { headers: ["X-CUSTOM-KEY"], query: ["Session_ID"] } });
    assert.equal(format, "har");
    const expected: RecordedRequest[] = [
      {
        index: 0,
        offsetMs: 0,
        method: "GET",
        path: `/v1/models?limit=10&access_token=${R}&q=a%2Fb+c`,
        headers: [
          ["accept", "application/json"],
          ["authorization", REDACTED],
          ["cookie", REDACTED],
          ["x-custom-key", REDACTED],
          ["referer", `https://app.example.com/page?token=${R}&tab=1`],
        ],
      },
      {
        index: 1,
        offsetMs: 250,
        method: "POST",
        path: "/v1/models/m:predict",
        headers: [["content-type", "application/json"]],
        body: utf8('{"instances":[1,2]}'),
      },
      // Recorded 100 ms before the first entry: clamped to 0.
      { index: 2, offsetMs: 0, method: "PUT", path: "/upload", headers: [["content-type", "application/octet-stream"]], body: Uint8Array.from([0, 255, 1, 2, 254]) },
      {
        index: 3,
        offsetMs: 1000,
        method: "POST",
        path: "/login",
        headers: [["content-type", "application/x-www-form-urlencoded"]],
        body: utf8(`user=ann&password=${R}&note=a+b%26c`),
      },
      {
        index: 4,
        offsetMs: 1500,
        method: "POST",
        path: `/oauth/token?session_id=${R}&v=2`,
        headers: [["content-type", "application/x-www-form-urlencoded; charset=UTF-8"]],
        body: utf8(`grant_type=client_credentials&client_secret=${R}&scope=read`),
      },
      {
        index: 5,
        offsetMs: 2000,
        method: "POST",
        path: "/form",
        headers: [["content-type", "application/x-www-form-urlencoded"]],
        body: utf8(`api_key=${R}&x=1`),
      },
    ];
    assert.deepEqual(requests, expected);

    const source = await readFile(SAMPLE, "utf8");
    const secrets = [...new Set(source.match(/SECRET-[A-Z0-9]+-\d/g))];
    assert.equal(secrets.length, 8, "the fixture holds the secrets this test looks for");
    assert.ok(Buffer.from(source).includes(Buffer.from("YXBpX2tleT1TRUNSRVQtQjY0LTk", "ascii")), "one secret is only in a base64 body");
    for (const request of requests) {
      const views = [JSON.stringify(request)];
      if (request.body) views.push(Buffer.from(request.body).toString("utf8"), Buffer.from(request.body).toString("base64"));
      for (const secret of ["SECRET", ...secrets]) for (const view of views) assert.ok(!view.includes(secret), `${secret} leaked in request ${request.index}`);
    }
  });

  it("keeps headers that are not secret by default", async () => {
    const { requests } = await loadRecording(SAMPLE);
    assert.deepEqual(requests[0]?.headers.find(([name]) => name === "x-custom-key"), ["x-custom-key", "SECRET-CUSTOM-4"]);
    assert.equal(requests[4]?.path, "/oauth/token?session_id=SECRET-QUERY-8&v=2");
  });

  it("reports a truncated file once, at the end of the input", async () => {
    const text = await readFile(SAMPLE, "utf8");
    const cut = text.slice(0, text.indexOf("oauth/token"));
    const file = join(dir, "cut.har");
    await writeFile(file, cut);
    const lines = cut.split("\n");
    const location = `${lines.length}:${(lines.at(-1) ?? "").length + 1}`;
    assert.deepEqual(await issuesOf(file), [{ file, location, message: "truncated or malformed JSON (unexpected end of input)" }]);
  });

  it("reports a syntax error with its line and column", async () => {
    const file = join(dir, "bad.har");
    await writeFile(file, '{"log": {"entries": [\n  {"request": {"method": "GET" "url": "/"}}\n]}}');
    assert.deepEqual(await issuesOf(file), [{ file, location: "2:32", message: "malformed JSON (expected ',')" }]);
  });

  it("streams the entries read before a truncation, then throws", async () => {
    const text = await readFile(SAMPLE, "utf8");
    const file = join(dir, "cut-late.har");
    await writeFile(file, text.slice(0, text.indexOf("oauth/token")));
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const request of readRecording(file)) seen.push(request.index);
    }, InvalidInputError);
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });

  it("rejects a JSON file without log.entries", async () => {
    const file = join(dir, "nolog.har");
    await writeFile(file, JSON.stringify({ log: { version: "1.2", pages: [] } }));
    assert.deepEqual(await issuesOf(file), [{ file, message: "not a HAR 1.2 file: no log.entries array" }]);
    const notArray = join(dir, "object.har");
    await writeFile(notArray, JSON.stringify({ log: { entries: { request: {} } } }));
    assert.deepEqual(await issuesOf(notArray), [{ file: notArray, message: "not a HAR 1.2 file: no log.entries array" }]);
  });

  it("names the entry that has no url", async () => {
    const entries = Array.from({ length: 20 }, (_, i) => entry({ method: "GET", url: `https://h/${i}` }));
    entries[12] = entry({ method: "GET" });
    const file = join(dir, "nourl.har");
    await writeFile(file, har(entries));
    assert.deepEqual(await issuesOf(file), [{ file, location: "log.entries[12].request", message: "missing url" }]);
  });

  it("names the entry that has no method", async () => {
    const file = join(dir, "nomethod.har");
    await writeFile(file, har([entry({ method: "GET", url: "https://h/" }), entry({ url: "https://h/" })]));
    assert.deepEqual(await issuesOf(file), [{ file, location: "log.entries[1].request", message: "missing method" }]);
  });

  it("rejects an invalid url", async () => {
    const file = join(dir, "badurl.har");
    await writeFile(file, har([entry({ method: "GET", url: "http://exa mple.com/x" })]));
    assert.deepEqual(await issuesOf(file), [
      { file, location: "log.entries[0].request", message: 'invalid url "http://exa mple.com/x": expected an absolute http(s) URL or a path starting with "/"' },
    ]);
  });

  it("does not quote secrets of a URL it rejects", async () => {
    const file = join(dir, "scheme.har");
    await writeFile(file, har([entry({ method: "GET", url: "wss://user:pw@h/socket?token=abc&v=1" })]));
    assert.deepEqual(await issuesOf(file), [
      { file, location: "log.entries[0].request", message: `unsupported URL scheme "wss:" in "wss://h/socket?token=${R}&v=1": only http and https requests can be replayed` },
    ]);
  });

  it("reports all problems at once, at most 20", async () => {
    const entries = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? entry({ method: "GET", url: `https://h/${i}` }) : entry({ method: "GET" })));
    const file = join(dir, "many.har");
    await writeFile(file, har(entries));
    const issues = await issuesOf(file);
    assert.equal(issues.length, 15);
    assert.deepEqual(issues[14], { file, location: "log.entries[29].request", message: "missing url" });

    const worse = join(dir, "worse.har");
    await writeFile(worse, har(Array.from({ length: 30 }, () => entry({ method: "GET" }))));
    const capped = await issuesOf(worse);
    assert.equal(capped.length, 20);
    assert.deepEqual(capped[19], { file: worse, location: "log.entries[19].request", message: "missing url" });
  });

  it("streams a large HAR in order", async () => {
    const count = 20_000;
    const file = join(dir, "large.har");
    const out = createWriteStream(file);
    out.write('{"log":{"version":"1.2","creator":{"name":"gen","version":"1"},"entries":[\n');
    const start = Date.parse("2024-05-01T00:00:00.000Z");
    for (let i = 0; i < count; i++) {
      const line = JSON.stringify({
        startedDateTime: new Date(start + i * 10).toISOString(),
        request: { method: "GET", url: `https://api.example.com/items/${i}?token=t${i}`, headers: [{ name: "Accept", value: "*/*" }] },
        response: { status: 200, content: { size: 64, text: "x".repeat(64) } },
      });
      if (!out.write(i === 0 ? line : ",\n" + line)) await once(out, "drain");
    }
    out.end("]}}\n");
    await once(out, "finish");

    let seen = 0;
    for await (const request of readRecording(file)) {
      assert.equal(request.index, seen);
      assert.equal(request.offsetMs, seen * 10);
      assert.equal(request.path, `/items/${seen}?token=${R}`);
      seen++;
    }
    assert.equal(seen, count);
  });
});
