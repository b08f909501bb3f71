// Writes a report directory without ever leaving a half-written file: everything is rendered first, written
// into a temporary sibling directory, then renamed into place file by file (rename is atomic on one filesystem).
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { createLatencyHistogram, decodeHistogram, formatIntervalLog, percentileDistribution, type LatencyHistogram, type LoggedInterval } from "@parallax/metrics";
import type { RunResult, TargetName } from "@parallax/protocol";
import { targetsOf } from "./format.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";

export interface ReportFiles {
  /** The report directory, absolute. */
  readonly dir: string;
  /** Absolute paths of the files written, report.json last. */
  readonly files: readonly string[];
}

export interface ReportOptions {
  /** Per-target response-time histograms, one per interval of the run; a target with at least one gets `<target>.hlog`. */
  readonly intervals?: Partial<Record<TargetName, readonly LoggedInterval[]>>;
  /** Wall-clock epoch ms the interval starts count from; defaults to `Date.parse(result.run.startedAt)`. */
  readonly startTimeMs?: number;
}

/** Every file of a report, by name, in the order they are moved into place (report.json last: its presence means the rest is there). */
export function reportContents(result: RunResult, options: ReportOptions = {}): Array<[name: string, contents: string]> {
  const files: Array<[string, string]> = targetsOf(result).map(([name, target]) => [`${name}.hgrm`, percentileDistribution(histogramOf(name, target.histogram))]);
  files.push(...intervalLogs(result, options));
  files.push(["report.md", renderMarkdown(result)], ["report.json", renderJson(result)]);
  return files;
}

/** The coordinator writes "" for a target nothing was recorded for: that is an empty histogram, not a corrupt one. */
function histogramOf(name: TargetName, encoded: string): LatencyHistogram {
  if (encoded === "") return createLatencyHistogram();
  try {
    return decodeHistogram(encoded);
  } catch (error) {
    throw new Error(`${name}: latency histogram of the result cannot be decoded`, { cause: error });
  }
}

function intervalLogs(result: RunResult, options: ReportOptions): Array<[string, string]> {
  const startTimeMs = options.startTimeMs ?? Date.parse(result.run.startedAt);
  const files: Array<[string, string]> = [];
  for (const [name] of targetsOf(result)) {
    const intervals = options.intervals?.[name];
    // HistogramLogProcessor fails on a log without interval lines, so an empty list writes no file.
    if (intervals === undefined || intervals.length === 0) continue;
    const comment = [
      `Parallax run ${result.run.id}: ${name} response time (from the intended send), one histogram per interval; values in microseconds, Interval_Max in ms.`,
      `Percentiles in ms: java -cp hdrhistogram.jar org.HdrHistogram.HistogramLogProcessor -i ${name}.hlog -outputValueUnitRatio 1000`,
    ].join("\n");
    try {
      files.push([`${name}.hlog`, formatIntervalLog(intervals, { startTimeMs, comment })]);
    } catch (error) {
      throw new Error(`${name}: interval log cannot be written`, { cause: error });
    }
  }
  return files;
}

/**
 * Writes report.json, report.md, `<target>.hgrm` and, for targets with intervals, `<target>.hlog` into `dir`
 * (created if missing; other files there are left alone). On failure nothing of this call remains: the temporary
 * directory, and any parent it created, are removed.
 */
export async function writeReport(dir: string, result: RunResult, options: ReportOptions = {}): Promise<ReportFiles> {
  const target = resolve(dir);
  const contents = reportContents(result, options);
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
