// Building the example kept for a signature: redacted request, every response, the differing paths.

import { Buffer } from "node:buffer";
import type { DiffKind, Exemplar, ExemplarMessage, RecordedRequest } from "@parallax/protocol";
import type { Outcome } from "./options.js";
import { formatPath, type PathSegment } from "./path.js";
import type { ResponseSink } from "./responses.js";

/** Differences listed per exemplar; the signature counts are exact, this is only for reading. */
export const MAX_EXEMPLAR_DIFFERENCES = 20;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 text when the kept prefix decodes as such, else `base64:` + base64; cut to `maxBytes`
 * (at a character boundary for text). Text that itself starts with `base64:` is sent as base64
 * so the two forms cannot be confused.
 */
export function encodeBody(body: Uint8Array, maxBytes: number): { body: string; truncated: boolean } {
  const truncated = body.byteLength > maxBytes;
  const cut = truncated ? maxBytes : body.byteLength;
  let textCut = cut;
  // Do not split a multi-byte character: back off over continuation bytes (at most 3).
  while (truncated && textCut > 0 && textCut > cut - 3 && ((body[textCut] as number) & 0xc0) === 0x80) textCut--;
  try {
    const text = utf8.decode(body.subarray(0, textCut));
    if (!text.startsWith("base64:")) return { body: text, truncated };
  } catch {
    // Not UTF-8: base64 below.
  }
  return { body: `base64:${Buffer.from(body.buffer, body.byteOffset, cut).toString("base64")}`, truncated };
}

function requestOf(request: RecordedRequest, maxBytes: number): Exemplar["request"] {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    // Repeated headers are joined as HTTP allows for most of them.
    const seen = headers[name];
    headers[name] = seen === undefined ? value : `${seen}, ${value}`;
  }
  if (request.body === undefined) return { method: request.method, path: request.path, headers };
  const { body, truncated } = encodeBody(request.body, maxBytes);
  return truncated ? { method: request.method, path: request.path, headers, body, bodyTruncated: true } : { method: request.method, path: request.path, headers, body };
}

function messageOf(outcome: Outcome, headerNames: readonly string[], maxBytes: number): ExemplarMessage {
  if (!outcome.ok) return { error: outcome.error };
  const headers: Record<string, string> = {};
  for (const name of headerNames) {
    const value = outcome.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const { body, truncated } = encodeBody(outcome.body, maxBytes);
  return truncated || outcome.bodyTruncated ? { status: outcome.status, headers, body, bodyTruncated: true } : { status: outcome.status, headers, body };
}

/**
 * A value shown next to a differing path: scalars as they are (long strings cut), arrays and
 * objects as they are when their JSON fits in `maxBytes`, else a short description, so an
 * exemplar stays bounded whatever the bodies hold.
 */
export function exemplarValue(value: unknown, maxBytes: number): unknown {
  if (typeof value === "string") return value.length > maxBytes ? `${value.slice(0, maxBytes)}…` : value;
  if (value === null || typeof value !== "object") return value;
  if (JSON.stringify(value).length <= maxBytes) return value;
  return Array.isArray(value) ? `<array of ${value.length}>` : `<object with ${Object.keys(value).length} keys>`;
}

type Difference = { path: string; kind: DiffKind; production?: unknown; candidate?: unknown };

/** Collects the concrete differences production↔candidate for one exemplar, at most MAX_EXEMPLAR_DIFFERENCES. */
export class DifferenceList implements ResponseSink {
  readonly list: Difference[] = [];
  constructor(private readonly maxBytes: number) {}

  difference(kind: DiffKind, path: readonly PathSegment[] | string, production: unknown, candidate: unknown): boolean {
    const d: Difference = { path: typeof path === "string" ? path : formatPath(path, false), kind };
    if (production !== undefined) d.production = exemplarValue(production, this.maxBytes);
    if (candidate !== undefined) d.candidate = exemplarValue(candidate, this.maxBytes);
    this.list.push(d);
    return this.list.length < MAX_EXEMPLAR_DIFFERENCES;
  }
}

export interface ExemplarParts {
  readonly request: RecordedRequest;
  readonly production: Outcome;
  readonly candidate: Outcome;
  readonly secondary?: Outcome | undefined;
  readonly headers: readonly string[];
  readonly maxBodyBytes: number;
  readonly differences: Exemplar["differences"];
}

export function buildExemplar(parts: ExemplarParts): Exemplar {
  const max = parts.maxBodyBytes;
  const responses: Exemplar["responses"] = {
    production: messageOf(parts.production, parts.headers, max),
    candidate: messageOf(parts.candidate, parts.headers, max),
  };
  if (parts.secondary !== undefined) responses.secondary = messageOf(parts.secondary, parts.headers, max);
  return { request: requestOf(parts.request, max), responses, differences: parts.differences };
}
