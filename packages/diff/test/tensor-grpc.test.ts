import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { signatureKey, type DiffKind, type DiffTally } from "@parallax/protocol";
import { parseIgnorePattern } from "../src/ignore.js";
import { Comparator, createTally, type PairInput, type ScopedComparisonRule, type TensorResult } from "../src/index.js";
import { createComparison, parseSelector } from "../src/ml/index.js";
import { bfloat, half, readContents, readRaw } from "../src/ml/raw-tensor.js";
import { rawContentsPath } from "../src/ml/tensor.js";
import { ok, options, pair } from "./fixtures.js";

const GRPC = "POST /inference.GRPCInferenceService/ModelInfer";

// --- bodies as protobufjs toObject(msg, { longs: String, enums: String, bytes: String, defaults: true, json: true }) writes them

const EMPTY_CONTENTS = { boolContents: [], intContents: [], int64Contents: [], uintContents: [], uint64Contents: [], fp32Contents: [], fp64Contents: [], bytesContents: [] };

interface GrpcOutput {
  name: string;
  datatype: string;
  shape: string[];
  parameters: object;
  contents: object | null;
}

/** An output whose elements are in `rawOutputContents`. */
const rawOut = (name: string, datatype: string, shape: readonly number[]): GrpcOutput => ({ name, datatype, shape: shape.map(String), parameters: {}, contents: null });

/** An output with typed contents: `contents` fills one list. */
const typedOut = (name: string, datatype: string, shape: readonly number[], contents: object): GrpcOutput => ({ name, datatype, shape: shape.map(String), parameters: {}, contents: { ...EMPTY_CONTENTS, ...contents } });

function response(outputs: readonly GrpcOutput[], raw: readonly string[] = []): object {
  return { modelName: "m", modelVersion: "1", id: "7", parameters: {}, outputs, rawOutputContents: raw };
}

const b64 = (bytes: Buffer): string => bytes.toString("base64");

function fp32(...xs: number[]): string {
  const b = Buffer.alloc(xs.length * 4);
  xs.forEach((x, i) => b.writeFloatLE(x, i * 4));
  return b64(b);
}

function u16(...bits: number[]): string {
  const b = Buffer.alloc(bits.length * 2);
  bits.forEach((x, i) => b.writeUInt16LE(x, i * 2));
  return b64(b);
}

function i64(...xs: bigint[]): string {
  const b = Buffer.alloc(xs.length * 8);
  xs.forEach((x, i) => b.writeBigInt64LE(x, i * 8));
  return b64(b);
}

/** BYTES raw layout: each element as a 4-byte little-endian length and its bytes. */
function byteStrings(...items: Array<string | Buffer>): string {
  const parts: Buffer[] = [];
  for (const item of items) {
    const bytes = typeof item === "string" ? Buffer.from(item, "utf8") : item;
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    parts.push(length, bytes);
  }
  return b64(Buffer.concat(parts));
}

const text64 = (s: string): string => b64(Buffer.from(s, "utf8"));

function observeAll(path: string, pairs: ReadonlyArray<readonly [unknown, unknown]>, tolerance?: number): { kinds: string[][]; result: TensorResult } {
  const tensor = createComparison(tolerance === undefined ? { kind: "tensor", path } : { kind: "tensor", path, tolerance });
  const state = tensor.createState();
  const kinds = pairs.map(([p, c]) => [...tensor.observe(state, p, c)]);
  return { kinds, result: tensor.finalise(state) };
}

const RESULT = { kind: "tensor", path: "$.outputs", compared: 0, shapeMismatches: 0, dtypeMismatches: 0, missingOutputs: 0, extraOutputs: 0, malformedOutputs: 0, valueMismatches: 0, elementsCompared: 0, elementsMismatched: 0, maxAbsDiff: null } as const;

// --- decoding --------------------------------------------------------------------------------

