import assert from "node:assert/strict";
import type { SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  addHistogram,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  formatIntervalLog,
  latencySummaryMs,
  valueAtPercentileMs,
  type LatencyHistogram,
  type LoggedInterval,
} from "../src/index.js";
import { hdrOf } from "../src/histogram.js";
import { runJava, skipWithoutJava } from "./fixtures/hdr-java.js";

/** 2023-11-14T22:13:20.123Z, a Tuesday; the .123 checks that ms survive into the StartTime seconds. */
const START = 1_700_000_000_123;
const HEADER = [
  "#[Histogram log format version 1.3]",
  "#[StartTime: 1700000000.123 (seconds since epoch), Tue Nov 14 22:13:20 UTC 2023]",
  "#[BaseTime: 1700000000.123 (seconds since epoch)]",
  '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
];

function histogramOf(values: readonly number[]): LatencyHistogram {
  const h = createLatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

function range(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i + 1));
}

function lines(text: string): string[] {
  assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"), "ends with exactly one newline");
  return text.slice(0, -1).split("\n");
}

describe("formatIntervalLog", () => {
  it("writes the v1.3 header, the legend and one line per interval, exactly", () => {
    const a = histogramOf([1000, 2000, 123_456]);
    const b = histogramOf([]);
    const text = formatIntervalLog(
      [
        { startMs: 0, durationMs: 1000, histogram: a },
        { startMs: 1000, durationMs: 1000, histogram: b },
      ],
      { startTimeMs: START, comment: "[Logged with Parallax]" },
    );
    // 123_456 µs sits in a bucket 64 µs wide (123_456..123_519): the max column is its top, as Java's getMaxValue().
    assert.equal(
      text,
      ["#[Logged with Parallax]", ...HEADER, `0.000,1.000,123.519,${encodeHistogram(a)}`, `1.000,1.000,0.000,${encodeHistogram(b)}`].join("\n") + "\n",
    );
  });

  it("writes timestamps in seconds relative to the start, rounded to the ms", () => {
    const h = histogramOf([5]);
    const text = formatIntervalLog(
      [
        { startMs: 0.4, durationMs: 999.4, histogram: h },
        { startMs: 1234.5, durationMs: 250, histogram: h },
        { startMs: 3_600_000, durationMs: 60_000, histogram: h },
      ],
      { startTimeMs: START },
    );
    const rows = lines(text).slice(HEADER.length).map((line) => line.split(",").slice(0, 2).join(","));
    assert.deepEqual(rows, ["0.000,0.999", "1.235,0.250", "3600.000,60.000"]);
  });

  it("writes Interval_Max in ms (µs / 1000) as the top of the max's bucket", () => {
    const cases: Array<[number[], string]> = [
      [[], "0.000"],
      [[1], "0.001"],
      [[999, 3], "0.999"],
      [[1000], "1.000"], // 1000 µs is a bucket of 1 (exact up to 2048 µs)
      [[2049], "2.049"], // 2048..4095 µs: buckets 2 µs wide, 2048..2049
      [[123_456, 7], "123.519"],
      [[3_600_000_000], `${latencySummaryMs(histogramOf([3_600_000_000])).max.toFixed(3)}`],
    ];
    for (const [values, expected] of cases) {
      const h = histogramOf(values);
      const line = lines(formatIntervalLog([{ startMs: 0, durationMs: 1, histogram: h }], { startTimeMs: START })).at(-1) ?? "";
      assert.equal(line.split(",")[2], expected, `max of ${values.join(" ")}`);
      assert.equal(Number(expected), latencySummaryMs(h).max, "agrees with latencySummaryMs");
    }
  });

  it("puts the compressed histogram last, decodable to the same counts", () => {
    const h = histogramOf(range(5000, (i) => ((i * 7919) % 4999) * 37 + 1));
    const fields = (lines(formatIntervalLog([{ startMs: 0, durationMs: 1000, histogram: h }], { startTimeMs: START })).at(-1) ?? "").split(",");
    assert.equal(fields.length, 4);
    const decoded = decodeHistogram(fields[3] ?? "");
    assert.equal(decoded.totalCount, 5000);
    assert.deepEqual(latencySummaryMs(decoded), latencySummaryMs(h));
  });

  it("prefixes every interval line, and no header line, with Tag= when tagged", () => {
    const h = histogramOf([1000]);
    const intervals = [0, 1000, 2000].map((startMs) => ({ startMs, durationMs: 1000, histogram: h }));
    const untagged = lines(formatIntervalLog(intervals, { startTimeMs: START }));
    const tagged = lines(formatIntervalLog(intervals, { startTimeMs: START, tag: "GET_/users" }));
    assert.equal(tagged.length, HEADER.length + 3);
    assert.deepEqual(tagged.slice(0, HEADER.length), HEADER);
    assert.deepEqual(
      tagged.slice(HEADER.length),
      untagged.slice(HEADER.length).map((line) => `Tag=GET_/users,${line}`),
    );
  });

  it("writes one comment line per line of the comment, before the header", () => {
    const text = formatIntervalLog([], { startTimeMs: START, comment: "[Logged with Parallax]\r\n[Run: r1]\n" });
    assert.deepEqual(lines(text), ["#[Logged with Parallax]", "#[Run: r1]", "#", ...HEADER]);
  });

  it("writes only the header for no intervals, and the epoch itself as a start", () => {
    assert.deepEqual(lines(formatIntervalLog([], { startTimeMs: START })), HEADER);
    assert.deepEqual(lines(formatIntervalLog([], { startTimeMs: 0 })).slice(1, 3), [
      "#[StartTime: 0.000 (seconds since epoch), Thu Jan 01 00:00:00 UTC 1970]",
      "#[BaseTime: 0.000 (seconds since epoch)]",
    ]);
  });

  it("refuses what readers would misread, naming every bad field at once", () => {
    const h = histogramOf([1]);
    const bad: LoggedInterval[] = [
      { startMs: 1000, durationMs: 1000, histogram: h },
      { startMs: 500, durationMs: -1, histogram: h },
      { startMs: Number.NaN, durationMs: Infinity, histogram: h },
    ];
    assert.throws(
      () => formatIntervalLog(bad, { startTimeMs: 1.5, tag: "a,b" }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        for (const part of [
          "startTimeMs must be an integer epoch ms",
          'tag must be non-empty without commas or whitespace (the log\'s field separators), got "a,b"',
          "intervals[1].startMs 500 is before the previous interval's 1000",
          "intervals[1].durationMs must be a finite number of ms >= 0, got -1",
          "intervals[2].startMs must be a finite number of ms >= 0, got NaN",
          "intervals[2].durationMs must be a finite number of ms >= 0, got Infinity",
        ]) {
          assert.ok(error.message.includes(part), `message names: ${part}\n${error.message}`);
        }
        return true;
      },
    );
    for (const tag of ["", "a b", "a\tb", "x\n"]) {
      assert.throws(() => formatIntervalLog([], { startTimeMs: START, tag }), /tag must be non-empty/, JSON.stringify(tag));
    }
    assert.throws(() => formatIntervalLog([], { startTimeMs: -1 }), /startTimeMs/);
    assert.throws(() => formatIntervalLog([{ startMs: 0, durationMs: 1, histogram: {} as LatencyHistogram }], { startTimeMs: 0 }), TypeError);
  });
});

