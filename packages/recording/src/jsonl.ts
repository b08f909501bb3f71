/*
 * Parallax JSONL: one recorded request per line, UTF-8, each line one JSON object. Blank lines are
 * skipped; a byte-order mark before the first line is ignored. Fields:
 *
 *   method       string, required. Any HTTP method; stored upper-case.
 *   url          string, required. A path such as "/v1/x?y=1", or an absolute http(s) URL whose
 *                origin is dropped (each target supplies its own); the fragment is dropped.
 *   headers      optional. Either an object {"name": "value"} or an array of ["name", "value"]
 *                pairs (use the array to keep order or repeat a name). Values are strings.
 *   body         string, optional. The request body, decoded as bodyEncoding says.
 *   bodyEncoding "utf8" (default) or "base64" (for binary bodies).
 *   offsetMs     number >= 0, optional. Milliseconds after the start of the recording.
 *   time         string, optional. ISO 8601 instant; offsets are measured from the first line that
 *                has one (negative ones clamp to 0). offsetMs wins when both are given; a line with
 *                neither keeps the previous line's offset (0 at the start).
 *   type         optional. "http" (the default) or "grpc".
 *
 * A "grpc" line is one unary gRPC call; instead of method, url, headers and body it has:
 *
 *   service      string, required. The fully-qualified service, e.g. "inference.GRPCInferenceService".
 *   method       string, required. The method's name, e.g. "ModelInfer".
 *   metadata     optional, like headers: {"name": "value"} or [["name", "value"], ...]; values of
 *                "-bin" names are base64.
 *   message      object, optional (default {}). The request message in proto3 JSON (field names
 *                as in the proto or lowerCamelCase, 64-bit integers as strings, bytes as base64);
 *                checked against the protos before the run.
 *
 * offsetMs and time work as for HTTP lines, and both kinds of line may be mixed in one file.
 * Any other field is ignored. Examples:
 *
 *   {"offsetMs":0,"method":"POST","url":"/v2/models/m/infer","headers":[["content-type","application/json"]],"body":"{\"inputs\":[]}"}
 *   {"offsetMs":5,"type":"grpc","service":"inference.GRPCInferenceService","method":"ModelInfer","message":{"model_name":"m"}}
 *
 * toJsonlLine writes exactly these fields (headers as pairs; body as utf8 when it is valid UTF-8,
 * else base64 with "bodyEncoding":"base64"), so parseJsonl(encodeJsonl(r)) gives r back.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { InvalidInputError, type Issue, type RecordedRequest } from "@parallax/protocol";
import { compileRedaction, type RedactionOptions } from "./redact.js";
import { decodeBase64, Ingest, type Candidate, type RawRequest } from "./normalise.js";

/** One request as one JSON line, without the trailing newline. */
export function toJsonlLine(request: RecordedRequest): string {
  if (request.protocol === "grpc") return toGrpcLine(request);
  const line: Record<string, unknown> = {
    offsetMs: request.offsetMs,
    method: request.method,
    url: request.path,
    headers: request.headers,
  };
  if (request.body !== undefined) {
    const text = utf8(request.body);
    if (text === undefined) {
      line["body"] = Buffer.from(request.body).toString("base64");
      line["bodyEncoding"] = "base64";
    } else {
      line["body"] = text;
    }
  }
  return JSON.stringify(line);
}

function toGrpcLine(request: RecordedRequest): string {
  const slash = request.path.lastIndexOf("/");
  const message: unknown = request.body === undefined ? {} : JSON.parse(new TextDecoder().decode(request.body));
  return JSON.stringify({ offsetMs: request.offsetMs, type: "grpc", service: request.path.slice(1, slash), method: request.path.slice(slash + 1), metadata: request.headers, message });
}

export function encodeJsonl(requests: Iterable<RecordedRequest>): Uint8Array {
  let text = "";
  for (const request of requests) text += toJsonlLine(request) + "\n";
  return new TextEncoder().encode(text);
}

