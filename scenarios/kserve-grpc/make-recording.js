// Writes the kserve-grpc recording, deterministic (seeded PRNG), and prints what the report should show for it.
//   node scenarios/kserve-grpc/make-recording.js [--count 1200] [--seed 20261120] [--out scenarios/kserve-grpc/recording.jsonl]
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { CLASSES, MODEL, classifyRow, delayMs, inOverlapBand, rejection } from "./model-server.js";

export const DEFAULTS = Object.freeze({ count: 1200, seed: 20261120, out: fileURLToPath(new URL("recording.jsonl", import.meta.url)) });

/** The scenario's tensor rule tolerance (absolute), to count the probabilities it will call different. */
export const TOLERANCE = 1e-5;

const SERVICE = "inference.GRPCInferenceService";
const START = Date.parse("2026-11-20T10:00:00.000Z");
const SECRET = "Bearer kserve-demo-secret-token-123";

/** Mean and standard deviation per feature of each species in Fisher's iris data (cm). */
const SPECIES = [
  { mean: [5.006, 3.428, 1.462, 0.246], sd: [0.352, 0.379, 0.174, 0.105] },
  { mean: [5.936, 2.77, 4.26, 1.326], sd: [0.516, 0.314, 0.47, 0.198] },
  { mean: [6.588, 2.974, 5.552, 2.026], sd: [0.636, 0.322, 0.552, 0.275] },
];

const SHARES = Object.freeze({
  modelInfer: 0.86, // then ModelMetadata up to 0.94, then ServerReady
  modelMetadata: 0.08,
  raw: 0.5, // ModelInfer calls sending raw_input_contents; the rest send typed contents
  protoNames: 0.2, // messages written with proto field names (model_name) instead of lowerCamelCase
  withId: 0.3, // calls that set an id (echoed back); the others get a random one from the server
  nan: 0.02, // calls with one missing reading (NaN)
  onlyLabel: 0.08, // calls asking for the label output only
  bothOutputs: 0.08, // calls naming both outputs; the rest name none (all outputs)
});

/** mulberry32: small, seedable, good enough for traffic shapes. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** proto3 JSON field names: lowerCamelCase, or as written in the proto. */
const CAMEL = { modelName: "modelName", rawInputContents: "rawInputContents", fp32Contents: "fp32Contents" };
const PROTO = { modelName: "model_name", rawInputContents: "raw_input_contents", fp32Contents: "fp32_contents" };

function emptySummary() {
  return {
    total: 0,
    calls: { ModelInfer: 0, ModelMetadata: 0, ServerReady: 0 },
    infer: { raw: 0, typed: 0, protoNames: 0, withId: 0, onlyLabel: 0, bothOutputs: 0, rows: 0, batches: { "1": 0, "2-4": 0, "8-16": 0 } },
    // What Parallax should find, candidate against production (see addExpected).
    internal: 0,
    slow: 0,
    bandRows: 0,
    probabilityRowsBeyond: 0,
    maxAbsDiffOutsideBand: 0,
    maxAbsDiff: 0,
    labelFlips: { rows: 0, calls: 0, rawCalls: 0, typedCalls: 0, typedRows: 0 },
    labelRule: { compared: 0, agreed: 0, confusion: {} },
    tensor: { outputsCompared: 0, outputsBeyond: 0, elementsCompared: 0, elementsBeyond: 0 },
    differingCalls: 0,
  };
}