/** The processor works in a thread: an exception there is printed, and java still exits 0. */
function assertRan(run: SpawnSyncReturns<string>): void {
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /Exception|Error/);
}

describe("HistogramLogProcessor (Java reference) on our logs", { skip: skipWithoutJava() }, () => {
  // Three intervals of known values: 1..1000 ms; 37 µs..74 ms; a fast 250 µs body with a 2 s tail.
  const intervals: Array<LoggedInterval & { readonly histogram: LatencyHistogram }> = [
    { startMs: 0, durationMs: 1000, histogram: histogramOf(range(1000, (i) => i * 1000)) },
    { startMs: 1000, durationMs: 1000, histogram: histogramOf(range(2000, (i) => i * 37)) },
    { startMs: 2000, durationMs: 1000, histogram: histogramOf([...range(500, () => 250), ...range(5, () => 2_000_000)]) },
  ];

  /** Runs the processor with `args` on `log` (-o: interval CSV in `out`, distribution in `out.hgrm`). */
  function processLog(log: string, args: readonly string[]): { stdout: string; intervals: string[]; hgrm: string } {
    const dir = mkdtempSync(join(tmpdir(), "parallax-hlog-"));
    try {
      const file = join(dir, "run.hlog");
      const out = join(dir, "out");
      writeFileSync(file, log);
      const run = runJava(["org.HdrHistogram.HistogramLogProcessor", "-i", file, "-o", out, "-csv", "-outputValueUnitRatio", "1000", ...args]);
      assertRan(run);
      return { stdout: run.stdout, intervals: lines(readFileSync(out, "utf8")), hgrm: readFileSync(`${out}.hgrm`, "utf8") };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** What the processor's interval CSV should say: end time, the interval's and the running total's figures, in ms. */
  function expectedRows(logged: ReadonlyArray<LoggedInterval & { readonly histogram: LatencyHistogram }>): number[][] {
    const total = createLatencyHistogram();
    return logged.map(({ startMs, durationMs, histogram: h }) => {
      addHistogram(total, h);
      const p = (x: LatencyHistogram, q: number): number => valueAtPercentileMs(x, q);
      return [
        (startMs + durationMs) / 1000,
        h.totalCount,
        p(h, 50),
        p(h, 90),
        latencySummaryMs(h).max,
        total.totalCount,
        ...[50, 90, 99, 99.9, 99.99].map((q) => p(total, q)),
        latencySummaryMs(total).max,
      ];
    });
  }

  it("reads every interval with the counts, percentiles and max the JS histograms report", () => {
    const result = processLog(formatIntervalLog(intervals, { startTimeMs: START, comment: "[Logged with Parallax]" }), []);
    assert.deepEqual(result.intervals.slice(0, 3), [
      "#[Interval percentile log between 0.000 and <Infinite> seconds (relative to StartTime)]",
      "#[StartTime: 1700000000.123 (seconds since epoch), Tue Nov 14 22:13:20 UTC 2023]",
      '"Timestamp","Int_Count","Int_50%","Int_90%","Int_Max","Total_Count","Total_50%","Total_90%","Total_99%","Total_99.9%","Total_99.99%","Total_Max"',
    ]);
    const rows = result.intervals.slice(3).map((line) => line.split(",").map(Number));
    assert.deepEqual(rows, expectedRows(intervals));
    assert.equal(rows.at(-1)?.[5], 3505);

    // The whole merged distribution, row for row, as hdr-histogram-js prints it.
    const merged = createLatencyHistogram();
    for (const { histogram } of intervals) addHistogram(merged, histogram);
    const hgrm = result.hgrm.split("\n").filter((line) => !line.startsWith("#"));
    assert.deepEqual(hgrm, hdrOf(merged).outputPercentileDistribution(5, 1000, true).split("\n"));
  });

  it("takes -start/-end as seconds after StartTime, so the relative timestamps select intervals", () => {
    const result = processLog(formatIntervalLog(intervals, { startTimeMs: START }), ["-start", "0.5", "-end", "1.5"]);
    const rows = result.intervals.filter((line) => !line.startsWith("#") && !line.startsWith('"')).map((line) => line.split(",").map(Number));
    const second = intervals.slice(1, 2);
    assert.deepEqual(rows, expectedRows(second));
  });

  it("reads tagged lines with -tag and lists the tag", () => {
    const log = formatIntervalLog(intervals, { startTimeMs: START, tag: "GET_/users" });
    const result = processLog(log, ["-tag", "GET_/users"]);
    const rows = result.intervals.slice(3).map((line) => line.split(",").map(Number));
    assert.deepEqual(rows, expectedRows(intervals));

    const dir = mkdtempSync(join(tmpdir(), "parallax-hlog-"));
    try {
      writeFileSync(join(dir, "run.hlog"), log);
      const list = runJava(["org.HdrHistogram.HistogramLogProcessor", "-i", join(dir, "run.hlog"), "-listtags"]);
      assertRan(list);
      assert.deepEqual(lines(list.stdout), ["Tags found in input file:", "GET_/users"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints the percentile distribution in ms with the command users run", () => {
    const dir = mkdtempSync(join(tmpdir(), "parallax-hlog-"));
    try {
      const file = join(dir, "run.hlog");
      writeFileSync(file, formatIntervalLog(intervals, { startTimeMs: START }));
      // The exact command line the doc comment of formatIntervalLog gives users.
      const run = runJava(["org.HdrHistogram.HistogramLogProcessor", "-i", file, "-outputValueUnitRatio", "1000"]);
      assertRan(run);
      const out = lines(run.stdout);
      assert.equal(out[0], "#[StartTime: 1700000000.123 (seconds since epoch), Tue Nov 14 22:13:20 UTC 2023]");
      const merged = createLatencyHistogram();
      for (const { histogram } of intervals) addHistogram(merged, histogram);
      const s = latencySummaryMs(merged);
      assert.ok(out.includes(`#[Max     = ${s.max.toFixed(3).padStart(12)}, Total count    = ${String(3505).padStart(12)}]`), run.stdout);
      // The 50th percentile row, value in ms: "       0.xxx 0.500000000000 …".
      const median = out.find((line) => /^\s*\S+\s+0\.500000000000\s/.test(line));
      assert.equal(Number(median?.trim().split(/\s+/)[0]), s.p50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