test("FP16 and BF16 bit patterns decode to their exact values", () => {
  // binary16: 1, -2, 1365/4096, the smallest subnormal, the largest finite, ±infinity, -0.
  assert.equal(half(0x3c00), 1);
  assert.equal(half(0xc000), -2);
  assert.equal(half(0x3555), 0.333251953125);
  assert.equal(half(0x0001), 2 ** -24);
  assert.equal(half(0x03ff), 1023 * 2 ** -24);
  assert.equal(half(0x7bff), 65504);
  assert.equal(half(0x7c00), Number.POSITIVE_INFINITY);
  assert.equal(half(0xfc00), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(half(0x7e00)));
  assert.ok(Object.is(half(0x8000), -0));
  // bfloat16: the top half of a float32.
  assert.equal(bfloat(0x3f80), 1);
  assert.equal(bfloat(0xc040), -3);
  assert.equal(bfloat(0x3eab), 0.333984375);
  assert.equal(bfloat(0x0001), 2 ** -133);
  assert.equal(bfloat(0x7f7f), 3.3895313892515355e38);
  assert.equal(bfloat(0xff80), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(bfloat(0x7fc0)));

  const out: unknown[] = [];
  assert.equal(readRaw("FP16", u16(0x3c00, 0xc000, 0x0001), out), true);
  assert.equal(readRaw("BF16", u16(0x3f80, 0xc040), out), true);
  assert.deepEqual(out, [1, -2, 2 ** -24, 1, -3]);
});

test("raw integers, booleans and floats decode little-endian by datatype; int64 beyond 2^53 stays exact", () => {
  const read = (datatype: string, bytes: number[] | Buffer): unknown[] => {
    const out: unknown[] = [];
    assert.equal(readRaw(datatype, b64(Buffer.from(bytes)), out), true, datatype);
    return out;
  };
  assert.deepEqual(read("BOOL", [0, 1, 2]), [false, true, true]);
  assert.deepEqual(read("UINT8", [0, 255]), [0, 255]);
  assert.deepEqual(read("INT8", [0x80, 0x7f]), [-128, 127]);
  assert.deepEqual(read("UINT16", [0xff, 0xff, 0x01, 0x00]), [65535, 1]);
  assert.deepEqual(read("INT16", [0x00, 0x80]), [-32768]);
  assert.deepEqual(read("UINT32", [0xff, 0xff, 0xff, 0xff]), [4294967295]);
  assert.deepEqual(read("INT32", [0xfe, 0xff, 0xff, 0xff]), [-2]);
  assert.deepEqual(read("INT64", Buffer.from(i64(-1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 63n)), "base64")), [-1, 2 ** 53 - 1, -(2 ** 53) + 1, 2n ** 53n, -(2n ** 63n)]);
  assert.deepEqual(read("UINT64", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 1, 0, 0, 0]), [2n ** 64n - 1n, 2 ** 32 + 5]);
  assert.deepEqual(read("FP32", Buffer.from(fp32(0.1, -2.5), "base64")), [Math.fround(0.1), -2.5]);
  const f64 = Buffer.alloc(8);
  f64.writeDoubleLE(0.1);
  assert.deepEqual(read("FP64", f64), [0.1]);
  // The example of the brief: "zczMPc3MTD4zMzM/" is FP32 [0.1, 0.2, 0.7].
  const out: unknown[] = [];
  assert.equal(readRaw("FP32", "zczMPc3MTD4zMzM/", out), true);
  assert.deepEqual(out, [Math.fround(0.1), Math.fround(0.2), Math.fround(0.7)]);
});

test("BYTES: raw length-prefixed elements and typed base64 both become text; non-UTF-8 bytes stay distinct", () => {
  const out: unknown[] = [];
  assert.equal(readRaw("BYTES", byteStrings("cat", "", "héllo"), out), true);
  assert.deepEqual(out, ["cat", "", "héllo"]);
  out.length = 0;
  assert.equal(readContents({ ...EMPTY_CONTENTS, bytesContents: [text64("cat"), text64("héllo")] }, out), "read");
  assert.deepEqual(out, ["cat", "héllo"]);
  out.length = 0;
  // Two different invalid sequences must not both turn into the same replacement character.
  assert.equal(readRaw("BYTES", byteStrings(Buffer.from([0xff]), Buffer.from([0xfe]), Buffer.from([0xff])), out), true);
  assert.equal(out.length, 3);
  assert.notEqual(out[0], out[1]);
  assert.equal(out[0], out[2]);
  // A length running past the end, or a dangling length prefix, cannot be decoded; nothing is appended.
  out.length = 0;
  const truncated = Buffer.from(byteStrings("cat"), "base64");
  truncated.writeUInt32LE(10);
  assert.equal(readRaw("BYTES", b64(truncated), out), false);
  assert.equal(readRaw("BYTES", b64(Buffer.concat([Buffer.from(byteStrings("ok"), "base64"), Buffer.from([1, 0])])), out), false);
  assert.deepEqual(out, []);
});

