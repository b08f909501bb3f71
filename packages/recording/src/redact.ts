// Secret redaction at ingest: shared by every traffic reader and, later, the capturing proxy.
import { DEFAULT_REDACTED_HEADERS, REDACTED } from "@parallax/protocol";

/** Extra names to redact, case-insensitive, added to the defaults. */
export interface RedactionOptions {
  readonly headers?: readonly string[];
  readonly query?: readonly string[];
}

export { DEFAULT_REDACTED_HEADERS };

export const DEFAULT_REDACTED_QUERY: readonly string[] = Object.freeze([
  "access_token",
  "id_token",
  "refresh_token",
  "token",
  "api_key",
  "apikey",
  "password",
  "secret",
  "client_secret",
  "sig",
  "signature",
]);

export interface Redactor {
  /** Same headers in the same order, names untouched; values of secret headers replaced, and secret query parameters of `referer` redacted. */
  headers(headers: ReadonlyArray<readonly [string, string]>): Array<[string, string]>;
  /** Secret parameters of the query (and of a `#a=b` fragment) get the value REDACTED; everything else is kept byte for byte. */
  path(pathAndQuery: string): string;
}

/** Lower-cased name sets, compiled once per recording. */
export interface Redaction {
  readonly headers: ReadonlySet<string>;
  readonly query: ReadonlySet<string>;
}

export function compileRedaction(options: RedactionOptions = {}): Redaction {
  const lower = (names: readonly string[]): string[] => names.map((n) => n.toLowerCase());
  return {
    headers: new Set(lower([...DEFAULT_REDACTED_HEADERS, ...(options.headers ?? [])])),
    query: new Set(lower([...DEFAULT_REDACTED_QUERY, ...(options.query ?? [])])),
  };
}

export function createRedactor(options?: RedactionOptions): Redactor {
  const redaction = compileRedaction(options);
  return {
    headers: (headers) => redactHeaders(headers, redaction),
    path: (pathAndQuery) => redactUrl(pathAndQuery, redaction.query),
  };
}

export function redactHeaders(headers: ReadonlyArray<readonly [string, string]>, redaction: Redaction): Array<[string, string]> {
  return headers.map(([name, value]): [string, string] => {
    const lower = name.toLowerCase();
    if (redaction.headers.has(lower)) return [name, REDACTED];
    // A referer repeats the previous page's URL, tokens in its query included.
    if (lower === "referer") return [name, redactUrl(value, redaction.query)];
    return [name, value];
  });
}

const ENCODED_REDACTED = encodeURIComponent(REDACTED);

/** Redacts the parameters of the query and fragment of a URL or path. */
export function redactUrl(url: string, names: ReadonlySet<string>): string {
  const query = url.indexOf("?");
  const hash = url.indexOf("#");
  if (query < 0 && hash < 0) return url;
  if (hash < 0) return url.slice(0, query + 1) + redactParams(url.slice(query + 1), names);
  const fragment = "#" + redactParams(url.slice(hash + 1), names);
  if (query < 0 || query > hash) return url.slice(0, hash) + fragment;
  return url.slice(0, query + 1) + redactParams(url.slice(query + 1, hash), names) + fragment;
}

/** Redacts an `a=1&b=2` list (a query string or a form-encoded body); returns the input itself when nothing matched. */
export function redactParams(params: string, names: ReadonlySet<string>): string {
  let changed = false;
  const parts = params.split("&").map((part) => {
    const eq = part.indexOf("=");
    if (eq < 0) return part;
    const rawName = part.slice(0, eq);
    if (!names.has(decodeFormComponent(rawName).toLowerCase())) return part;
    if (part.slice(eq + 1) === ENCODED_REDACTED) return part;
    changed = true;
    return `${rawName}=${ENCODED_REDACTED}`;
  });
  return changed ? parts.join("&") : params;
}

function decodeFormComponent(text: string): string {
  const spaced = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
