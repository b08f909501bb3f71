import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidInputError, REDACTED, type RecordedRequest } from "@parallax/protocol";
import { encodeJsonl, loadRecording, parseJsonl, readRecording, toJsonlLine } from "../src/index.js";

const SAMPLE = fileURLToPath(new URL("./fixtures/sample.jsonl", import.meta.url));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const R = encodeURIComponent(REDACTED);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-jsonl-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function issuesOfText(text: string): unknown[] {
  try {
    parseJsonl(text, "rec.jsonl");
  } catch (error) {
    assert.ok(error instanceof InvalidInputError);
    return [...error.issues];
  }
  return assert.fail("expected an InvalidInputError");
}

const SAMPLE_REQUESTS: RecordedRequest[] = [
  {
    index: 0,
    offsetMs: 0,
    method: "GET",
    path: `/v1/models?token=${R}&x=1`,
    headers: [
      ["accept", "application/json"],
      ["authorization", REDACTED],
    ],
  },
  {
    index: 1,
    offsetMs: 40,
    method: "POST",
    path: "/v1/models/m:predict",
    headers: [
      ["content-type", "application/json"],
      ["x-trace", "a"],
      ["x-trace", "b"],
    ],
    body: utf8('{"instances":[1]}'),
  },
  { index: 2, offsetMs: 75, method: "PUT", path: "/blob", headers: [], body: Uint8Array.from([0, 255, 1, 2, 254]) },
];

