// HdrHistogram V2 compressed encoding, written byte for byte as the Java and C reference implementations
// write it. hdr-histogram-js's own encoder puts 1 in normalizingIndexOffset and the integer 1 (not the
// double 1.0) in integerToDoubleValueConversionRatio; the C decoder applies that offset and shifts every
// value by one bucket, so we encode ourselves and decode with the same explicit checks.
import { deflateSync, inflateSync } from "node:zlib";
import { Float64Histogram, type JsHistogram } from "hdr-histogram-js";
import { HIGHEST_MICROS, LOWEST_MICROS, SIGNIFICANT_DIGITS, hdrOf, newHdr, wrapHdr, type LatencyHistogram } from "./histogram.js";

/** Cookie bases; writers OR in 0x10 (the word-size nibble: LEB128/ZigZag), readers mask it off with `& ~0xf0`. */
export const V2_ENCODING_COOKIE_BASE = 0x1c849303;
export const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const WORD_SIZE_FLAG = 0x10;
/** cookie, payloadLength, normalizingIndexOffset, significantDigits, lowest, highest, conversionRatio. */
const HEADER_BYTES = 40;
/** Refuse headers whose counts array would be absurd (garbage or hostile input), before allocating it. */
const MAX_COUNTS_LENGTH = 1 << 20;

function cookieBase(cookie: number): number {
  return (cookie & ~0xf0) >>> 0;
}

/** ZigZag then LEB128, in Number arithmetic: counts stay below 2^53, so no 9th (full-byte) group is ever needed. */
function writeZigZag(out: number[], value: number): void {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function countsPayload(hdr: JsHistogram): Buffer {
  const out: number[] = [];
  // Up to the max value's bucket, as the references do (an empty histogram writes a single 0).
  const limit = hdr.countsArrayIndex(hdr.maxValue) + 1;
  for (let i = 0; i < limit; ) {
    const count = hdr.getCountAtIndex(i++);
    if (count !== 0) {
      writeZigZag(out, count);
      continue;
    }
    // A run of zero counts is written as one negative number (the run length).
    let zeros = 1;
    while (i < limit && hdr.getCountAtIndex(i) === 0) {
      zeros++;
      i++;
    }
    writeZigZag(out, zeros === 1 ? 0 : -zeros);
  }
  return Buffer.from(out);
}

/** HdrHistogram V2 compressed, base64 ("HISTF…"), decodable by the Java and C reference implementations. */
export function encodeHistogram(h: LatencyHistogram): string {
  const hdr = hdrOf(h);
  const payload = countsPayload(hdr);
  const raw = Buffer.alloc(HEADER_BYTES + payload.length);
  raw.writeUInt32BE(V2_ENCODING_COOKIE_BASE | WORD_SIZE_FLAG, 0);
  raw.writeInt32BE(payload.length, 4);
  raw.writeInt32BE(0, 8); // normalizingIndexOffset: we never shift
  raw.writeInt32BE(hdr.numberOfSignificantValueDigits, 12);
  raw.writeBigInt64BE(BigInt(hdr.lowestDiscernibleValue), 16);
  raw.writeBigInt64BE(BigInt(hdr.highestTrackableValue), 24);
  raw.writeDoubleBE(1.0, 32); // integerToDoubleValueConversionRatio of an integer histogram
  payload.copy(raw, HEADER_BYTES);
  // zlib-wrapped deflate, as java.util.zip.Deflater and zlib's compress() produce.
  const compressed = deflateSync(raw);
  const out = Buffer.alloc(8 + compressed.length);
  out.writeUInt32BE(V2_COMPRESSED_COOKIE_BASE | WORD_SIZE_FLAG, 0);
  out.writeInt32BE(compressed.length, 4);
  compressed.copy(out, 8);
  return out.toString("base64");
}

function invalid(reason: string, cause?: unknown): Error {
  return new Error(`not an HdrHistogram V2 compressed base64 histogram: ${reason}`, cause === undefined ? undefined : { cause });
}

function readZigZag(buf: Buffer, at: { pos: number }, end: number): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 9; i++) {
    if (at.pos >= end) throw invalid("counts payload ends inside a number");
    const byte = buf[at.pos++] ?? 0;
    // The 9th byte of LEB128-64b9B carries 8 bits, not 7.
    if (i === 8) return zigZagDecode(n + byte * scale);
    n += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return zigZagDecode(n);
    scale *= 0x80;
  }
  throw invalid("unreachable LEB128 state");
}

