// Which headers a reverse proxy passes on, and the ones it adds (RFC 9110 §7.6.1).

/**
 * Hop-by-hop headers: they describe one connection, so they are never forwarded either way.
 * `expect` too: Node's server has already answered `100 Continue` to the client, and undici
 * refuses to send it. `proxy-authorization` is the client's credential for a proxy, not for
 * production.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "expect",
]);

/** Header names a `connection` header nominates as hop-by-hop (`Connection: close, x-foo`). */
export function connectionOptions(value: string | undefined): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  const names = new Set<string>();
  for (const token of value.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "") names.add(name);
  }
  return names;
}

/** What the proxy forwards of a request, and what it captures of it. */
export interface SplitRequestHeaders {
  /** Flat `[name, value, ...]` as undici takes them, in received order, names as received. */
  readonly forward: string[];
  /** End-to-end headers as the client sent them, lower-case names, before redaction. */
  readonly captured: Array<[string, string]>;
}

export interface ForwardingContext {
  /** Send the client's Host header instead of the upstream's. */
  readonly preserveHost: boolean;
  /** The client's address, appended to `x-forwarded-for`. */
  readonly remoteAddress: string | undefined;
  /** `http` or `https`: the scheme the client used to reach the tap, unless an earlier proxy said. */
  readonly proto: string;
}

/**
 * Splits a request's raw headers (`req.rawHeaders`). Hop-by-hop headers (and those `connection`
 * names) are dropped. `host` is forwarded only with `preserveHost` (otherwise undici sends the
 * upstream's). `x-forwarded-for` gets the client's address appended (several of them are joined
 * into one); `x-forwarded-proto` and `x-forwarded-host` are added only when the client did not
 * send them, so the answer of a proxy in front of the tap is kept. The captured headers are the
 * client's own, without what the tap added.
 */
export function splitRequestHeaders(raw: readonly string[], context: ForwardingContext): SplitRequestHeaders {
  let nominated: ReadonlySet<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === "connection") nominated = union(nominated, connectionOptions(raw[i + 1]));
  }
  const forward: string[] = [];
  const captured: Array<[string, string]> = [];
  const forwardedFor: string[] = [];
  let host: string | undefined;
  let hasProto = false;
  let hasHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || nominated?.has(lower)) continue;
    captured.push([lower, value]);
    if (lower === "host") {
      host ??= value;
      if (context.preserveHost) forward.push(name, value);
      continue;
    }
    if (lower === "x-forwarded-for") {
      forwardedFor.push(value);
      continue;
    }
    if (lower === "x-forwarded-proto") hasProto = true;
    else if (lower === "x-forwarded-host") hasHost = true;
    forward.push(name, value);
  }
  if (context.remoteAddress !== undefined) forwardedFor.push(plainAddress(context.remoteAddress));
  if (forwardedFor.length > 0) forward.push("x-forwarded-for", forwardedFor.join(", "));
  if (!hasProto) forward.push("x-forwarded-proto", context.proto);
  if (!hasHost && host !== undefined) forward.push("x-forwarded-host", host);
  return { forward, captured };
}

/**
 * A response's raw headers (undici's, as Buffers) → the flat list for `writeHead` (names and
 * values exactly as production sent them, repeats kept in order) and lower-case pairs to capture.
 */
export function splitResponseHeaders(raw: ReadonlyArray<Buffer | string>): { forward: string[]; captured: Array<[string, string]> } {
  let nominated: ReadonlySet<string> | undefined;
  const forward: string[] = [];
  const captured: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]);
    if (name.toLowerCase() === "connection") nominated = union(nominated, connectionOptions(latin1(raw[i + 1])));
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || nominated?.has(lower)) continue;
    const value = latin1(raw[i + 1]);
    forward.push(name, value);
    captured.push([lower, value]);
  }
  return { forward, captured };
}

function latin1(value: Buffer | string | undefined): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : value.toString("latin1");
}

function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return new Set([...a, ...b]);
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`, as other proxies write it. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
