// URL schemes a target may use. A registry rather than a check inline, so gRPC (`grpc:`,
// `grpcs:`) is one entry away once the engine has a gRPC target.

export interface TargetScheme {
  /** How the scheme is written at the start of a URL, for messages: `http://`. */
  readonly prefix: string;
}

export const TARGET_SCHEMES: ReadonlyMap<string, TargetScheme> = new Map([
  ["http:", { prefix: "http://" }],
  ["https:", { prefix: "https://" }],
]);

/** Why `text` cannot be a target URL, or `undefined` when it can. */
export function targetUrlProblem(text: string): string | undefined {
  const usable = [...TARGET_SCHEMES.values()].map((s) => s.prefix).join(" or ");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `invalid URL ${JSON.stringify(text)} (use e.g. http://127.0.0.1:8080)`;
  }
  if (!TARGET_SCHEMES.has(url.protocol)) return `unsupported scheme ${JSON.stringify(url.protocol)} (use ${usable})`;
  if (url.hostname === "") return `URL ${JSON.stringify(text)} has no host (use e.g. http://127.0.0.1:8080)`;
  // A URL is copied into reports and logs: credentials in it would leak there (put them in `headers`).
  if (url.username !== "" || url.password !== "") return `URL must not contain credentials (user:password@); give them as target headers from the environment, e.g. headers: { authorization: "\${TOKEN}" }`;
  if (url.search !== "" || url.hash !== "") return `URL must be a base URL without query or fragment (the recording supplies those)`;
  return undefined;
}