/** Adds what Parallax should find on one ModelInfer call (candidate against production) to the summary. */
function addExpected(summary, rows, { raw, outputs }) {
  if (rejection(rows, "candidate") !== undefined) {
    summary.internal++;
    summary.differingCalls++;
    return;
  }
  if (delayMs(rows.length, "candidate") > delayMs(rows.length, "production")) summary.slow++;
  const wantProbabilities = outputs.includes("probabilities");
  const wantLabel = outputs.includes("label");
  let probabilitiesBeyond = false;
  let labelChanged = false;
  let flippedRows = 0;
  let elementsBeyond = 0;
  for (const row of rows) {
    const p = classifyRow(row, "production");
    const c = classifyRow(row, "candidate");
    if (inOverlapBand(row)) summary.bandRows++;
    let rowBeyond = false;
    for (let k = 0; k < 3; k++) {
      const d = Math.abs(c.probabilities[k] - p.probabilities[k]);
      summary.maxAbsDiff = Math.max(summary.maxAbsDiff, d);
      if (!inOverlapBand(row)) summary.maxAbsDiffOutsideBand = Math.max(summary.maxAbsDiffOutsideBand, d);
      if (d > TOLERANCE) {
        rowBeyond = true;
        elementsBeyond++;
      }
    }
    if (rowBeyond) summary.probabilityRowsBeyond++;
    if (rowBeyond && wantProbabilities) probabilitiesBeyond = true;
    if (p.label !== c.label) {
      summary.labelFlips.rows++;
      flippedRows++;
      if (wantLabel) labelChanged = true;
    }
    // The label rule reads int64Contents, which only typed answers have.
    if (wantLabel && !raw) {
      const rule = summary.labelRule;
      rule.compared++;
      if (p.label === c.label) rule.agreed++;
      // As the report keys them (the INT64 label), with the species for the reader.
      const from = `${p.label} ${CLASSES[p.label]}`;
      const to = `${c.label} ${CLASSES[c.label]}`;
      rule.confusion[from] ??= {};
      rule.confusion[from][to] = (rule.confusion[from][to] ?? 0) + 1;
    }
  }
  if (flippedRows > 0) {
    summary.labelFlips.calls++;
    if (raw) summary.labelFlips.rawCalls++;
    else {
      summary.labelFlips.typedCalls++;
      summary.labelFlips.typedRows += flippedRows;
    }
  }
  const t = summary.tensor;
  t.outputsCompared += outputs.length;
  t.outputsBeyond += (probabilitiesBeyond ? 1 : 0) + (labelChanged ? 1 : 0);
  t.elementsCompared += (wantProbabilities ? rows.length * 3 : 0) + (wantLabel ? rows.length : 0);
  t.elementsBeyond += (wantProbabilities ? elementsBeyond : 0) + (wantLabel ? flippedRows : 0);
  if (probabilitiesBeyond || labelChanged) summary.differingCalls++;
}

/** Builds the recording as an array of JSONL lines plus a summary of what is in it and what the report should show. */
export function makeRecording({ count = DEFAULTS.count, seed = DEFAULTS.seed } = {}) {
  const rand = prng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const flower = () => {
    const s = SPECIES[Math.floor(rand() * SPECIES.length)];
    // Measured to the millimetre, as in the original data.
    return s.mean.map((m, f) => Math.max(0.1, Math.round((m + s.sd[f] * normal()) * 10) / 10));
  };
  const batchSize = () => {
    const r = rand();
    return r < 0.55 ? 1 : r < 0.85 ? 2 + Math.floor(rand() * 3) : 8 + Math.floor(rand() * 9);
  };

  const summary = emptySummary();
  const lines = [];
  let t = START;
  for (let i = 0; i < count; i++) {
    t += 5 + Math.floor(rand() * 10);
    const metadata = { authorization: SECRET, "x-client-id": "iris-scorer/2.3" };
    const r = rand();
    let method;
    let message;
    if (r < SHARES.modelInfer) {
      method = "ModelInfer";
      const names = rand() < SHARES.protoNames ? PROTO : CAMEL;
      const n = batchSize();
      const rows = Array.from({ length: n }, flower);
      if (rand() < SHARES.nan) rows[Math.floor(rand() * n)][Math.floor(rand() * 4)] = Number.NaN;
      const raw = rand() < SHARES.raw;
      const o = rand();
      const outputs = o < SHARES.onlyLabel ? ["label"] : o < SHARES.onlyLabel + SHARES.bothOutputs ? ["probabilities", "label"] : undefined;
      const withId = rand() < SHARES.withId;

      const input = { name: "features", datatype: "FP32", shape: [String(n), "4"] };
      message = { [names.modelName]: MODEL };
      if (withId) message.id = `scorer-${String(i).padStart(6, "0")}`;
      message.inputs = [input];
      if (outputs) message.outputs = outputs.map((name) => ({ name }));
      if (raw) {
        const bytes = Buffer.alloc(n * 16);
        rows.flat().forEach((x, k) => bytes.writeFloatLE(x, k * 4));
        message[names.rawInputContents] = [bytes.toString("base64")];
      } else {
        // proto3 JSON writes a NaN float as the string "NaN".
        input.contents = { [names.fp32Contents]: rows.flat().map((x) => (Number.isNaN(x) ? "NaN" : x)) };
      }

      const s = summary.infer;
      s[raw ? "raw" : "typed"]++;
      if (names === PROTO) s.protoNames++;
      if (withId) s.withId++;
      if (outputs?.length === 1) s.onlyLabel++;
      if (outputs?.length === 2) s.bothOutputs++;
      s.rows += n;
      s.batches[n === 1 ? "1" : n <= 4 ? "2-4" : "8-16"]++;
      addExpected(
        summary,
        rows.map((row) => row.map((x) => Math.fround(x))),
        { raw, outputs: outputs ?? ["probabilities", "label"] },
      );
    } else if (r < SHARES.modelInfer + SHARES.modelMetadata) {
      method = "ModelMetadata";
      message = { name: MODEL };
    } else {
      method = "ServerReady";
      message = {};
    }
    summary.calls[method]++;
    summary.total++;
    lines.push(JSON.stringify({ type: "grpc", service: SERVICE, method, metadata, message, time: new Date(t).toISOString() }));
  }
  return { lines, summary };
}

