// Elements of a KServe v2 gRPC output tensor, from its proto3 JSON form: typed `contents` or raw little-endian bytes.

import { Buffer, isUtf8 } from "node:buffer";
import { isPlainRecord } from "./rule.js";

/**
 * What reading `contents` found: `none` (absent, null, or every list empty), `read` (elements
 * appended), `malformed` (a list that cannot be decoded; nothing appended).
 */
export type ContentsRead = "none" | "read" | "malformed";

/** The `InferTensorContents` lists in proto3 JSON, with how each turns into the values REST `data` would hold. */
const CONTENTS: ReadonlyArray<readonly [field: string, convert: (value: unknown) => unknown]> = [
  ["boolContents", same],
  ["intContents", same],
  ["int64Contents", integer],
  ["uintContents", same],
  ["uint64Contents", integer],
  ["fp32Contents", float],
  ["fp64Contents", float],
  ["bytesContents", bytes],
];

function same(value: unknown): unknown {
  return value;
}

const DECIMAL = /^-?\d{1,20}$/;

/**
 * An int64/uint64 in decimal (proto3 JSON writes them as strings): a number when it is exact as
 * one, else a `bigint`, so values beyond 2^53 that differ still compare as different.
 */
export function integer(value: unknown): unknown {
  if (typeof value !== "string" || !DECIMAL.test(value)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
}

/** proto3 JSON writes non-finite floats as "NaN", "Infinity", "-Infinity". */
function float(value: unknown): unknown {
  return value === "NaN" || value === "Infinity" || value === "-Infinity" ? Number(value) : value;
}

/** Base64 bytes as text, like REST `data` holds BYTES; `MALFORMED_BYTES` when not base64. */
function bytes(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const b = decodeBase64(value);
  return b === undefined ? MALFORMED_BYTES : text(b, 0, b.length);
}

const MALFORMED_BYTES: unique symbol = Symbol("malformed bytes");

/**
 * Appends the elements of the first non-empty list of `contents` (an `InferTensorContents`),
 * converted: int64/uint64 strings to numbers (or `bigint` beyond 2^53), BYTES base64 to text,
 * "NaN"/"Infinity" to numbers. A server fills one list, the one of its datatype.
 */
export function readContents(contents: unknown, out: unknown[]): ContentsRead {
  if (!isPlainRecord(contents)) return "none";
  for (const [field, convert] of CONTENTS) {
    const list = contents[field];
    if (!Array.isArray(list) || list.length === 0) continue;
    const start = out.length;
    for (const item of list as unknown[]) {
      const value = convert(item);
      if (value === MALFORMED_BYTES) {
        out.length = start;
        return "malformed";
      }
      out.push(value);
    }
    return "read";
  }
  return "none";
}

// --- raw contents ------------------------------------------------------------------------------

interface RawType {
  /** Bytes per element. */
  readonly size: number;
  readonly read: (b: Buffer, offset: number) => unknown;
}

/** Raw layouts by KServe datatype (BYTES is length-prefixed, see `readRaw`). */
const RAW_TYPES: Readonly<Record<string, RawType>> = Object.freeze({
  BOOL: { size: 1, read: (b, o) => b[o] !== 0 },
  UINT8: { size: 1, read: (b, o) => b[o] },
  INT8: { size: 1, read: (b, o) => b.readInt8(o) },
  UINT16: { size: 2, read: (b, o) => b.readUInt16LE(o) },
  INT16: { size: 2, read: (b, o) => b.readInt16LE(o) },
  UINT32: { size: 4, read: (b, o) => b.readUInt32LE(o) },
  INT32: { size: 4, read: (b, o) => b.readInt32LE(o) },
  UINT64: { size: 8, read: readUint64 },
  INT64: { size: 8, read: readInt64 },
  FP16: { size: 2, read: (b, o) => half(b.readUInt16LE(o)) },
  BF16: { size: 2, read: (b, o) => bfloat(b.readUInt16LE(o)) },
  FP32: { size: 4, read: (b, o) => b.readFloatLE(o) },
  FP64: { size: 8, read: (b, o) => b.readDoubleLE(o) },
});

const TWO_32 = 2 ** 32;

// Two 32-bit halves avoid a BigInt per element; only values beyond 2^53 need one.
function readUint64(b: Buffer, o: number): number | bigint {
  const n = b.readUInt32LE(o + 4) * TWO_32 + b.readUInt32LE(o);
  return Number.isSafeInteger(n) ? n : b.readBigUInt64LE(o);
}

function readInt64(b: Buffer, o: number): number | bigint {
  const n = b.readInt32LE(o + 4) * TWO_32 + b.readUInt32LE(o);
  return Number.isSafeInteger(n) ? n : b.readBigInt64LE(o);
}

/** IEEE 754 binary16 bits as a number. */
export function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (0x400 + mantissa) * 2 ** (exponent - 25);
}