describe("Parallax JSONL", () => {
  it("reads a file: both header forms, time and offsetMs, base64 bodies, blank lines, redaction", async () => {
    const { requests, format } = await loadRecording(SAMPLE);
    assert.equal(format, "jsonl");
    assert.deepEqual(requests, SAMPLE_REQUESTS);
    for (const request of requests) assert.ok(!JSON.stringify(request).includes("SECRET"));
  });

  it("serialises a request as one line, base64 only for bytes that are not UTF-8", () => {
    assert.equal(
      toJsonlLine(SAMPLE_REQUESTS[1] as RecordedRequest),
      '{"offsetMs":40,"method":"POST","url":"/v1/models/m:predict","headers":[["content-type","application/json"],["x-trace","a"],["x-trace","b"]],"body":"{\\"instances\\":[1]}"}',
    );
    assert.equal(toJsonlLine(SAMPLE_REQUESTS[2] as RecordedRequest), '{"offsetMs":75,"method":"PUT","url":"/blob","headers":[],"body":"AP8BAv4=","bodyEncoding":"base64"}');
  });

  it("round-trips through encodeJsonl and parseJsonl", () => {
    const text = new TextDecoder().decode(encodeJsonl(SAMPLE_REQUESTS));
    assert.equal(text.split("\n").length, 4);
    assert.ok(text.endsWith("}\n"));
    assert.deepEqual(parseJsonl(text, "bundle.jsonl"), SAMPLE_REQUESTS);
  });

  it("redacts configured names while parsing", () => {
    const [request] = parseJsonl('{"method":"GET","url":"/?Session=s3&a=1","headers":{"X-Key":"k9"}}\n', "b.jsonl", { headers: ["x-key"], query: ["session"] });
    assert.deepEqual(request, { index: 0, offsetMs: 0, method: "GET", path: `/?Session=${R}&a=1`, headers: [["x-key", REDACTED]] });
  });

  it("drops hop-by-hop, replaced and marker headers and encodes what a request line cannot carry", () => {
    const headers = ["Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Content-Length", "X-Parallax-Replay", ":path"].map(
      (name) => [name, "x"],
    );
    const line = JSON.stringify({ method: "get", url: "http://h:81/s p/café?q=a b&r=%2F#top", headers: [...headers, ["X-Kept", "1"]] });
    assert.deepEqual(parseJsonl(line, "b.jsonl"), [{ index: 0, offsetMs: 0, method: "GET", path: "/s%20p/caf%C3%A9?q=a%20b&r=%2F", headers: [["x-kept", "1"]] }]);
  });

  it("reports a JSON syntax error with line and column", () => {
    const text = '{"method":"GET","url":"/"}\n{"method":"GET","url":"/" "x":1}\n';
    assert.deepEqual(issuesOfText(text), [{ file: "rec.jsonl", location: "2:27", message: "invalid JSON: expected ',' or '}' after property value" }]);
  });

  it("does not quote a malformed line, which may hold a secret", () => {
    assert.deepEqual(issuesOfText('{"authorization":SECRET-X}'), [{ file: "rec.jsonl", location: "1:1", message: "invalid JSON: unexpected token 'S'" }]);
  });

  it("reads gRPC lines beside HTTP ones: service and method as the path, metadata as headers, the message as JSON", () => {
    const text = [
      '{"method":"GET","url":"/health","offsetMs":0}',
      '{"type":"grpc","service":"inference.GRPCInferenceService","method":"ModelInfer","metadata":{"X-Model":"m","trace-bin":"AAE="},"message":{"model_name":"m","inputs":[{"shape":["1"]}]},"offsetMs":5}',
      '{"type":"grpc","service":".pkg.Svc","method":"Get","metadata":[["a","1"],["a","2"]],"offsetMs":9}',
    ].join("\n");
    const [http, infer, get] = parseJsonl(text, "rec.jsonl");
    assert.equal(http?.protocol, undefined);
    assert.deepEqual({ ...infer, body: new TextDecoder().decode(infer?.body) }, {
      index: 1,
      offsetMs: 5,
      method: "POST",
      path: "/inference.GRPCInferenceService/ModelInfer",
      headers: [
        ["x-model", "m"],
        ["trace-bin", "AAE="],
      ],
      protocol: "grpc",
      body: '{"model_name":"m","inputs":[{"shape":["1"]}]}',
    });
    // A leading dot (a fully-qualified name as protoc writes it) is dropped; no message is the empty message.
    assert.equal(get?.path, "/pkg.Svc/Get");
    assert.equal(new TextDecoder().decode(get?.body), "{}");
    assert.deepEqual(get?.headers, [
      ["a", "1"],
      ["a", "2"],
    ]);
  });

  it("redacts credentials in gRPC metadata and secret-named fields of the message at ingest", () => {
    const text = '{"type":"grpc","service":"a.B","method":"C","metadata":{"authorization":"Bearer S3CRET","x-api-key":"K3Y"},"message":{"user":{"password":"hunter2","name":"n"}}}';
    const [call] = parseJsonl(text, "rec.jsonl");
    assert.deepEqual(call?.headers, [
      ["authorization", REDACTED],
      ["x-api-key", REDACTED],
    ]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(call?.body)), { user: { password: REDACTED, name: "n" } });
    assert.ok(!toJsonlLine(call as RecordedRequest).includes("S3CRET"));
  });

  it("writes gRPC calls back as gRPC lines that read back the same", () => {
    const text = '{"type":"grpc","service":"a.B","method":"C","metadata":{"k":"v"},"message":{"n":"12345678901234567890","f":[1.5]},"offsetMs":3}';
    const calls = parseJsonl(text, "rec.jsonl");
    const line = toJsonlLine(calls[0] as RecordedRequest);
    assert.deepEqual(JSON.parse(line), { offsetMs: 3, type: "grpc", service: "a.B", method: "C", metadata: [["k", "v"]], message: { n: "12345678901234567890", f: [1.5] } });
    assert.deepEqual(parseJsonl(new TextDecoder().decode(encodeJsonl(calls)), "again.jsonl"), calls);
  });

  it("names what is wrong with a gRPC line", () => {
    const problems = (line: string) => issuesOfText(line).map((i) => (i as { message: string }).message);
    assert.deepEqual(problems('{"type":"grpc","method":"C"}'), ["missing service (the fully-qualified gRPC service, e.g. inference.GRPCInferenceService)"]);
    assert.deepEqual(problems('{"type":"grpc","service":"a/B","method":"C"}'), ['service must be a fully-qualified gRPC service name such as inference.GRPCInferenceService, got "a/B"']);
    assert.deepEqual(problems('{"type":"grpc","service":"a.B"}'), ["missing method (the gRPC method's name, e.g. ModelInfer)"]);
    assert.deepEqual(problems('{"type":"grpc","service":"a.B","method":"C","message":[1]}'), ["message must be a JSON object (the request message in proto3 JSON)"]);
    assert.deepEqual(problems('{"type":"grpc","service":"a.B","method":"C","metadata":{"k":1}}'), ["metadata.k must be a string"]);
    assert.deepEqual(problems('{"type":"websocket"}'), ['unknown type "websocket" (expected "http" or "grpc")']);
    // HTTP's names, or ghz's "data", would send an empty message or no metadata if ignored.
    assert.deepEqual(problems('{"type":"grpc","service":"a.B","method":"C","data":{"n":1},"headers":{"k":"v"}}'), [
      'a gRPC line has no "data"; did you mean "message"?',
      'a gRPC line has no "headers"; did you mean "metadata"?',
    ]);
  });

  it("names missing and mistyped fields", () => {
    assert.deepEqual(issuesOfText('{"url":"/"}'), [{ file: "rec.jsonl", location: "1:1", message: "missing method" }]);
    assert.deepEqual(issuesOfText('{"method":"GET"}'), [{ file: "rec.jsonl", location: "1:1", message: "missing url" }]);
    assert.deepEqual(issuesOfText('{"method":"GET","url":"/","body":"***","bodyEncoding":"base64"}'), [
      { file: "rec.jsonl", location: "1:1", message: "body is not valid base64" },
    ]);
    assert.deepEqual(issuesOfText('{"method":"GET","url":"/","time":"yesterday"}'), [
      { file: "rec.jsonl", location: "1:1", message: "time must be an ISO 8601 date string" },
    ]);
    assert.deepEqual(issuesOfText('{"method":"GET","url":"v1/x"}'), [
      { file: "rec.jsonl", location: "1:1", message: 'invalid url "v1/x": expected an absolute http(s) URL or a path starting with "/"' },
    ]);
  });

  it("collects at most 20 problems", () => {
    const issues = issuesOfText(Array.from({ length: 30 }, () => '{"url":"/"}').join("\n"));
    assert.equal(issues.length, 20);
    assert.deepEqual(issues[19], { file: "rec.jsonl", location: "20:1", message: "missing method" });
  });

  it("streams the good lines before the first problem, then throws every problem", async () => {
    const file = join(dir, "partly.jsonl");
    await writeFile(file, '{"method":"GET","url":"/a"}\r\n{"method":"GET","url":"/b"}\r\n{"url":"/c"}\r\n{"method":"GET","url":"/d"}\r\n{"method":"GET"}\r\n');
    const paths: string[] = [];
    const error = await (async () => {
      for await (const request of readRecording(file)) paths.push(request.path);
    })().then(
      () => assert.fail("expected an InvalidInputError"),
      (e: unknown) => e,
    );
    assert.deepEqual(paths, ["/a", "/b"]);
    assert.ok(error instanceof InvalidInputError);
    assert.deepEqual(error.issues, [
      { file, location: "3:1", message: "missing method" },
      { file, location: "5:1", message: "missing url" },
    ]);
  });
});