function describe(summary) {
  const pct = (x, of) => (of > 0 ? `${((100 * x) / of).toFixed(2)} %` : "n/a");
  const { calls, infer, labelFlips: flips, labelRule: rule, tensor } = summary;
  const confusion = Object.entries(rule.confusion)
    .sort()
    .map(([from, row]) => `${from} → ${Object.entries(row).sort().map(([to, k]) => `${to} ${k}`).join(", ")}`)
    .join("; ");
  return (
    `  ModelInfer ${calls.ModelInfer} (raw ${infer.raw}, typed ${infer.typed}; ${infer.rows} rows; batches of 1: ${infer.batches["1"]}, 2-4: ${infer.batches["2-4"]}, 8-16: ${infer.batches["8-16"]}),` +
    ` ModelMetadata ${calls.ModelMetadata}, ServerReady ${calls.ServerReady}\n` +
    `  ModelInfer messages with proto field names ${infer.protoNames}, with an id ${infer.withId}, asking for the label only ${infer.onlyLabel}, naming both outputs ${infer.bothOutputs}\n` +
    `  candidate INTERNAL (a NaN reading): ${summary.internal} calls (${pct(summary.internal, summary.total)} of all)\n` +
    `  candidate 20 ms slower (8+ rows, accepted): ${summary.slow} calls (${pct(summary.slow, summary.total)} of all)\n` +
    `  label flips: ${flips.rows} rows in ${flips.calls} calls (${flips.rawCalls} raw, ${flips.typedCalls} typed with ${flips.typedRows} rows)\n` +
    `  overlap band rows: ${summary.bandRows}; rows with a probability beyond ${TOLERANCE}: ${summary.probabilityRowsBeyond};` +
    ` max |Δp| ${summary.maxAbsDiff.toPrecision(4)}, outside the band ${summary.maxAbsDiffOutsideBand.toPrecision(4)}\n` +
    `  tensor rule: ${tensor.outputsBeyond} of ${tensor.outputsCompared} outputs differ (${pct(tensor.outputsBeyond, tensor.outputsCompared)});` +
    ` elements ${tensor.elementsBeyond} of ${tensor.elementsCompared} beyond tolerance\n` +
    `  label rule (typed answers only): ${rule.agreed} of ${rule.compared} rows agree (${pct(rule.agreed, rule.compared)}); production → candidate: ${confusion}\n` +
    `  calls where the candidate differs: ${summary.differingCalls} (${pct(summary.differingCalls, summary.total)} of all)\n`
  );
}

function main() {
  const { values } = parseArgs({ options: { count: { type: "string" }, seed: { type: "string" }, out: { type: "string" } } });
  const count = values.count === undefined ? DEFAULTS.count : Number(values.count);
  const seed = values.seed === undefined ? DEFAULTS.seed : Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error(`--count must be an integer in 1..100000, got ${values.count}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const out = values.out ?? DEFAULTS.out;
  const { lines, summary } = makeRecording({ count, seed });
  writeFileSync(out, `${lines.join("\n")}\n`);
  process.stdout.write(`wrote ${summary.total} gRPC calls to ${out}\n${describe(summary)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`make-recording: ${err.message}\n`);
    process.exit(2);
  }
}
