// Which traffic format a file holds: by extension, else by its first bytes.
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { InvalidInputError } from "@parallax/protocol";
import { fileIssue } from "./files.js";

export type TrafficFormat = "har" | "jsonl";

const BY_EXTENSION: Readonly<Record<string, TrafficFormat>> = { ".har": "har", ".jsonl": "jsonl", ".ndjson": "jsonl" };
const SNIFF_BYTES = 64 * 1024;

export async function detectFormat(file: string): Promise<TrafficFormat> {
  const byExtension = BY_EXTENSION[extname(file).toLowerCase()];
  if (byExtension !== undefined) return byExtension;
  let head: string;
  try {
    head = await readHead(file, SNIFF_BYTES);
  } catch (error) {
    throw new InvalidInputError([fileIssue(file, error)], { cause: error });
  }
  const sniffed = sniffFormat(head);
  if (sniffed === undefined) {
    throw new InvalidInputError([
      { file, message: "cannot tell the traffic format: expected a HAR 1.2 file or Parallax JSONL (name it .har or .jsonl, or pass the format)" },
    ]);
  }
  return sniffed;
}

/** A JSONL first line is a whole object with a method; a HAR is an object with "log" near the start. */
export function sniffFormat(head: string): TrafficFormat | undefined {
  const text = head.replace(/^\uFEFF/, "").trimStart();
  if (!text.startsWith("{")) return undefined;
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  try {
    const value: unknown = JSON.parse(firstLine);
    if (typeof value === "object" && value !== null && typeof (value as { method?: unknown }).method === "string") return "jsonl";
  } catch {
    // Not a complete line of JSON: a pretty-printed HAR, or a line cut by the sniff limit.
  }
  return /^\{\s*"log"\s*:/.test(text) || /"log"\s*:/.test(text.slice(0, 1024)) ? "har" : undefined;
}

async function readHead(file: string, bytes: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, null);
    return new TextDecoder().decode(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
