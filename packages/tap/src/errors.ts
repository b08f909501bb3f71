/** undici's timeout codes: the upstream was reachable but did not answer in time. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);

/**
 * A short, stable name for why production gave no (complete) answer, in the words the engine
 * uses for its targets, so the shadow side compares like with like: `timeout`, `ECONNREFUSED`,
 * `ECONNRESET`, `socket closed`, ...
 */
export function upstreamErrorKind(error: unknown): string {
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  if ((error as { name?: unknown })?.name === "TimeoutError") return "timeout";
  if (typeof code === "string") {
    if (TIMEOUT_CODES.has(code)) return "timeout";
    if (code === "UND_ERR_SOCKET") return "socket closed";
    return code;
  }
  return error instanceof Error ? error.name : "unknown error";
}
