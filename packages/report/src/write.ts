// Writes a report directory without ever leaving a half-written file: everything is rendered first, written
// into a temporary sibling directory, then renamed into place file by file (rename is atomic on one filesystem).
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { decodeHistogram, percentileDistribution } from "@parallax/metrics";
import type { RunResult } from "@parallax/protocol";
import { targetsOf } from "./format.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";

export interface ReportFiles {
  /** The report directory, absolute. */
  readonly dir: string;
  /** Absolute paths of the files written, report.json last. */
  readonly files: readonly string[];
}

/** Every file of a report, by name, in the order they are moved into place (report.json last: its presence means the rest is there). */
export function reportContents(result: RunResult): Array<[name: string, contents: string]> {
  const files: Array<[string, string]> = targetsOf(result).map(([name, target]) => {
    let histogram;
    try {
      histogram = decodeHistogram(target.histogram);
    } catch (error) {
      throw new Error(`${name}: latency histogram of the result cannot be decoded`, { cause: error });
    }
    return [`${name}.hgrm`, percentileDistribution(histogram)];
  });
  files.push(["report.md", renderMarkdown(result)], ["report.json", renderJson(result)]);
  return files;
}

/**
 * Writes report.json, report.md and `<target>.hgrm` into `dir` (created if missing; other files there are left
 * alone). On failure nothing of this call remains: the temporary directory, and any parent it created, are removed.
 */
export async function writeReport(dir: string, result: RunResult): Promise<ReportFiles> {
  const target = resolve(dir);
  const contents = reportContents(result);
  const parent = dirname(target);
  const createdParent = await mkdir(parent, { recursive: true });
  let temp: string | undefined;
  try {
    temp = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
    for (const [name, text] of contents) await writeFile(join(temp, name), text, { flag: "wx" });
    await mkdir(target, { recursive: true });
    const files: string[] = [];
    for (const [name] of contents) {
      await rename(join(temp, name), join(target, name));
      files.push(join(target, name));
    }
    await rm(temp, { recursive: true, force: true });
    return { dir: target, files };
  } catch (error) {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    if (createdParent !== undefined) await rm(createdParent, { recursive: true, force: true });
    throw error;
  }
}