test("typed contents: the non-empty list, int64 strings as numbers (bigint beyond 2^53), non-finite floats as numbers", () => {
  const read = (contents: unknown): [string, unknown[]] => {
    const out: unknown[] = [];
    return [readContents(contents, out), out];
  };
  assert.deepEqual(read(null), ["none", []]);
  assert.deepEqual(read(EMPTY_CONTENTS), ["none", []]);
  assert.deepEqual(read({ ...EMPTY_CONTENTS, int64Contents: ["2", "-9007199254740991", "9007199254740993"] }), ["read", [2, -9007199254740991, 9007199254740993n]]);
  assert.deepEqual(read({ ...EMPTY_CONTENTS, uint64Contents: ["18446744073709551615"] }), ["read", [18446744073709551615n]]);
  assert.deepEqual(read({ ...EMPTY_CONTENTS, fp32Contents: [0.5, "NaN", "Infinity", "-Infinity"] }), ["read", [0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]]);
  assert.deepEqual(read({ ...EMPTY_CONTENTS, boolContents: [true, false] }), ["read", [true, false]]);
  assert.deepEqual(read({ ...EMPTY_CONTENTS, intContents: [-3], uintContents: [4] }), ["read", [-3]]);
  assert.deepEqual(read({ ...EMPTY_CONTENTS, bytesContents: ["not base64!"] }), ["malformed", []]);
});

test("undecodable raw entries are refused without appending anything", () => {
  const out: unknown[] = [];
  assert.equal(readRaw("FP32", b64(Buffer.alloc(10)), out), false, "10 bytes are not whole FP32 elements");
  assert.equal(readRaw("FP8", b64(Buffer.alloc(4)), out), false, "unknown datatype");
  assert.equal(readRaw("toString", b64(Buffer.alloc(4)), out), false, "not a datatype, even if an object has it");
  assert.equal(readRaw("FP32", "@@@@", out), false, "not base64");
  assert.equal(readRaw("FP32", "AAAAA", out), false, "a base64 length no encoder writes");
  assert.equal(readRaw("FP32", null, out), false);
  assert.equal(readRaw(undefined, fp32(1), out), false);
  assert.deepEqual(out, []);
  assert.equal(readRaw("FP32", "", out), true, "empty is zero elements");
  assert.deepEqual(out, []);
});

// --- the tensor comparison on gRPC bodies ------------------------------------------------------

test("raw FP32 outputs compare elementwise with exact counts and maxAbsDiff", () => {
  const probs = rawOut("probs", "FP32", [1, 3]);
  const label = typedOut("label", "INT64", [1], { int64Contents: ["2"] });
  const p = response([probs, label], [fp32(0.5, 0.25, 0.75), ""]);
  const { kinds, result } = observeAll(
    "$.outputs",
    [
      // 0.75 → 0.75 + 2^-10 is out of a 1e-5 tolerance; 0.5 → 0.5 + 2^-20 is within it.
      [p, response([probs, label], [fp32(0.5, 0.25, 0.75 + 2 ** -10), ""])],
      [p, response([probs, label], [fp32(0.5 + 2 ** -20, 0.25, 0.75), ""])],
      [p, p],
    ],
    1e-5,
  );
  assert.deepEqual(kinds, [["tensor-value"], [], []]);
  assert.deepEqual(result, { ...RESULT, compared: 6, valueMismatches: 1, elementsCompared: 12, elementsMismatched: 1, maxAbsDiff: 2 ** -10 });
});

