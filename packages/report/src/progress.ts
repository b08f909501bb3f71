import type { Progress } from "@parallax/protocol";

/** One live progress line, without a newline (the CLI rewrites it in place). */
export function formatProgress(p: Progress): string {
  const share = p.planned > 0 ? ` (${Math.floor((p.done / p.planned) * 100)} %)` : "";
  return `${(p.elapsedMs / 1000).toFixed(1)}s  ${p.done}/${p.planned}${share}  ${Math.round(p.rps)} req/s  ${p.errors} errors  ${p.diffs} diffs`;
}