// bfloat16 is the top half of a float32; the two views share the platform's byte order.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits as a number. */
export function bfloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0] as number;
}

/**
 * Appends the elements of one `rawOutputContents` entry (base64 of little-endian bytes laid out
 * by `datatype`; BYTES as repeated 4-byte little-endian length + bytes). False, with nothing
 * appended, when it cannot be decoded: not base64, an unknown datatype, a length that is not a
 * whole number of elements, or a BYTES length running past the end.
 */
export function readRaw(datatype: unknown, entry: unknown, out: unknown[]): boolean {
  if (typeof entry !== "string" || typeof datatype !== "string") return false;
  const bytesType = datatype === "BYTES";
  const type = bytesType || !Object.hasOwn(RAW_TYPES, datatype) ? undefined : RAW_TYPES[datatype];
  if (type === undefined && !bytesType) return false;
  const b = decodeBase64(entry);
  if (b === undefined) return false;
  if (type === undefined) return readRawBytes(b, out);
  const n = b.length;
  if (n % type.size !== 0) return false;
  for (let o = 0; o < n; o += type.size) out.push(type.read(b, o));
  return true;
}

function readRawBytes(b: Buffer, out: unknown[]): boolean {
  const start = out.length;
  const n = b.length;
  let o = 0;
  while (o < n) {
    const length = o + 4 <= n ? b.readUInt32LE(o) : -1;
    if (length < 0 || o + 4 + length > n) {
      out.length = start;
      return false;
    }
    out.push(text(b, o + 4, o + 4 + length));
    o += 4 + length;
  }
  return true;
}

// --- bytes -------------------------------------------------------------------------------------

/** Standard or URL-safe alphabet, optional padding (proto3 JSON parsers accept both). */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decoded bytes land here, read at once and overwritten by the next entry (all callers are
 * synchronous). It grows up to `KEEP_SCRATCH`; a larger entry gets a buffer of its own.
 */
let scratch = Buffer.allocUnsafe(4096);
const KEEP_SCRATCH = 1 << 20;

/** The bytes of base64 `s` (a view of the scratch buffer), or undefined when `s` is not base64. */
function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 === 1 || !BASE64.test(s)) return undefined;
  const most = Math.ceil((s.length * 3) / 4);
  let into = scratch;
  if (most > into.length) {
    into = Buffer.allocUnsafe(most > KEEP_SCRATCH ? most : Math.min(KEEP_SCRATCH, Math.max(most, into.length * 2)));
    if (into.length <= KEEP_SCRATCH) scratch = into;
  }
  return into.subarray(0, into.write(s, 0, "base64"));
}

/**
 * Bytes as text: UTF-8 when they are UTF-8 (what REST `data` holds for BYTES). Other bytes get a
 * lone surrogate first, which no UTF-8 decoding yields, and then one char per byte: so equal text
 * means equal bytes.
 */
function text(b: Buffer, start: number, end: number): string {
  const s = b.toString("utf8", start, end);
  if (!s.includes("\uFFFD") || isUtf8(b.subarray(start, end))) return s;
  return `\uDC00${b.toString("latin1", start, end)}`;
}
