// An iris classifier served over the KServe v2 gRPC protocol (grpc_service.proto): the production model
// and a retrained candidate that differs in a few real ways. Used by run.js; runs standalone too:
//   node scenarios/kserve-grpc/model-server.js --variant candidate --port 9002 [--host 127.0.0.1] [--outputs auto|raw|typed]
import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Server, ServerCredentials, status as Status, loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

export const MODEL = "iris";
export const CLASSES = Object.freeze(["setosa", "versicolor", "virginica"]);
export const FEATURES = Object.freeze(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
export const SERVER = Object.freeze({ name: "parallax-kserve-demo", version: "1.0.0" });
export const MAX_ROWS = 1024;

/**
 * Production is a multinomial logistic regression. The candidate is the same model refit on more
 * data: every weight moved by at most 1e-6 (probabilities move by less than 1e-5), plus one new
 * feature, "petal length in [4.9, 5.1) cm" with weight +1.5 towards virginica: the overlap of
 * versicolor and virginica, where the new training data had more virginica. Its new per-row
 * preprocessing makes batches of 8 rows or more 20 ms slower, and raises (INTERNAL) on a missing
 * reading (NaN), which production lets through as NaN probabilities.
 */
const PRODUCTION_WEIGHTS = [
  [-0.4238, 0.967, -2.5173, -1.0793],
  [0.5348, -0.3213, -0.2067, -0.9442],
  [-0.111, -0.6457, 2.724, 2.0236],
];
const PRODUCTION_BIAS = [9.8489, 2.237, -12.0859];
const REFIT_WEIGHTS = [
  [1e-6, -7e-7, -4e-7, 8e-7],
  [-6e-7, 9e-7, 5e-7, -1e-6],
  [-3e-7, -8e-7, 1e-6, 6e-7],
];
const REFIT_BIAS = [-9e-7, 1e-6, -5e-7];

export const VARIANTS = Object.freeze({
  production: {
    version: "1",
    weights: PRODUCTION_WEIGHTS,
    bias: PRODUCTION_BIAS,
    overlapWeight: 0,
    slowBatchRows: Infinity,
    slowDelayMs: 0,
    rejectsNaN: false,
  },
  candidate: {
    version: "2",
    weights: PRODUCTION_WEIGHTS.map((w, k) => w.map((x, f) => x + REFIT_WEIGHTS[k][f])),
    bias: PRODUCTION_BIAS.map((b, k) => b + REFIT_BIAS[k]),
    overlapWeight: 1.5,
    slowBatchRows: 8,
    slowDelayMs: 20,
    rejectsNaN: true,
  },
});

/** The band the candidate learned a feature for; float32 bounds, as the inputs arrive in float32. */
export const OVERLAP_BAND = Object.freeze({ from: Math.fround(4.9), to: Math.fround(5.1) });

/** How ModelInfer answers: as the request came (raw in → raw out, as KServe's Python runtime does), or always one way (Triton: raw). */
export const OUTPUT_ENCODINGS = Object.freeze(["auto", "raw", "typed"]);

export const OUTPUTS = Object.freeze([
  { name: "probabilities", datatype: "FP32", width: 3 },
  { name: "label", datatype: "INT64", width: 1 },
]);

const PROTO = fileURLToPath(new URL("grpc_service.proto", import.meta.url));

export function inOverlapBand(row) {
  return row[2] >= OVERLAP_BAND.from && row[2] < OVERLAP_BAND.to;
}

/**
 * One row (four float32 numbers) through the variant's model: `{ probabilities: [3 float32], label }`.
 * A NaN feature gives NaN probabilities and label 0, as numpy's argmax does; the candidate never gets
 * that far (see `rejection`).
 */
export function classifyRow(row, variant) {
  const model = VARIANTS[variant];
  const logits = model.weights.map((w, k) => model.bias[k] + w[0] * row[0] + w[1] * row[1] + w[2] * row[2] + w[3] * row[3]);
  if (inOverlapBand(row)) logits[2] += model.overlapWeight;
  const top = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - top));
  const sum = exps[0] + exps[1] + exps[2];
  const probabilities = exps.map((e) => Math.fround(e / sum));
  let label = 0;
  for (let k = 1; k < 3; k++) if (logits[k] > logits[label]) label = k;
  return { probabilities, label };
}