test("raw and typed contents of the same values agree, and REST data agrees with both", () => {
  const raw = response([rawOut("probs", "FP32", [1, 3]), rawOut("label", "INT64", [1]), rawOut("name", "BYTES", [1])], [fp32(0.5, 0.25, 0.75), i64(2n), byteStrings("cat")]);
  const typed = response([
    typedOut("probs", "FP32", [1, 3], { fp32Contents: [0.5, 0.25, 0.75] }),
    typedOut("label", "INT64", [1], { int64Contents: ["2"] }),
    typedOut("name", "BYTES", [1], { bytesContents: [text64("cat")] }),
  ]);
  const rest = {
    model_name: "m",
    outputs: [
      { name: "probs", shape: [1, 3], datatype: "FP32", data: [0.5, 0.25, 0.75] },
      { name: "label", shape: [1], datatype: "INT64", data: [2] },
      { name: "name", shape: [1], datatype: "BYTES", data: ["cat"] },
    ],
  };
  const { kinds, result } = observeAll("$.outputs", [
    [raw, typed],
    [typed, raw],
    [rest, raw],
    [rest, typed],
  ]);
  assert.deepEqual(kinds, [[], [], [], []]);
  assert.deepEqual(result, { ...RESULT, compared: 12, elementsCompared: 20, maxAbsDiff: 0 });
});

test("BYTES, BOOL, int64 beyond 2^53 and NaN compare exactly", () => {
  const out = (name: string, datatype: string, contents: object): GrpcOutput => typedOut(name, datatype, [2], contents);
  const p = response([
    out("words", "BYTES", { bytesContents: [text64("cat"), text64("dog")] }),
    out("flags", "BOOL", { boolContents: [true, false] }),
    out("ids", "INT64", { int64Contents: ["9007199254740993", "18"] }),
    out("u", "UINT64", { uint64Contents: ["18446744073709551615", "1"] }),
    out("f", "FP32", { fp32Contents: ["NaN", "Infinity"] }),
  ]);
  const c = response([
    out("words", "BYTES", { bytesContents: [text64("cat"), text64("cow")] }),
    out("flags", "BOOL", { boolContents: [true, true] }),
    // As doubles both are 2^53: only the exact values tell them apart.
    out("ids", "INT64", { int64Contents: ["9007199254740992", "18"] }),
    out("u", "UINT64", { uint64Contents: ["18446744073709551615", "1"] }),
    out("f", "FP32", { fp32Contents: ["NaN", "Infinity"] }),
  ]);
  const { kinds, result } = observeAll("$.outputs", [[p, c]]);
  assert.deepEqual(kinds, [["tensor-value"]]);
  assert.deepEqual(result, { ...RESULT, compared: 5, valueMismatches: 3, elementsCompared: 10, elementsMismatched: 3, maxAbsDiff: 1 });
});

test("raw FP16, BF16 and INT64 differences are exact", () => {
  const outs = [rawOut("h", "FP16", [2]), rawOut("b", "BF16", [2]), rawOut("i", "INT64", [2])];
  const p = response(outs, [u16(0x3c00, 0x3555), u16(0x3f80, 0x3eab), i64(1n, 2n ** 60n)]);
  // One ulp each: 2^-12 at 1365/4096 in FP16 (just within the tolerance), 2^-9 at 171/512 in
  // BF16, 1 at 2^60 in INT64 (beyond 2^53: exact as a bigint, 0 as doubles).
  const c = response(outs, [u16(0x3c00, 0x3556), u16(0x3f80, 0x3eac), i64(1n, 2n ** 60n + 1n)]);
  const { kinds, result } = observeAll("$.outputs", [[p, c]], 2 ** -12);
  assert.deepEqual(kinds, [["tensor-value"]]);
  assert.deepEqual(result, { ...RESULT, compared: 3, valueMismatches: 2, elementsCompared: 6, elementsMismatched: 2, maxAbsDiff: 1 });
  const onlyHalf = observeAll("$.outputs", [[response([outs[0] as GrpcOutput], [u16(0x3c00, 0x3555)]), response([outs[0] as GrpcOutput], [u16(0x3c00, 0x3556)])]]);
  assert.equal(onlyHalf.result.maxAbsDiff, 2 ** -12);
  const onlyBf = observeAll("$.outputs", [[response([outs[1] as GrpcOutput], [u16(0x3eab)]), response([outs[1] as GrpcOutput], [u16(0x3eac)])]]);
  assert.equal(onlyBf.result.maxAbsDiff, 2 ** -9);
});

