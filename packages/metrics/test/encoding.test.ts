import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { deflateSync, inflateSync } from "node:zlib";
import { build, encodeIntoCompressedBase64 } from "hdr-histogram-js";
import {
  createLatencyHistogram,
  decodeHistogram,
  emptyHistogramEncoded,
  encodeHistogram,
  latencySummaryMs,
  valueAtPercentileMs,
  type LatencyHistogram,
} from "../src/index.js";

/**
 * Written by the Java reference (HdrHistogram 2.1.11): `new Histogram(1, 3_600_000_000L, 3)` holding
 * 1..1000 ms in steps of 1 ms plus 5_000_000_000 values of 7 µs (a count past 32 bits).
 */
const JAVA_ENCODED =
  "HISTFAAAAI94nJNpmSzMwMB+kQECmKE0I4i4NnkJg/0HiABvw4n1C1T38zOd5WeaysH0lJ1pIQvTR2YoWs7E9J0RC1rJyFTNVIkHZzNZA6EtmCSP1mWSZpIFQgRJfz4/Ey8TNxBDIIKFXXS4yrMzsYIhM5RGhcSLjuof+vqZmRjQIIYALki0QlqYOWr5qOUjw3IALcxAiQ==";

function histogramOf(values: readonly number[]): LatencyHistogram {
  const h = createLatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** A V2 inner header with our bounds, each field overridable to make it wrong. */
function header(o: { cookie?: number; payload?: number; digits?: number; lowest?: number; highest?: number }): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32BE(o.cookie ?? 0x1c849313, 0);
  b.writeInt32BE(o.payload ?? 0, 4);
  b.writeInt32BE(o.digits ?? 3, 12);
  b.writeBigInt64BE(BigInt(o.lowest ?? 1), 16);
  b.writeBigInt64BE(BigInt(o.highest ?? 3_600_000_000), 24);
  b.writeDoubleBE(1, 32);
  return b;
}

/** Compresses an inner buffer and frames it with the V2 compressed cookie, as base64. */
function frame(raw: Buffer): string {
  const z = deflateSync(raw);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x1c849314, 0);
  head.writeInt32BE(z.length, 4);
  return Buffer.concat([head, z]).toString("base64");
}

/** The inflated inner buffer (header + counts payload) of an encoding, checking the outer frame on the way. */
function inner(encoded: string): Buffer {
  const bytes = Buffer.from(encoded, "base64");
  assert.equal(bytes.readInt32BE(4), bytes.length - 8, "compressed length field");
  return inflateSync(bytes.subarray(8));
}

describe("encodeHistogram", () => {
  it("starts with the V2 compressed cookie the reference implementations write and check", () => {
    const bytes = Buffer.from(encodeHistogram(histogramOf([1000])), "base64");
    const cookie = bytes.readUInt32BE(0);
    // Readers (Java getCookieBase, C get_cookie_base) compare `cookie & ~0xf0` with 0x1c849304; writers
    // (Java, C, hdr-histogram-js) set the word-size nibble to 1, giving 0x1c849314 — the familiar "HISTF" prefix.
    assert.equal((cookie & ~0xf0) >>> 0, 0x1c849304);
    assert.equal(cookie, 0x1c849314);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x1c, 0x84, 0x93, 0x14]);
    // zlib-wrapped deflate (what java.util.zip.Inflater and zlib's uncompress expect), not raw deflate.
    assert.equal(bytes[8], 0x78);
  });

  it("writes the V2 header exactly as the C and Java references do", () => {
    const raw = inner(encodeHistogram(histogramOf([1000])));
    assert.equal(raw.readUInt32BE(0), 0x1c849313, "encoding cookie");
    assert.equal(raw.readInt32BE(4), raw.length - 40, "payload length");
    // The C decoder applies this offset to every index: anything but 0 shifts all values.
    assert.equal(raw.readInt32BE(8), 0, "normalizingIndexOffset");
    assert.equal(raw.readInt32BE(12), 3, "significant digits");
    assert.equal(raw.readBigInt64BE(16), 1n, "lowest discernible value");
    assert.equal(raw.readBigInt64BE(24), 3_600_000_000n, "highest trackable value");
    assert.equal(raw.readDoubleBE(32), 1.0, "integerToDoubleValueConversionRatio is the double 1.0");
  });

  it("writes counts as ZigZag LEB128 with zero runs as negative lengths, up to the max value's bucket", () => {
    // Indices 0..3: count 0, 1, 0, 2 → zigzag 0, 2, 0, 4 (a single zero is written as the count 0).
    assert.deepEqual([...inner(encodeHistogram(histogramOf([1, 3, 3]))).subarray(40)], [0x00, 0x02, 0x00, 0x04]);
    // Eight zeros (indices 2..9) become -8 → zigzag 15.
    assert.deepEqual([...inner(encodeHistogram(histogramOf([1, 10]))).subarray(40)], [0x00, 0x02, 0x0f, 0x02]);
    // A count of 300 → zigzag 600 = 0x258 → LEB128 0xd8 0x04.
    assert.deepEqual([...inner(encodeHistogram(histogramOf(Array<number>(300).fill(1)))).subarray(40)], [0x00, 0xd8, 0x04]);
    // An empty histogram writes the single (zero) count of index 0.
    assert.deepEqual([...inner(emptyHistogramEncoded()).subarray(40)], [0x00]);
  });
});