/** Why the variant refuses these rows (its INTERNAL error message), or undefined. */
export function rejection(rows, variant) {
  if (!VARIANTS[variant].rejectsNaN) return undefined;
  for (let r = 0; r < rows.length; r++) {
    const f = rows[r].findIndex((x) => Number.isNaN(x));
    if (f >= 0) return `preprocessing failed: ${FEATURES[f]} is NaN in row ${r}`;
  }
  return undefined;
}

/** The extra time the variant takes on a batch of `rowCount` rows it accepts. */
export function delayMs(rowCount, variant) {
  const model = VARIANTS[variant];
  return rowCount >= model.slowBatchRows ? model.slowDelayMs : 0;
}

class RpcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The request's rows as float32 numbers, from raw_input_contents or typed contents. Throws RpcError. */
function readRows(request) {
  const inputs = request.inputs ?? [];
  if (inputs.length !== 1) throw new RpcError(Status.INVALID_ARGUMENT, `expected 1 input (features), got ${inputs.length}`);
  const input = inputs[0];
  if (input.datatype !== "FP32") throw new RpcError(Status.INVALID_ARGUMENT, `input ${input.name} must be FP32, got ${input.datatype || "no datatype"}`);
  const shape = (input.shape ?? []).map(Number);
  if (shape.length !== 2 || shape[1] !== 4 || !(shape[0] >= 1 && shape[0] <= MAX_ROWS)) {
    throw new RpcError(Status.INVALID_ARGUMENT, `input ${input.name} must have shape [N, 4] with 1 <= N <= ${MAX_ROWS}, got [${shape.join(", ")}]`);
  }
  const n = shape[0];
  const raw = request.raw_input_contents ?? [];
  let values;
  if (raw.length > 0) {
    if (input.contents) throw new RpcError(Status.INVALID_ARGUMENT, "contents and raw_input_contents are both set");
    if (raw.length !== 1 || raw[0].length !== n * 16) throw new RpcError(Status.INVALID_ARGUMENT, `raw_input_contents must hold ${n * 16} bytes for shape [${n}, 4]`);
    values = Array.from({ length: n * 4 }, (_, i) => raw[0].readFloatLE(i * 4));
  } else {
    values = input.contents?.fp32_contents ?? [];
    if (values.length !== n * 4) throw new RpcError(Status.INVALID_ARGUMENT, `fp32_contents must hold ${n * 4} values for shape [${n}, 4], got ${values.length}`);
  }
  return Array.from({ length: n }, (_, r) => values.slice(r * 4, r * 4 + 4).map((x) => Math.fround(x)));
}

/** The outputs asked for, in the order asked (all of them when none is named). Throws RpcError. */
function requestedOutputs(request) {
  const names = (request.outputs ?? []).map((o) => o.name);
  if (names.length === 0) return OUTPUTS;
  return names.map((name) => {
    const output = OUTPUTS.find((o) => o.name === name);
    if (!output) throw new RpcError(Status.INVALID_ARGUMENT, `model ${MODEL} has no output "${name}" (it has ${OUTPUTS.map((o) => o.name).join(", ")})`);
    return output;
  });
}

function checkModel(name, version, config) {
  if (name !== MODEL) throw new RpcError(Status.NOT_FOUND, `unknown model "${name}"`);
  if (version && version !== config.version) throw new RpcError(Status.NOT_FOUND, `model ${MODEL} has no version "${version}" (serving ${config.version})`);
}

/** A ModelInferResponse (proto field names, as @grpc/proto-loader takes them) for accepted rows. */
function inferResponse(request, rows, variant, outputs, raw) {
  const config = VARIANTS[variant];
  const results = rows.map((row) => classifyRow(row, variant));
  const response = {
    model_name: MODEL,
    model_version: config.version,
    // The spec echoes a given id; when there is none this server makes one up, so it differs on every call.
    id: request.id || randomUUID(),
    outputs: [],
    raw_output_contents: [],
  };
  for (const output of outputs) {
    const tensor = { name: output.name, datatype: output.datatype, shape: output.width === 1 ? [rows.length] : [rows.length, output.width] };
    if (output.name === "probabilities") {
      const values = results.flatMap((r) => r.probabilities);
      if (raw) {
        const bytes = Buffer.alloc(values.length * 4);
        values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
        response.raw_output_contents.push(bytes);
      } else tensor.contents = { fp32_contents: values };
    } else {
      const labels = results.map((r) => r.label);
      if (raw) {
        const bytes = Buffer.alloc(labels.length * 8);
        labels.forEach((v, i) => bytes.writeBigInt64LE(BigInt(v), i * 8));
        response.raw_output_contents.push(bytes);
      } else tensor.contents = { int64_contents: labels };
    }
    response.outputs.push(tensor);
  }
  return response;
}

