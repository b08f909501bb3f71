// Turns what a traffic format recorded into protocol's RecordedRequest, redacted.
import { REDACTED, REPLAY_MARKER_HEADER, type Issue, type RecordedRequest } from "@parallax/protocol";
import { redactHeaders, redactParams, redactUrl, type Redaction } from "./redact.js";

/** A request as a format reader found it, before normalisation and redaction. */
export interface RawRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array;
  /** Media type of the body when the format records it apart from the headers (HAR `postData.mimeType`). */
  readonly mimeType?: string;
  /** Absolute time of the request, epoch milliseconds. */
  readonly timeMs?: number;
  /** Offset from the start of the recording, when the format states it directly. */
  readonly offsetMs?: number;
  /** A gRPC call: `url` is `/service/Method`, `headers` its metadata, `body` its message as JSON. */
  readonly protocol?: "grpc";
}

/** What a format reader yields, in recording order: a request (with where it is, for issues) or a problem. */
export type Candidate =
  | { readonly kind: "request"; readonly location: string; readonly raw: RawRequest }
  | { readonly kind: "issue"; readonly issue: Issue };

export type RequestParts = Omit<RecordedRequest, "index" | "offsetMs">;

/**
 * A check the recording's format cannot make on its own (a gRPC message against the protos): a
 * problem to report at the request's line, or undefined. It sees the request already redacted.
 */
export type RequestValidator = (request: RequestParts) => string | undefined;

/** Headers the engine sets itself or that only mean something on the recorded connection. */
const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
  REPLAY_MARKER_HEADER,
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORM_MEDIA_TYPE = "application/x-www-form-urlencoded";

export function normalise(raw: RawRequest, redaction: Redaction): RequestParts | { readonly problem: string } {
  if (!TOKEN.test(raw.method)) return { problem: `invalid method ${JSON.stringify(raw.method)}` };
  const path = pathOf(raw.url);
  // Problems are shown to people and logs: the URL they quote must not carry the secret either.
  if (typeof path !== "string") return { problem: path.problem(JSON.stringify(redactUrl(raw.url.replace(USERINFO, "$1"), redaction.query))) };

  const kept: Array<[string, string]> = [];
  for (const [name, value] of raw.headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith(":") || DROPPED_HEADERS.has(lower)) continue;
    if (!TOKEN.test(lower)) return { problem: `invalid header name ${JSON.stringify(name)}` };
    if (/[\r\n\0]/.test(value)) return { problem: `header ${lower}: value contains a line break or NUL` };
    kept.push([lower, value]);
  }

  if (raw.protocol === "grpc") {
    // The message is JSON whatever the metadata says: its secrets are redacted like a JSON body's.
    const body = raw.body === undefined ? undefined : redactJsonBody(raw.body, redaction);
    return { method: raw.method, path, headers: redactHeaders(kept, redaction), protocol: "grpc", ...(body === undefined ? {} : { body }) };
  }
  let body = raw.body !== undefined && raw.body.length > 0 ? raw.body : undefined;
  const contentType = kept.find(([name]) => name === "content-type")?.[1];
  if (body !== undefined && contentType === undefined && raw.mimeType) kept.push(["content-type", raw.mimeType]);
  if (body !== undefined && (isForm(contentType) || isForm(raw.mimeType))) body = redactForm(body, redaction);
  else if (body !== undefined && (isJson(contentType) || isJson(raw.mimeType))) body = redactJsonBody(body, redaction);

  const request: RequestParts = {
    method: raw.method.toUpperCase(),
    path: redactUrl(path, redaction.query),
    headers: redactHeaders(kept, redaction),
  };
  return body === undefined ? request : { ...request, body };
}

function isForm(mediaType: string | undefined): boolean {
  return mediaType?.split(";")[0]?.trim().toLowerCase() === FORM_MEDIA_TYPE;
}

/** The media types whose bodies are redacted as JSON: `application/json` and any `+json`. */
export function isJson(mediaType: string | undefined): boolean {
  const type = mediaType?.split(";")[0]?.trim().toLowerCase();
  return type !== undefined && (type === "application/json" || type.endsWith("+json"));
}

/**
 * JSON bodies: any member whose name is a redacted query name (`password`, `token`, ...) gets the
 * redacted value, at any depth. A body that is not valid JSON, or has no such member, keeps its
 * exact bytes.
 */
function redactJsonBody(body: Uint8Array, redaction: Redaction): Uint8Array {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return body;
  }
  return redactJsonMembers(value, redaction.query) ? new TextEncoder().encode(JSON.stringify(value)) : body;
}