function zigZagDecode(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/**
 * Decodes a histogram from any V2 writer (Java, C, hdr-histogram-js); throws a clear Error on anything else.
 * `reuse`: a histogram of ours to decode into (its contents are replaced; left undefined on error), so a hot
 * loop need not allocate a counts array per call. Histograms with other bounds are still decoded fresh.
 */
export function decodeHistogram(base64: string, reuse?: LatencyHistogram): LatencyHistogram {
  if (typeof base64 !== "string") throw invalid("expected a string");
  const text = base64.trim();
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) throw invalid("not base64");
  const bytes = Buffer.from(text, "base64");
  if (bytes.length < 8) throw invalid(`${bytes.length} bytes is shorter than the 8-byte header`);
  const cookie = bytes.readUInt32BE(0);
  if (cookieBase(cookie) !== V2_COMPRESSED_COOKIE_BASE) {
    throw invalid(`cookie 0x${cookie.toString(16)} is not a V2 compressed cookie (0x${V2_COMPRESSED_COOKIE_BASE.toString(16)})`);
  }
  const length = bytes.readInt32BE(4);
  if (length < 0 || length > bytes.length - 8) throw invalid(`compressed length ${length} exceeds the ${bytes.length - 8} bytes present`);
  let raw: Buffer;
  try {
    // Bounded: at most 9 bytes per count of the largest array we accept, so a tiny input cannot inflate to gigabytes.
    raw = inflateSync(bytes.subarray(8, 8 + length), { maxOutputLength: HEADER_BYTES + 9 * MAX_COUNTS_LENGTH });
  } catch (error) {
    throw invalid("compressed contents do not inflate", error);
  }
  if (raw.length < HEADER_BYTES) throw invalid("inflated contents are shorter than the V2 header");
  const inner = raw.readUInt32BE(0);
  if (cookieBase(inner) !== V2_ENCODING_COOKIE_BASE) throw invalid(`inner cookie 0x${inner.toString(16)} is not the V2 encoding cookie`);
  const payloadLength = raw.readInt32BE(4);
  // normalizingIndexOffset (8) is ignored: writers emit counts in logical index order (Java semantics).
  const digits = raw.readInt32BE(12);
  const lowest = Number(raw.readBigInt64BE(16));
  const highest = Number(raw.readBigInt64BE(24));
  if (payloadLength < 0 || payloadLength > raw.length - HEADER_BYTES) throw invalid(`payload length ${payloadLength} exceeds the data`);
  if (!Number.isInteger(digits) || digits < 0 || digits > 5) throw invalid(`significant digits ${digits} outside 0..5`);
  if (!(lowest >= 1) || !(highest >= 2 * lowest) || highest > Number.MAX_SAFE_INTEGER) {
    throw invalid(`bounds ${lowest}..${highest} are not a valid range`);
  }

  // An upper estimate of the counts array, checked before the histogram allocates it.
  const subBuckets = 2 ** Math.ceil(Math.log2(2 * 10 ** digits));
  if (((Math.ceil(Math.log2(highest / lowest)) + 1) * subBuckets) / 2 > MAX_COUNTS_LENGTH) {
    throw invalid(`bounds ${lowest}..${highest} at ${digits} digits need too many buckets`);
  }
  const same = lowest === LOWEST_MICROS && highest === HIGHEST_MICROS && digits === SIGNIFICANT_DIGITS;
  // Decoding into a caller's scratch histogram saves a full counts array per call (merging runs this every second per agent).
  const reused = same && reuse !== undefined ? hdrOf(reuse) : undefined;
  reused?.reset();
  const source: JsHistogram = reused ?? (same ? newHdr() : new Float64Histogram(lowest, highest, digits));
  const at = { pos: HEADER_BYTES };
  const end = HEADER_BYTES + payloadLength;
  let index = 0;
  while (at.pos < end) {
    const value = readZigZag(raw, at, end);
    if (value < 0) {
      index += -value;
      continue;
    }
    if (index >= source.countsArrayLength) throw invalid("counts run past the histogram's range");
    if (value > 0) source.setCountAtIndex(index, value);
    index++;
  }
  if (index > source.countsArrayLength) throw invalid("zero run past the histogram's range");
  source.establishInternalTackingValues(Math.min(index, source.countsArrayLength));
  if (same) return reuse ?? wrapHdr(source);

  return rebucket(source);
}

/** Another tool's bounds: re-record each bucket at its value, clamped to ours, so merges stay index-wise. */
function rebucket(source: JsHistogram): LatencyHistogram {
  const hdr = newHdr();
  for (let i = 0; i < source.countsArrayLength; i++) {
    const count = source.getCountAtIndex(i);
    if (count === 0) continue;
    const value = source.valueFromIndex(i);
    hdr.recordValueWithCount(Math.min(Math.max(value, LOWEST_MICROS), HIGHEST_MICROS), count);
  }
  return wrapHdr(hdr);
}

let emptyEncoded: string | undefined;

/** The encoding of a histogram with no values (what an idle interval ships). */
export function emptyHistogramEncoded(): string {
  emptyEncoded ??= encodeHistogram(wrapHdr(newHdr()));
  return emptyEncoded;
}