describe("decodeHistogram", () => {
  it("round-trips counts and every percentile", () => {
    const values = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 4999) * 37 + 1);
    const h = histogramOf(values);
    const d = decodeHistogram(encodeHistogram(h));
    assert.equal(d.totalCount, 5000);
    assert.deepEqual(latencySummaryMs(d), latencySummaryMs(h));
    for (const p of [0, 1, 10, 33.3, 50, 75, 90, 99, 99.9, 99.99, 100]) assert.equal(valueAtPercentileMs(d, p), valueAtPercentileMs(h, p), `p${p}`);
    // Re-encoding the decoded copy yields the very same bytes.
    assert.equal(encodeHistogram(d), encodeHistogram(h));
  });

  it("decodes the empty encoding to an empty histogram", () => {
    const d = decodeHistogram(emptyHistogramEncoded());
    assert.equal(d.totalCount, 0);
    assert.equal(encodeHistogram(d), emptyHistogramEncoded());
  });

  it("decodes what the Java reference wrote, counts beyond 32 bits included", () => {
    const d = decodeHistogram(JAVA_ENCODED);
    assert.equal(d.totalCount, 5_000_001_000);
    assert.deepEqual(latencySummaryMs(d), { p50: 0.007, p90: 0.007, p99: 0.007, p999: 0.007, max: 1000.447, mean: 0.007, min: 0.007 });
    assert.equal(valueAtPercentileMs(d, 99.99999), 500.223);
  });

  it("takes histograms with other bounds, re-bucketed into ours", () => {
    const other = build({ lowestDiscernibleValue: 1, highestTrackableValue: 1_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: false });
    for (let i = 1; i <= 100; i++) other.recordValue(i * 10);
    const d = decodeHistogram(encodeIntoCompressedBase64(other));
    assert.equal(d.totalCount, 100);
    // At 2 digits 10..1000 µs in steps of 10 fall on bucket boundaries (widths 1, 2 and 4), so they stay exact.
    const s = latencySummaryMs(d);
    assert.equal(s.min, 0.01);
    assert.equal(s.p50, 0.5);
    assert.equal(s.max, 1);
  });

  it("throws a clear Error on anything that is not a V2 compressed histogram", () => {
    const bytes = Buffer.from(encodeHistogram(histogramOf([1000, 2000])), "base64");
    const corruptZlib = Buffer.from(bytes);
    corruptZlib.fill(0xff, 10, 20);
    const cases: Array<[string, string]> = [
      ["", "not base64"],
      ["not base64 at all!", "not base64"],
      ["AAAAAAAAAAAA", "is not a V2 compressed cookie"],
      ["HIST", "shorter than the 8-byte header"],
      [bytes.subarray(0, bytes.length - 5).toString("base64"), "exceeds the"],
      [corruptZlib.toString("base64"), "do not inflate"],
      [frame(header({ cookie: 0xcafebabe })), "is not the V2 encoding cookie"],
      [frame(header({ lowest: 0 })), "not a valid range"],
      [frame(header({ highest: 2 ** 62 })), "not a valid range"],
      [frame(header({ digits: 9 })), "significant digits 9"],
      [frame(header({ digits: 5, highest: 2 ** 52 })), "need too many buckets"],
      [frame(Buffer.concat([header({ payload: 1 }), Buffer.from([0x80])])), "ends inside a number"],
      [frame(header({}).subarray(0, 20)), "shorter than the V2 header"],
      [frame(Buffer.concat([header({ payload: 2 }), Buffer.from([0x02])])), "payload length 2 exceeds the data"],
    ];
    for (const [input, reason] of cases) {
      assert.throws(
        () => decodeHistogram(input),
        (error: unknown) => error instanceof Error && error.message.startsWith("not an HdrHistogram V2 compressed base64 histogram: ") && error.message.includes(reason),
        `input ${JSON.stringify(input)} should fail with "${reason}"`,
      );
    }
  });
});

// The Java reference itself, when this machine has it (Debian: libhdrhistogram-java and a JDK); otherwise skipped.
const JAVA_JAR = "/usr/share/java/hdrhistogram.jar";
const haveJava = existsSync(JAVA_JAR) && spawnSync("javac", ["-version"], { timeout: 10_000 }).status === 0;

describe("Java reference decoder", { skip: haveJava ? false : `needs javac and ${JAVA_JAR}` }, () => {
  it("reads our encodings with the same counts and percentiles", () => {
    const dir = mkdtempSync(join(tmpdir(), "parallax-hdr-ref-"));
    try {
      const source = fileURLToPath(new URL("./fixtures/HdrRef.java", import.meta.url));
      const javac = spawnSync("javac", ["-cp", JAVA_JAR, "-d", dir, source], { encoding: "utf8", timeout: 60_000 });
      assert.equal(javac.status, 0, javac.stderr);
      const histograms = [
        histogramOf([]),
        histogramOf(Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000)),
        histogramOf([1, 3, 3, 123_456, 3_600_000_000, 1e12]),
        histogramOf(Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 2999) * 1009 + 1)),
      ];
      const java = spawnSync("java", ["-cp", `${JAVA_JAR}:${dir}`, "HdrRef"], {
        input: histograms.map((h) => encodeHistogram(h)).join("\n") + "\n",
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(java.status, 0, java.stderr);
      const expected = histograms.map((h) => {
        const s = latencySummaryMs(h);
        const micros = [s.p50, s.p90, s.p99, s.p999, s.min, s.max].map((ms) => Math.round(ms * 1000));
        return [h.totalCount, ...micros].join(" ");
      });
      assert.deepEqual(java.stdout.trim().split("\n"), expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
