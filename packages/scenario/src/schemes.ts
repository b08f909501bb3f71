// URL schemes a target may use, and which protocol each speaks.

export interface TargetScheme {
  /** How the scheme is written at the start of a URL, for messages: `http://`. */
  readonly prefix: string;
  readonly protocol: "http" | "grpc";
}

export const TARGET_SCHEMES: ReadonlyMap<string, TargetScheme> = new Map([
  ["http:", { prefix: "http://", protocol: "http" }],
  ["https:", { prefix: "https://", protocol: "http" }],
  ["grpc:", { prefix: "grpc://", protocol: "grpc" }],
  ["grpcs:", { prefix: "grpcs://", protocol: "grpc" }],
]);

/** The protocol a target URL speaks; undefined for a URL `targetUrlProblem` refuses. */
export function targetProtocol(text: string): "http" | "grpc" | undefined {
  if (!URL.canParse(text)) return undefined;
  return TARGET_SCHEMES.get(new URL(text).protocol)?.protocol;
}

/** Why `text` cannot be a target URL, or `undefined` when it can. */
export function targetUrlProblem(text: string): string | undefined {
  const prefixes = [...TARGET_SCHEMES.values()].map((s) => s.prefix);
  const usable = `${prefixes.slice(0, -1).join(", ")} or ${prefixes.at(-1) ?? ""}`;
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
  // A gRPC call's path is its service and method: a base path would change what is called.
  if (TARGET_SCHEMES.get(url.protocol)?.protocol === "grpc" && url.pathname !== "" && url.pathname !== "/") return `a gRPC URL is only ${url.protocol}//host:port, without a path (got ${JSON.stringify(text)})`;
  return undefined;
}
