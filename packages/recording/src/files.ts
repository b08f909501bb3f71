// File access problems as issues, so a missing file reads like any other bad input.
import { stat } from "node:fs/promises";
import type { Issue } from "@parallax/protocol";

export function fileIssue(file: string, error: unknown): Issue {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return { file, message: "file not found" };
  if (code === "EISDIR") return { file, message: "is a directory, not a recording file" };
  if (code === "EACCES" || code === "EPERM") return { file, message: "permission denied" };
  return { file, message: `cannot read: ${error instanceof Error ? error.message : String(error)}` };
}

export function isFileError(error: unknown): boolean {
  return typeof (error as { code?: unknown } | null)?.code === "string" && typeof (error as { syscall?: unknown }).syscall === "string";
}

/** The issue that stops reading `file` before it starts, if any. Pipes and devices are fine: they stream. */
export async function checkReadable(file: string): Promise<Issue | undefined> {
  try {
    const info = await stat(file);
    return info.isDirectory() ? fileIssue(file, { code: "EISDIR" }) : undefined;
  } catch (error) {
    return fileIssue(file, error);
  }
}