/** Parses a whole JSONL text (e.g. from a bundle); every problem, with `source:line:col`, in one InvalidInputError. */
export function parseJsonl(text: string, source: string, redact?: RedactionOptions): RecordedRequest[] {
  const ingest = new Ingest(source, compileRedaction(redact));
  const requests: RecordedRequest[] = [];
  const lines = text.split(LINE_BREAK);
  for (let i = 0; i < lines.length && !ingest.full; i++) {
    const line = lines[i] ?? "";
    for (const candidate of lineCandidates(source, i + 1, i === 0 ? stripBom(line) : line)) {
      const request = ingest.accept(candidate);
      if (request !== undefined) requests.push(request);
    }
  }
  if (ingest.issues.length > 0) throw new InvalidInputError(ingest.issues);
  return requests;
}

// The same line breaks readline splits on, so a text and a file of it read alike.
const LINE_BREAK = /\r\n|\r|\n/;

export async function* readJsonl(file: string): AsyncGenerator<Candidate> {
  const input = createReadStream(file, { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      yield* lineCandidates(file, lineNumber, lineNumber === 1 ? stripBom(line) : line);
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

function stripBom(line: string): string {
  return line.startsWith("\uFEFF") ? line.slice(1) : line;
}

/** Nothing for a blank line, a request candidate, or every problem found in the line. */
export function lineCandidates(file: string, lineNumber: number, line: string): Candidate[] {
  if (line.trim() === "") return [];
  const problem = (message: string, column = 1): Candidate => ({ kind: "issue", issue: { file, location: `${lineNumber}:${column}`, message } });
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [problem(`invalid JSON: ${describeSyntaxError(message)}`, syntaxErrorColumn(message, line))];
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [problem("expected a JSON object")];
  const fields = value as Record<string, unknown>;

  const type = fields["type"];
  if (type !== undefined && type !== "http" && type !== "grpc") return [problem(`unknown type ${JSON.stringify(type)} (expected "http" or "grpc")`)];

  const issues: Issue[] = [];
  const fail = (message: string): void => {
    issues.push({ file, location: `${lineNumber}:1`, message });
  };
  if (type === "grpc") return grpcCandidate(fields, lineNumber, fail, issues);
  const { method, url } = fields;
  if (method === undefined) fail("missing method");
  else if (typeof method !== "string") fail("method must be a string");
  if (url === undefined) fail("missing url");
  else if (typeof url !== "string") fail("url must be a string");
  const headers = headerPairs(fields["headers"], "headers", fail);
  const body = bodyBytes(fields["body"], fields["bodyEncoding"], fail);
  const timing = timingOf(fields, fail);

  if (issues.length > 0) return issues.map((issue) => ({ kind: "issue", issue }));
  const raw: RawRequest = {
    method: method as string,
    url: url as string,
    headers,
    ...(body === undefined ? {} : { body }),
    ...timing,
  };
  return [{ kind: "request", location: `${lineNumber}:1`, raw }];
}

/** The service and method become the HTTP/2 path; the message travels as JSON until the protos encode it. */
function grpcCandidate(fields: Record<string, unknown>, lineNumber: number, fail: (message: string) => void, issues: Issue[]): Candidate[] {
  // An HTTP line's names (or ghz's `data`) on a gRPC line would otherwise be ignored, and an empty message or no metadata sent.
  for (const [wrong, right] of MISPLACED_GRPC_FIELDS) if (Object.hasOwn(fields, wrong)) fail(`a gRPC line has no "${wrong}"; did you mean "${right}"?`);
  const { service, method } = fields;
  if (service === undefined) fail("missing service (the fully-qualified gRPC service, e.g. inference.GRPCInferenceService)");
  else if (typeof service !== "string" || !SERVICE_NAME.test(service)) fail(`service must be a fully-qualified gRPC service name such as inference.GRPCInferenceService, got ${JSON.stringify(service)}`);
  if (method === undefined) fail("missing method (the gRPC method's name, e.g. ModelInfer)");
  else if (typeof method !== "string" || !METHOD_NAME.test(method)) fail(`method must be a gRPC method name such as ModelInfer, got ${JSON.stringify(method)}`);
  const metadata = headerPairs(fields["metadata"], "metadata", fail);
  const message = fields["message"] ?? {};
  if (typeof message !== "object" || message === null || Array.isArray(message)) fail("message must be a JSON object (the request message in proto3 JSON)");
  const timing = timingOf(fields, fail);
  if (issues.length > 0) return issues.map((issue) => ({ kind: "issue", issue }));
  const raw: RawRequest = {
    method: "POST",
    url: `/${(service as string).replace(/^\./, "")}/${method as string}`,
    headers: metadata,
    body: new TextEncoder().encode(JSON.stringify(message)),
    protocol: "grpc",
    ...timing,
  };
  return [{ kind: "request", location: `${lineNumber}:1`, raw }];
}

const MISPLACED_GRPC_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["body", "message"],
  ["data", "message"],
  ["request", "message"],
  ["headers", "metadata"],
  ["url", "service and method"],
];

const SERVICE_NAME = /^\.?[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;
const METHOD_NAME = /^[A-Za-z_]\w*$/;

function timingOf(fields: Record<string, unknown>, fail: (message: string) => void): { offsetMs: number } | { timeMs: number } | undefined {
  const { offsetMs, time } = fields;
  if (offsetMs !== undefined) {
    if (typeof offsetMs === "number" && Number.isFinite(offsetMs) && offsetMs >= 0) return { offsetMs };
    fail("offsetMs must be a number >= 0");
  } else if (time !== undefined) {
    const timeMs = typeof time === "string" ? Date.parse(time) : Number.NaN;
    if (!Number.isNaN(timeMs)) return { timeMs };
    fail("time must be an ISO 8601 date string");
  }
  return undefined;
}

function headerPairs(headers: unknown, field: string, fail: (message: string) => void): Array<[string, string]> {
  if (headers === undefined) return [];
  const pairs: Array<[string, string]> = [];
  if (Array.isArray(headers)) {
    headers.forEach((pair: unknown, i) => {
      if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string" && typeof pair[1] === "string") pairs.push([pair[0], pair[1]]);
      else fail(`${field}[${i}] must be a [name, value] pair of strings`);
    });
  } else if (typeof headers === "object" && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === "string") pairs.push([name, value]);
      else fail(`${field}.${name} must be a string`);
    }
  } else {
    fail(`${field} must be an object or an array of [name, value] pairs`);
  }
  return pairs;
}

function bodyBytes(body: unknown, encoding: unknown, fail: (message: string) => void): Uint8Array | undefined {
  if (encoding !== undefined && encoding !== "utf8" && encoding !== "base64") {
    fail(`bodyEncoding must be "utf8" or "base64", not ${JSON.stringify(encoding)}`);
    return undefined;
  }
  if (body === undefined) return undefined;
  if (typeof body !== "string") {
    fail("body must be a string");
    return undefined;
  }
  if (encoding !== "base64") return new TextEncoder().encode(body);
  const bytes = decodeBase64(body);
  if (bytes === undefined) fail("body is not valid base64");
  return bytes;
}

/** V8's message without the excerpt of the line it may quote: the line may hold a secret. */
function describeSyntaxError(message: string): string {
  const text = message
    .replace(/, .* is not valid JSON$/s, "")
    .replace(/ in JSON at position \d+.*$/s, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** 1-based column of a JSON.parse error, when V8's message gives a position. */
function syntaxErrorColumn(message: string, line: string): number {
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return Number(position) + 1;
  if (/Unexpected end of JSON input/.test(message)) return line.length + 1;
  return 1;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