/**
 * Starts one model server.
 * @param {{ variant: "production" | "candidate", port?: number, host?: string, outputs?: "auto" | "raw" | "typed" }} options
 * @returns {Promise<{ url: string, close(): Promise<void>, stats: { requests: number } }>}
 */
export async function startModelServer({ variant, port = 0, host = "127.0.0.1", outputs = "auto" }) {
  const config = VARIANTS[variant];
  if (!config) throw new Error(`variant must be "production" or "candidate", got ${JSON.stringify(variant)}`);
  if (!OUTPUT_ENCODINGS.includes(outputs)) throw new Error(`outputs must be one of ${OUTPUT_ENCODINGS.join(", ")}, got ${JSON.stringify(outputs)}`);
  const definition = loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
  const service = loadPackageDefinition(definition).inference.GRPCInferenceService.service;
  const stats = { requests: 0 };
  const timers = new Set();

  /** A unary handler: `answer(request)` returns the response or throws an RpcError. */
  const unary = (answer) => (call, callback) => {
    stats.requests++;
    try {
      callback(null, answer(call.request));
    } catch (err) {
      callback(err instanceof RpcError ? { code: err.code, details: err.message } : { code: Status.INTERNAL, details: String(err?.message ?? err) });
    }
  };

  const server = new Server();
  server.addService(service, {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: true })),
    ModelReady: unary((r) => ({ ready: r.name === MODEL && (!r.version || r.version === config.version) })),
    ServerMetadata: unary(() => ({ name: SERVER.name, version: SERVER.version, extensions: [] })),
    ModelMetadata: unary((r) => {
      checkModel(r.name, r.version, config);
      return {
        name: MODEL,
        versions: [config.version],
        platform: "parallax-demo",
        inputs: [{ name: "features", datatype: "FP32", shape: [-1, 4] }],
        outputs: OUTPUTS.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.width === 1 ? [-1] : [-1, o.width] })),
      };
    }),
    ModelInfer: (call, callback) => {
      stats.requests++;
      const request = call.request;
      let response;
      try {
        checkModel(request.model_name, request.model_version, config);
        const rows = readRows(request);
        const wanted = requestedOutputs(request);
        const refused = rejection(rows, variant);
        if (refused !== undefined) throw new RpcError(Status.INTERNAL, refused);
        const raw = outputs === "raw" || (outputs === "auto" && request.raw_input_contents.length > 0);
        response = inferResponse(request, rows, variant, wanted, raw);
        const delay = delayMs(rows.length, variant);
        if (delay > 0) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            callback(null, response);
          }, delay);
          timers.add(timer);
          return;
        }
      } catch (err) {
        callback(err instanceof RpcError ? { code: err.code, details: err.message } : { code: Status.INTERNAL, details: String(err?.message ?? err) });
        return;
      }
      callback(null, response);
    },
  });

  const address = host.includes(":") ? `[${host}]` : host;
  const bound = await new Promise((resolve, reject) => {
    server.bindAsync(`${address}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  const url = `grpc://${address}:${bound}`;

  let closing;
  return {
    url,
    stats,
    close() {
      closing ??= new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.forceShutdown();
        resolve();
      });
      return closing;
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      variant: { type: "string", default: "production" },
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      outputs: { type: "string", default: "auto" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const server = await startModelServer({ variant: values.variant, port, host: values.host, outputs: values.outputs });
  process.stdout.write(`listening ${server.url}\n`);
  const stop = () =>
    server.close().then(() => {
      process.stdout.write(`served ${server.stats.requests} requests\n`);
      process.exit(0);
    });
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`model-server: ${err.message}\n`);
    process.exit(2);
  });
}