/** Redacts in place; returns whether anything was redacted. */
function redactJsonMembers(value: unknown, names: ReadonlySet<string>): boolean {
  if (typeof value !== "object" || value === null) return false;
  let changed = false;
  if (Array.isArray(value)) {
    for (const item of value) changed = redactJsonMembers(item, names) || changed;
    return changed;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (names.has(key.toLowerCase()) && record[key] !== REDACTED && record[key] !== null) {
      record[key] = REDACTED;
      changed = true;
    } else {
      changed = redactJsonMembers(record[key], names) || changed;
    }
  }
  return changed;
}

function redactForm(body: Uint8Array, redaction: Redaction): Uint8Array {
  const text = new TextDecoder().decode(body);
  const redacted = redactParams(text, redaction.query);
  // Untouched bodies keep their exact bytes.
  return redacted === text ? body : new TextEncoder().encode(redacted);
}

const ORIGIN = /^([a-z][a-z0-9+.-]*:)\/\/[^/?#]*/i;

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;

/** Path and query of a recorded URL, origin and fragment dropped; characters that cannot go on a request line are percent-encoded. A problem is worded around how the caller shows the URL. */
export function pathOf(url: string): string | { readonly problem: (shown: string) => string } {
  let rest: string;
  if (url.startsWith("/")) {
    rest = url;
  } else {
    const origin = ORIGIN.exec(url);
    if (!URL.canParse(url) || origin === null) {
      return { problem: (shown) => `invalid url ${shown}: expected an absolute http(s) URL or a path starting with "/"` };
    }
    const scheme = origin[1]?.toLowerCase();
    if (scheme !== "http:" && scheme !== "https:") {
      return { problem: (shown) => `unsupported URL scheme "${scheme}" in ${shown}: only http and https requests can be replayed` };
    }
    rest = url.slice(origin[0].length);
  }
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  if (!rest.startsWith("/")) rest = "/" + rest;
  return rest.replace(/[^\x21-\x7e]+|["<>\\^`{|}]/gu, percentEncode);
}

function percentEncode(chars: string): string {
  // Buffer rather than encodeURIComponent: it does not throw on a lone surrogate.
  let out = "";
  for (const byte of Buffer.from(chars, "utf8")) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  return out;
}

/** Assigns index and offsetMs in recording order. Offsets are measured from the first request that has a time and clamped at 0 (HAR entries may be out of order); a request without a time keeps the previous offset. */
export class Sequencer {
  #index = 0;
  #startMs: number | undefined;
  #lastOffsetMs = 0;

  next(raw: RawRequest): { index: number; offsetMs: number } {
    let offsetMs = this.#lastOffsetMs;
    if (raw.offsetMs !== undefined) {
      offsetMs = raw.offsetMs;
    } else if (raw.timeMs !== undefined) {
      this.#startMs ??= raw.timeMs;
      offsetMs = Math.max(0, raw.timeMs - this.#startMs);
    }
    this.#lastOffsetMs = offsetMs;
    return { index: this.#index++, offsetMs };
  }
}

/** Most issues reported for one recording; past that, more of the same only buries the first ones. */
export const MAX_ISSUES = 20;

/** Normalises candidates in order and collects problems; requests stop flowing after the first problem, issues keep being collected up to MAX_ISSUES. */
export class Ingest {
  readonly issues: Issue[] = [];
  readonly #file: string;
  readonly #redaction: Redaction;
  readonly #validate: RequestValidator | undefined;
  readonly #sequencer = new Sequencer();

  constructor(file: string, redaction: Redaction, validate?: RequestValidator) {
    this.#file = file;
    this.#redaction = redaction;
    this.#validate = validate;
  }

  get full(): boolean {
    return this.issues.length >= MAX_ISSUES;
  }

  /** The request to hand on, or undefined when the candidate was (or a previous one had) a problem. */
  accept(candidate: Candidate): RecordedRequest | undefined {
    if (candidate.kind === "issue") {
      this.#add(candidate.issue);
      return undefined;
    }
    const parts = normalise(candidate.raw, this.#redaction);
    const problem = "problem" in parts ? parts.problem : this.#validate?.(parts);
    if (problem !== undefined) {
      this.#add({ file: this.#file, location: candidate.location, message: problem });
      return undefined;
    }
    if (this.issues.length > 0 || "problem" in parts) return undefined;
    return { ...this.#sequencer.next(candidate.raw), ...parts };
  }

  #add(issue: Issue): void {
    if (!this.full) this.issues.push(issue);
  }
}

/** Strict base64 (RFC 4648, whitespace allowed), since Buffer.from silently skips anything else. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, "base64"));
}
