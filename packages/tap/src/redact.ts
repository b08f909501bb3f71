// Redaction of captured exchanges at ingest, with the rules recordings use (@parallax/recording):
// nothing the tap hands on (to the stream, to a file, to a log) holds a secret.
import type { CapturedExchange, CapturedRequest, CapturedResponse } from "@parallax/protocol";
import { compileRedaction, createRedactor, isJson, normalise, type RedactionOptions } from "@parallax/recording";

/** Response headers that hold a URL, whose query and fragment are redacted like a request's. */
const URL_HEADERS: ReadonlySet<string> = new Set(["location", "content-location"]);

export interface ExchangeRedactor {
  /**
   * The exchange with every secret redacted, or undefined when its request cannot be put in the
   * form a recording holds (then it is not captured at all).
   */
  redact(exchange: CapturedExchange): CapturedExchange | undefined;
}

/**
 * Requests go through recording's own `normalise`: the same header names (authorization, cookie,
 * x-api-key, ...), query parameters, JSON members and form fields are redacted, and the same
 * connection-level headers (host, content-length, the replay marker) are left out, so a captured
 * request is exactly what a recording of it would hold. Responses get the same header rules (so
 * `set-cookie` is redacted), the query of `location`, and the same body rules.
 *
 * A body redaction cannot see into is withheld (absent, `bodyTruncated: true`, so it is never
 * compared): a JSON body cut at the capture limit (it no longer parses, so its secrets would go
 * through) and any body with a content-encoding (gzip'd bytes hide their members).
 */
export function createExchangeRedactor(options: RedactionOptions = {}): ExchangeRedactor {
  const redaction = compileRedaction(options);
  const redactor = createRedactor(options);

  /** recording redacts bodies only inside `normalise`: a response body goes through it as a request body would. */
  const redactBody = (body: Uint8Array, contentType: string | undefined): Uint8Array | undefined => {
    const parts = normalise({ method: "GET", url: "/", headers: contentType === undefined ? [] : [["content-type", contentType]], body }, redaction);
    return "problem" in parts ? undefined : parts.body;
  };

  const request = (captured: CapturedRequest): CapturedRequest | undefined => {
    const body = readableBody(captured);
    const parts = normalise({ method: captured.method, url: captured.path, headers: captured.headers, ...(body === undefined ? {} : { body }) }, redaction);
    if ("problem" in parts) return undefined;
    return {
      method: parts.method,
      path: parts.path,
      headers: parts.headers,
      ...(parts.body === undefined ? {} : { body: parts.body }),
      bodyTruncated: captured.bodyTruncated || (captured.body !== undefined && body === undefined),
    };
  };

  const response = (captured: CapturedResponse): CapturedResponse => {
    const headers = redactor.headers(captured.headers).map(([name, value]): [string, string] => [name, URL_HEADERS.has(name) ? redactor.path(value) : value]);
    const readable = readableBody(captured);
    const body = readable === undefined ? undefined : redactBody(readable, headerValue(captured.headers, "content-type"));
    return {
      status: captured.status,
      headers,
      ...(body === undefined ? {} : { body }),
      bodyTruncated: captured.bodyTruncated || (captured.body !== undefined && body === undefined),
    };
  };

  return {
    redact(exchange) {
      const req = request(exchange.request);
      if (req === undefined) return undefined;
      return { ...exchange, request: req, response: "error" in exchange.response ? exchange.response : response(exchange.response) };
    },
  };
}

/** The body if redaction can see into it, else undefined (see createExchangeRedactor). */
function readableBody(message: CapturedRequest | CapturedResponse): Uint8Array | undefined {
  if (message.body === undefined) return undefined;
  const encoding = headerValue(message.headers, "content-encoding");
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") return undefined;
  if (message.bodyTruncated && isJson(headerValue(message.headers, "content-type"))) return undefined;
  return message.body;
}

function headerValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}