test("int64 string shapes equal the same numbers; a different shape or element count is a shape mismatch", () => {
  const rest = { outputs: [{ name: "probs", shape: [1, 3], datatype: "FP32", data: [0.5, 0.25, 0.75] }] };
  const grpc = (shape: number[], ...xs: number[]): object => response([rawOut("probs", "FP32", shape)], [fp32(...xs)]);
  const { kinds, result } = observeAll("$.outputs", [
    [rest, grpc([1, 3], 0.5, 0.25, 0.75)],
    [grpc([1, 3], 0.5, 0.25, 0.75), grpc([3, 1], 0.5, 0.25, 0.75)],
    // Same declared shape, two elements instead of three.
    [grpc([1, 3], 0.5, 0.25, 0.75), grpc([1, 3], 0.5, 0.25)],
    [{ outputs: [{ name: "probs", shape: ["1", "x"], datatype: "FP32", data: [1] }] }, { outputs: [{ name: "probs", shape: [1, 0], datatype: "FP32", data: [1] }] }],
  ]);
  assert.deepEqual(kinds, [[], ["tensor-shape"], ["tensor-shape"], ["tensor-shape"]]);
  assert.deepEqual(result, { ...RESULT, compared: 4, shapeMismatches: 3, elementsCompared: 3, maxAbsDiff: 0 });
});

test("an undecodable raw entry is a malformed output that counts as absent, and outputs are decoded only when matched", () => {
  const probs = rawOut("probs", "FP32", [1, 3]);
  const good = response([probs], [fp32(0.5, 0.25, 0.75)]);
  const { kinds, result } = observeAll("$.outputs", [
    // 10 bytes are not whole FP32 elements: the candidate's probs is malformed, production's missing from it.
    [good, response([probs], [b64(Buffer.alloc(10))])],
    // Production's is malformed (unknown datatype): the candidate's is extra.
    [response([rawOut("probs", "FP8", [1, 3])], [b64(Buffer.alloc(3))]), good],
    // Both probs malformed (the raw list has no entry 1; not base64): nothing to compare, only "x" is missing.
    [response([rawOut("x", "FP32", [1]), probs], [fp32(1)]), response([probs], ["@@@@"])],
    // An output only production has is not decoded, so its bad raw entry is not noticed.
    [response([probs, rawOut("junk", "FP32", [1])], [fp32(0.5, 0.25, 0.75), "@@@@"]), good],
  ]);
  assert.deepEqual(kinds, [["tensor-missing"], ["tensor-extra"], ["tensor-missing"], ["tensor-missing"]]);
  assert.deepEqual(result, { ...RESULT, compared: 1, missingOutputs: 3, extraOutputs: 1, malformedOutputs: 4, elementsCompared: 3, maxAbsDiff: 0 });
});

test("raw entries pair with the outputs of their own response, also below wildcards and for one selected output", () => {
  // Response 0 holds "a" and "b" (raw entries 0 and 1), response 1 holds "c" at its own raw entry 0.
  const batch = (a: number, b: number, c: number): object => ({
    responses: [response([rawOut("a", "FP32", [1]), rawOut("b", "FP32", [1])], [fp32(a), fp32(b)]), response([rawOut("c", "FP32", [1])], [fp32(c)])],
  });
  const p = batch(1, 2, 10);
  const c = batch(1, 2.5, 10.25);
  const both = { compared: 3, valueMismatches: 2, elementsCompared: 3, elementsMismatched: 2, maxAbsDiff: 0.5 };
  assert.deepEqual(observeAll("$.responses[*].outputs", [[p, c]]).result, { ...RESULT, path: "$.responses[*].outputs", ...both });
  assert.deepEqual(observeAll("$.responses[*].outputs[*]", [[p, c]]).result, { ...RESULT, path: "$.responses[*].outputs[*]", ...both });
  // `[n]` selects output n with raw entry n.
  assert.deepEqual(observeAll("$.responses[1].outputs[0]", [[p, c]]).result, { ...RESULT, path: "$.responses[1].outputs[0]", compared: 1, valueMismatches: 1, elementsCompared: 1, elementsMismatched: 1, maxAbsDiff: 0.25 });
  assert.deepEqual(observeAll("$.responses[0].outputs[1]", [[p, c]]).result, { ...RESULT, path: "$.responses[0].outputs[1]", compared: 1, valueMismatches: 1, elementsCompared: 1, elementsMismatched: 1, maxAbsDiff: 0.5 });
  // `..outputs` names no one holder: raw contents are not read, so these outputs have no elements.
  assert.deepEqual(observeAll("$..outputs", [[p, c]]).result, { ...RESULT, path: "$..outputs", compared: 3 });
});

// --- the structural diff beside a tensor rule ----------------------------------------------------