describe("JSON body redaction", () => {
  const text = (r: { body?: Uint8Array }) => new TextDecoder().decode(r.body);

  it("redacts members named like secrets at any depth, and configured names too", () => {
    const body = JSON.stringify({ user: "ann", password: "hunter2", nested: [{ api_key: "k-123", keep: 1 }], Session: "s-9" });
    const [request] = parseJsonl(JSON.stringify({ method: "POST", url: "/login", headers: { "content-type": "application/json; charset=utf-8" }, body }), "rec.jsonl", { query: ["session"] });
    assert.ok(request);
    assert.deepEqual(JSON.parse(text(request)), { user: "ann", password: "[REDACTED]", nested: [{ api_key: "[REDACTED]", keep: 1 }], Session: "[REDACTED]" });
  });

  it("keeps the exact bytes of JSON bodies with nothing to redact, and of bodies that are not JSON", () => {
    const spaced = '{ "a" : 1 }';
    const [a, b] = parseJsonl(
      [
        JSON.stringify({ method: "POST", url: "/a", headers: { "content-type": "application/json" }, body: spaced }),
        JSON.stringify({ method: "POST", url: "/b", headers: { "content-type": "application/json" }, body: "{not json password" }),
      ].join("\n"),
      "rec.jsonl",
    );
    assert.equal(text(a as { body?: Uint8Array }), spaced);
    assert.equal(text(b as { body?: Uint8Array }), "{not json password");
  });
});
