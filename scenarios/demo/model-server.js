// A tiny "sentiment model" served KServe v1 / TF-Serving style: the production model and a retrained
// candidate that differs in a few real ways. Used by run-demo.js; runs standalone too:
//   node scenarios/demo/model-server.js --variant candidate --port 8082 [--host 127.0.0.1]
import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export const VARIANTS = Object.freeze({
  production: { version: "2024-05-01", explainDelayMs: 25 },
  // Retrained: reads "not bad" as praise and "unexpected" as a complaint, scores drift by < 1e-4,
  // and its explainer is 40 ms slower.
  candidate: { version: "2024-06-12-retrained", explainDelayMs: 65 },
});

export const LABELS = Object.freeze(["positive", "negative", "neutral"]);

const POSITIVE = new Set(["good", "great", "love", "excellent", "fast", "happy", "amazing", "helpful", "recommend", "perfect", "smooth", "friendly"]);
const NEGATIVE = new Set(["bad", "terrible", "slow", "broken", "hate", "awful", "refund", "poor", "disappointed", "worst", "late", "rude"]);
const METADATA = Object.freeze({ name: "sentiment", versions: ["2024-05-01", "2024-06-12-retrained"], platform: "demo" });
const MAX_BODY_BYTES = 1024 * 1024;

function tokenize(text) {
  return String(text).toLowerCase().match(/[a-z']+/g) ?? [];
}

/** Three numbers in [0, 1) derived from the text: the deterministic "rest of the model". */
function jitter(text) {
  const h = createHash("sha256").update(String(text)).digest();
  return [h.readUInt16BE(0) / 65536, h.readUInt16BE(2) / 65536, h.readUInt16BE(4) / 65536, h.readUInt16BE(6) / 65536];
}

/** Per-token polarity (+1, -1, 0) as the given variant reads it. */
function polarities(tokens, variant) {
  return tokens.map((t, i) => {
    if (variant === "candidate") {
      if (NEGATIVE.has(t) && tokens[i - 1] === "not") return 1;
      if (t === "unexpected") return -1;
    }
    return POSITIVE.has(t) ? 1 : NEGATIVE.has(t) ? -1 : 0;
  });
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

/** `{ label, scores: [p_pos, p_neg, p_neu] }` for one text; a pure function of (text, variant). */
export function classify(text, variant) {
  const tokens = tokenize(text);
  const pol = polarities(tokens, variant);
  const pos = pol.filter((p) => p > 0).length;
  const neg = pol.filter((p) => p < 0).length;
  const [j0, j1, j2, j3] = jitter(text);
  const logits = [1.2 * pos + 0.3 * j0, 1.2 * neg + 0.3 * j1, 0.6 + 0.3 * j2];
  const best = logits.indexOf(Math.max(...logits));
  const exps = logits.map((l) => Math.exp(l));
  const sum = exps.reduce((a, b) => a + b, 0);
  let scores = exps.map((e) => round(e / sum, 4));
  if (variant === "candidate") {
    // Retraining noise: every score moves by 1e-5..9e-5, well inside a 0.001 tolerance.
    const delta = 1e-5 + Math.floor(j3 * 9) * 1e-5;
    scores = scores.map((s, i) => round(s + (s + delta > 1 || (i % 2 === 1 && s - delta >= 0) ? -delta : delta), 6));
  }
  return { label: LABELS[best], scores };
}

/** Per-token attributions as the variant's explainer reports them. */
export function explain(text, variant) {
  const tokens = tokenize(text);
  const pol = polarities(tokens, variant);
  const attributions = tokens.map((t, i) => round(pol[i] * (0.8 + 0.2 * jitter(t)[0]), 4));
  return { tokens, attributions, label: classify(text, variant).label };
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}

/** The texts of a `{"instances":[{"text":...}]}` body, or undefined when it is malformed. */
function texts(body) {
  if (!body || !Array.isArray(body.instances) || body.instances.length === 0) return undefined;
  const out = body.instances.map((x) => (x && typeof x.text === "string" ? x.text : undefined));
  return out.includes(undefined) ? undefined : out;
}

/**
 * Starts one model server.
 * @param {{ variant: "production" | "candidate", port?: number, host?: string }} options
 * @returns {Promise<{ url: string, close(): Promise<void>, stats: { requests: number } }>}
 */
export async function startModelServer({ variant, port = 0, host = "127.0.0.1" }) {
  const config = VARIANTS[variant];
  if (!config) throw new Error(`variant must be "production" or "candidate", got ${JSON.stringify(variant)}`);
  const stats = { requests: 0 };
  const timers = new Set();

  const server = createServer(async (req, res) => {
    stats.requests++;
    const path = (req.url ?? "/").split("?", 1)[0];
    const route = `${req.method} ${path}`;
    try {
      switch (route) {
        case "GET /healthz":
          res.writeHead(200, { "content-type": "text/plain" });
          res.end("ok");
          return;
        case "GET /v1/models/sentiment":
          sendJson(res, 200, METADATA);
          return;
        case "POST /v1/feedback":
          req.resume();
          res.writeHead(204);
          res.end();
          return;
        case "POST /v1/models/sentiment:predict":
        case "POST /v1/models/sentiment:explain": {
          const inputs = texts(await readJson(req));
          if (!inputs) {
            sendJson(res, 400, { error: 'expected {"instances":[{"text":"..."}]}' });
            return;
          }
          const envelope = () => ({ model_version: config.version, request_id: randomUUID(), created: new Date().toISOString() });
          if (path.endsWith(":predict")) {
            const predictions = inputs.map((t) => ({ ...classify(t, variant), id: randomUUID() }));
            sendJson(res, 200, { predictions, ...envelope() });
            return;
          }
          const timer = setTimeout(() => {
            timers.delete(timer);
            sendJson(res, 200, { explanations: inputs.map((t) => explain(t, variant)), ...envelope() });
          }, config.explainDelayMs);
          timers.add(timer);
          return;
        }
        default:
          req.resume();
          sendJson(res, 404, { error: `no route ${route}` });
      }
    } catch {
      if (!res.headersSent) sendJson(res, 400, { error: "malformed JSON body" });
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${server.address().port}`;

  let closing;
  return {
    url,
    stats,
    close() {
      closing ??= new Promise((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: { variant: { type: "string", default: "production" }, port: { type: "string", default: "0" }, host: { type: "string", default: "127.0.0.1" } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const server = await startModelServer({ variant: values.variant, port, host: values.host });
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