test("the raw contents path beside a rule's outputs, as an ignore pattern", () => {
  const raw = (path: string): string | undefined => {
    const parsed = parseSelector(path);
    assert.ok(parsed.ok);
    return rawContentsPath(parsed.selector);
  };
  assert.equal(raw("$.outputs"), "$.rawOutputContents");
  assert.equal(raw("$['outputs']"), "$.rawOutputContents");
  assert.equal(raw("$.outputs[*]"), "$.rawOutputContents[*]");
  assert.equal(raw("$.outputs[2]"), "$.rawOutputContents[2]");
  assert.equal(raw("$..batch[*].outputs"), "$..batch[*].rawOutputContents");
  assert.equal(raw("$['it\\'s a'].x.outputs"), "$['it\\'s a'].x.rawOutputContents");
  assert.equal(raw("$..outputs"), undefined);
  assert.equal(raw("$[*]"), undefined);
  assert.equal(raw("$"), undefined);
  const odd = raw("$['it\\'s a']..['b\\\\c'][*].outputs[*]") as string;
  assert.deepEqual(parseIgnorePattern(odd), {
    ok: true,
    steps: [
      { kind: "key", key: "it's a", descendant: false },
      { kind: "key", key: "b\\c", descendant: true },
      { kind: "any", descendant: false },
      { kind: "key", key: "rawOutputContents", descendant: false },
      { kind: "any", descendant: false },
    ],
  });
});

function run(pairs: readonly PairInput[], rules: readonly ScopedComparisonRule[]): DiffTally {
  const comparator = new Comparator(options({ rules }));
  const tally = createTally();
  for (const p of pairs) comparator.compare(p, tally);
  return tally;
}

const key = (path: string, kind: DiffKind, endpoint = GRPC): string => signatureKey({ endpoint, path, kind });

function counts(tally: DiffTally): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, s] of Object.entries(tally.signatures)) out[k] = s.candidate;
  return out;
}

test("a tensor rule's raw contents are not diffed structurally where it applies, and are where no tensor rule does", () => {
  const outs = [rawOut("probs", "FP32", [1, 3]), rawOut("logits", "FP32", [1])];
  const body = (x: number, version = "1"): object => ({ ...response(outs, [fp32(0.5, 0.25, x), fp32(2)]), modelVersion: version });
  const pairs = [
    pair(ok(200, body(0.75)), ok(200, body(0.75 + 2 ** -10)), undefined, GRPC),
    pair(ok(200, body(0.75)), ok(200, body(0.75 + 2 ** -10, "2")), undefined, GRPC),
    pair(ok(200, body(0.75)), ok(200, body(0.75)), undefined, "POST /other.Service/Call"),
  ];
  const tensor = { kind: "tensor", path: "$.outputs", tolerance: 1e-5 } as const;

  const ruled = run(pairs, [tensor]);
  assert.deepEqual(counts(ruled), { [key("$.outputs", "tensor-value")]: 2, [key("$.modelVersion", "changed")]: 1 });
  assert.equal(ruled.identical, 1);

  const raw = key("$.rawOutputContents[*]", "changed");
  assert.deepEqual(counts(run(pairs, [])), { [raw]: 2, [key("$.modelVersion", "changed")]: 1 });
  // Only tensor rules decode raw contents: another kind at the same path leaves them to the structural diff.
  assert.deepEqual(counts(run(pairs, [{ kind: "drift", path: "$.outputs" }])), { [raw]: 2, [key("$.modelVersion", "changed")]: 1 });
  // A tensor rule scoped to another endpoint does not hide them here.
  assert.deepEqual(counts(run(pairs, [{ ...tensor, endpoint: "POST /other.Service/Call" }])), { [raw]: 2, [key("$.modelVersion", "changed")]: 1 });
  // `$.outputs[*]` reads (and so hides) every entry; `$.outputs[1]` only entry 1, so entry 0's change still shows.
  assert.deepEqual(counts(run(pairs, [{ ...tensor, path: "$.outputs[*]" }])), { [key("$.outputs[*]", "tensor-value")]: 2, [key("$.modelVersion", "changed")]: 1 });
  assert.deepEqual(counts(run(pairs, [{ ...tensor, path: "$.outputs[1]" }])), { [raw]: 2, [key("$.modelVersion", "changed")]: 1 });
});
