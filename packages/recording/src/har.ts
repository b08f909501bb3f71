// HAR 1.2 reader: streams log.entries one entry at a time, so a huge HAR is never one string.
import { createReadStream } from "node:fs";
import { Writable, pipeline } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import type { Issue } from "@parallax/protocol";
import pick from "stream-json/filters/pick.js";
import streamArray from "stream-json/streamers/stream-array.js";
import verifier from "stream-json/utils/verifier.js";
import { fileIssue, isFileError } from "./files.js";
import { decodeBase64, type Candidate, type RawRequest } from "./normalise.js";

const FORM_MEDIA_TYPE = "application/x-www-form-urlencoded";
const NOT_HAR = "not a HAR 1.2 file: no log.entries array";

export async function* readHar(file: string): AsyncGenerator<Candidate> {
  const source = createReadStream(file);
  // Parser and pick in one stream: fewer per-token stream hops.
  const picked = pick.withParserAsStream({ filter: "log.entries", once: true, streamValues: false });
  const items = pipeline(source, picked, streamArray.asStream(), () => {
    // Errors surface through the iteration below.
  });
  // The first picked token tells "no log.entries" (none) and "not an array" apart from a real array.
  let firstToken: string | undefined;
  picked.once("data", (token: { name: string }) => {
    firstToken = token.name;
  });
  try {
    for await (const item of items as AsyncIterable<{ key: number; value: unknown }>) {
      yield* entryCandidates(file, item.key, item.value);
    }
  } catch (error) {
    if (firstToken !== undefined && firstToken !== "startArray") yield issue({ file, message: NOT_HAR });
    else if (isFileError(error)) yield issue(fileIssue(file, error));
    else yield issue(await syntaxIssue(file));
    return;
  } finally {
    items.destroy();
    source.destroy();
  }
  if (firstToken === undefined) yield issue({ file, message: NOT_HAR });
}

/** The parser does not say where it failed; on that rare path the verifier reads the file again to find the line and column. */
async function syntaxIssue(file: string): Promise<Issue> {
  try {
    await pipelineAsync(createReadStream(file), verifier.asStream(), new Writable({ objectMode: true, write: (_chunk, _encoding, done) => done() }));
  } catch (error) {
    const { line, pos, message } = error as { line?: unknown; pos?: unknown; message?: unknown };
    if (typeof line === "number" && typeof pos === "number" && typeof message === "string") {
      const what = /has expected/.test(message)
        ? "truncated or malformed JSON (unexpected end of input)"
        : `malformed JSON (${message.replace(/^ERROR at .*?: /, "").replace(/^Verifier (cannot parse input: )?/, "")})`;
      return { file, location: `${line}:${pos}`, message: what };
    }
    if (isFileError(error)) return fileIssue(file, error);
  }
  return { file, message: "malformed JSON" };
}

function issue(found: Issue): Candidate {
  return { kind: "issue", issue: found };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One entry: a request candidate, or every problem found in it. */
export function entryCandidates(file: string, index: number, entry: unknown): Candidate[] {
  const at = `log.entries[${index}]`;
  const problems: Issue[] = [];
  const problem = (location: string, message: string): void => {
    problems.push({ file, location, message });
  };
  if (!isObject(entry) || !isObject(entry["request"])) return [issue({ file, location: at, message: "missing request" })];
  const request = entry["request"];
  const where = `${at}.request`;

  const method = request["method"];
  const url = request["url"];
  if (typeof method !== "string" || method === "") problem(where, "missing method");
  if (typeof url !== "string" || url === "") problem(where, "missing url");

  const headers: Array<[string, string]> = [];
  const recorded = request["headers"] ?? [];
  if (!Array.isArray(recorded)) problem(`${where}.headers`, "expected an array of {name, value}");
  else {
    recorded.forEach((header: unknown, i) => {
      if (isObject(header) && typeof header["name"] === "string" && typeof header["value"] === "string") headers.push([header["name"], header["value"]]);
      else problem(`${where}.headers[${i}]`, "expected {name, value} strings");
    });
  }

  let timeMs: number | undefined;
  const started = entry["startedDateTime"];
  if (started !== undefined) {
    timeMs = typeof started === "string" ? Date.parse(started) : Number.NaN;
    if (Number.isNaN(timeMs)) problem(`${at}.startedDateTime`, "not an ISO 8601 date");
  }

  const postData = request["postData"];
  let body: Uint8Array | undefined;
  let mimeType: string | undefined;
  if (postData !== undefined) {
    if (!isObject(postData)) problem(`${where}.postData`, "expected an object");
    else {
      body = postDataBody(postData, `${where}.postData`, problem);
      const declared = postData["mimeType"];
      if (typeof declared === "string" && declared !== "") mimeType = declared;
      else if (body !== undefined && postData["text"] === undefined) mimeType = FORM_MEDIA_TYPE;
    }
  }

  if (problems.length > 0) return problems.map(issue);
  const raw: RawRequest = {
    method: method as string,
    url: url as string,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(mimeType === undefined ? {} : { mimeType }),
    ...(timeMs === undefined ? {} : { timeMs }),
  };
  return [{ kind: "request", location: where, raw }];
}

function postDataBody(postData: Json, where: string, problem: (location: string, message: string) => void): Uint8Array | undefined {
  const text = postData["text"];
  // HAR 1.2 has no encoding for postData; tools that store binary bodies use one of these.
  const encoding = postData["encoding"] ?? postData["_encoding"];
  if (typeof text === "string") {
    if (encoding === undefined) return new TextEncoder().encode(text);
    if (encoding !== "base64") {
      problem(where, `unsupported encoding ${JSON.stringify(encoding)} (expected "base64")`);
      return undefined;
    }
    const bytes = decodeBase64(text);
    if (bytes === undefined) problem(`${where}.text`, "not valid base64");
    return bytes;
  }
  if (text !== undefined) problem(`${where}.text`, "expected a string");
  const params = postData["params"];
  if (params === undefined) return undefined;
  if (!Array.isArray(params)) {
    problem(`${where}.params`, "expected an array of {name, value}");
    return undefined;
  }
  // Without text only a URL-encoded form can be rebuilt: multipart would need the files and boundary.
  const mimeType = postData["mimeType"];
  if (typeof mimeType === "string" && mimeType !== "" && !mimeType.toLowerCase().startsWith(FORM_MEDIA_TYPE)) {
    problem(where, `params without text can only be rebuilt as ${FORM_MEDIA_TYPE}, not ${mimeType}`);
    return undefined;
  }
  const form = new URLSearchParams();
  params.forEach((param: unknown, i) => {
    if (!isObject(param) || typeof param["name"] !== "string") problem(`${where}.params[${i}]`, "expected {name, value} strings");
    else if (param["fileName"] !== undefined) problem(`${where}.params[${i}]`, "file upload without postData.text cannot be rebuilt");
    else form.append(param["name"], typeof param["value"] === "string" ? param["value"] : "");
  });
  return new TextEncoder().encode(form.toString());
}
