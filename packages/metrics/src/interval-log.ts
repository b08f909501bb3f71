// HdrHistogram interval logs (`.hlog`, log format version 1.3): the text Java's HistogramLogWriter writes
// and its HistogramLogReader / HistogramLogProcessor read.
import { encodeHistogram } from "./encoding.js";
import { hdrOf, type LatencyHistogram } from "./histogram.js";

export interface LoggedInterval {
  /** Start of the interval, ms after the log's start time. */
  readonly startMs: number;
  readonly durationMs: number;
  /** Microseconds; or already encoded, with its max (how long runs keep their seconds, see LatencyTimeline). */
  readonly histogram: LatencyHistogram | EncodedInterval;
}

/** An interval's histogram kept encoded (a few hundred bytes instead of a full counts array). */
export interface EncodedInterval {
  /** HdrHistogram V2 compressed, base64. */
  readonly encoded: string;
  /** The top of the max value's bucket, µs (what Java logs as the interval max); 0 when empty. */
  readonly maxMicros: number;
}

/** Encodes a histogram for keeping, with the max its log line needs. */
export function encodeInterval(histogram: LatencyHistogram): EncodedInterval {
  const hdr = hdrOf(histogram);
  return { encoded: encodeHistogram(histogram), maxMicros: hdr.maxValue === 0 ? 0 : hdr.highestEquivalentValue(hdr.maxValue) };
}

export interface IntervalLogOptions {
  /** Wall-clock epoch ms of the run start (goes into #[StartTime] and #[BaseTime]). */
  readonly startTimeMs: number;
  /** Optional "Tag=" column on every interval line (v1.3); no commas or whitespace. */
  readonly tag?: string;
  /** Written first, one `#` line per line of text. */
  readonly comment?: string;
}

const FORMAT_VERSION = "1.3";

/**
 * What Interval_Max is divided by: our histograms hold microseconds, so 1000 makes the column read in ms.
 * (Java's writer defaults to 1_000_000 because its users record nanoseconds.)
 */
export const INTERVAL_LOG_MAX_VALUE_UNIT_RATIO = 1000;

const LEGEND = '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"';
/** The reader splits fields on `[ ,\r\n]`; we refuse every whitespace, not just those, so tags survive shells too. */
const VALID_TAG = /^[^\s,]+$/;
/** The last instant a JS Date (and so the StartTime comment) can show: 8.64e15 ms after the epoch. */
const MAX_DATE_MS = 8.64e15;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * The HdrHistogram log text; readable by HistogramLogReader / HistogramLogProcessor.
 *
 * Layout, as Java's writer lays it out: the comment, `#[Histogram log format version 1.3]`, `#[StartTime: …]`,
 * `#[BaseTime: …]` (both the run start, so interval timestamps are relative to it), the CSV legend, then one
 * line per interval: `[Tag=<tag>,]<start s>,<length s>,<Interval_Max>,<V2 compressed base64 histogram>`.
 *
 * Units: histogram values are MICROSECONDS. Interval_Max is the interval's max in milliseconds (divided by
 * {@link INTERVAL_LOG_MAX_VALUE_UNIT_RATIO} = 1000, where Java's writer divides nanoseconds by 1_000_000).
 * HistogramLogProcessor assumes nanoseconds unless told otherwise, so run it with `-outputValueUnitRatio 1000`
 * to get milliseconds (and with `-tag <tag>` for a tagged log: without it, it reads only untagged lines):
 *
 *     java -cp hdrhistogram.jar org.HdrHistogram.HistogramLogProcessor -i run.hlog -outputValueUnitRatio 1000
 *
 * HistogramLogProcessor (2.1.11 to 2.2.2) stops with a NullPointerException on a log without a line it reads
 * (no intervals, or only tagged lines and no matching `-tag`).
 *
 * Throws a RangeError naming every bad field (not an integer epoch, negative or unordered interval starts,
 * a tag the reader would split) rather than writing a log the reader would silently truncate.
 */
export function formatIntervalLog(intervals: readonly LoggedInterval[], options: IntervalLogOptions): string {
  const problems = validateIntervalLog(intervals, options);
  if (problems.length > 0) throw new RangeError(`cannot write an interval log: ${problems.join("; ")}`);

  const lines: string[] = [];
  if (options.comment !== undefined) for (const line of options.comment.split(/\r\n|\r|\n/)) lines.push(`#${line}`);
  lines.push(`#[Histogram log format version ${FORMAT_VERSION}]`);
  const start = thousandths(options.startTimeMs);
  lines.push(`#[StartTime: ${start} (seconds since epoch), ${javaDateUtc(options.startTimeMs)}]`);
  lines.push(`#[BaseTime: ${start} (seconds since epoch)]`);
  lines.push(LEGEND);
  const tag = options.tag === undefined ? "" : `Tag=${options.tag},`;
  for (const { startMs, durationMs, histogram } of intervals) {
    // Java logs getMaxValue(): the top of the max's bucket, so the column agrees with what a reader decodes.
    const { encoded, maxMicros } = "encoded" in histogram ? histogram : encodeInterval(histogram);
    lines.push(`${tag}${thousandths(Math.round(startMs))},${thousandths(Math.round(durationMs))},${thousandths(maxMicros)},${encoded}`);
  }
  return lines.join("\n") + "\n";
}

/** Every problem with the arguments, each naming its field; empty when the log can be written. */
function validateIntervalLog(intervals: readonly LoggedInterval[], options: IntervalLogOptions): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(options.startTimeMs) || options.startTimeMs < 0 || options.startTimeMs > MAX_DATE_MS) {
    problems.push(`startTimeMs must be an integer epoch ms within 0..${MAX_DATE_MS}, got ${options.startTimeMs}`);
  }
  if (options.tag !== undefined && !VALID_TAG.test(options.tag)) {
    problems.push(`tag must be non-empty without commas or whitespace (the log's field separators), got ${JSON.stringify(options.tag)}`);
  }
  let previousStart = 0;
  intervals.forEach(({ startMs, durationMs }, i) => {
    if (!isMs(startMs)) problems.push(`intervals[${i}].startMs must be a finite number of ms >= 0, got ${startMs}`);
    // Readers stop at the first line past a -end bound, so lines must come in start order.
    else if (startMs < previousStart) problems.push(`intervals[${i}].startMs ${startMs} is before the previous interval's ${previousStart}`);
    else previousStart = startMs;
    if (!isMs(durationMs)) problems.push(`intervals[${i}].durationMs must be a finite number of ms >= 0, got ${durationMs}`);
  });
  return problems;
}

function isMs(x: number): boolean {
  return Number.isFinite(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;
}

/** A non-negative integer n as n/1000 with exactly 3 decimals (Java's `%.3f`), without float rounding. */
function thousandths(n: number): string {
  return `${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, "0")}`;
}

/**
 * `java.util.Date#toString()` in UTC ("Tue Nov 14 22:13:20 UTC 2023"). Readers ignore it (they take the number);
 * UTC keeps the log independent of the machine that writes it.
 */
function javaDateUtc(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, "0");
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()] ?? ""} ${MONTHS[d.getUTCMonth()] ?? ""} ${two(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}
