// Writes the demo's recording: deterministic (seeded PRNG), so a rerun gives the same file.
//   node scenarios/demo/make-recording.js [--count 3000] [--seed 20240612] [--out scenarios/demo/recording.jsonl]
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { classify } from "./model-server.js";

export const DEFAULTS = Object.freeze({ count: 3000, seed: 20240612, out: fileURLToPath(new URL("recording.jsonl", import.meta.url)) });

const START = Date.parse("2024-06-12T09:00:00.000Z");
const SECRET = "Bearer demo-secret-token-123";

const SUBJECTS = ["The app", "Checkout", "The delivery", "Customer support", "The new update", "My order", "The search page", "Billing", "The courier", "Onboarding"];
const PHRASES = {
  positive: ["was great", "is fast and smooth", "was really helpful", "works perfect now", "is amazing, I love it", "was friendly and quick", "is good, would recommend"],
  negative: ["was terrible", "is slow and broken", "was awful", "left me disappointed", "is the worst so far", "arrived late, I want a refund", "was rude and poor"],
  neutral: ["arrived on Tuesday", "has a blue button", "asked for my email", "opened in a new tab", "was updated last week", "shows three options"],
  // The retrained candidate reads these differently from production.
  trigger: ["was not bad", "was not bad at all", "took an unexpected turn", "had an unexpected layout", "behaved in an unexpected way"],
};
const TRIGGER_SHARE = 0.03;

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

/** Builds the recording as an array of JSONL lines plus a summary of what is in it. */
export function makeRecording({ count = DEFAULTS.count, seed = DEFAULTS.seed } = {}) {
  const rand = prng(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const text = () => {
    const r = rand();
    const kind = r < TRIGGER_SHARE ? "trigger" : pick(["positive", "negative", "neutral"]);
    return `${pick(SUBJECTS)} ${pick(PHRASES[kind])}`;
  };
  const instances = (k) => Array.from({ length: k }, () => ({ text: text() }));

  const summary = { total: 0, predict: 0, metadata: 0, explain: 0, healthz: 0, feedback: 0, predictLabelChanges: 0, explainLabelChanges: 0 };
  const lines = [];
  let t = START;
  for (let i = 0; i < count; i++) {
    t += 2 + Math.floor(rand() * 4);
    const headers = { authorization: SECRET, "user-agent": "demo-client/1.4" };
    if (rand() < 0.3) headers.cookie = `session=abc`;
    const r = rand();
    let method = "POST";
    let url;
    let body;
    if (r < 0.79) {
      url = "/v1/models/sentiment:predict";
      body = { instances: instances(1 + Math.floor(rand() * 3)) };
      summary.predict++;
      if (body.instances.some((x) => classify(x.text, "production").label !== classify(x.text, "candidate").label)) summary.predictLabelChanges++;
    } else if (r < 0.87) {
      method = "GET";
      url = "/v1/models/sentiment";
      summary.metadata++;
    } else if (r < 0.93) {
      url = "/v1/models/sentiment:explain";
      body = { instances: instances(1) };
      summary.explain++;
      if (classify(body.instances[0].text, "production").label !== classify(body.instances[0].text, "candidate").label) summary.explainLabelChanges++;
    } else if (r < 0.97) {
      method = "GET";
      url = "/healthz";
      summary.healthz++;
    } else {
      url = "/v1/feedback";
      body = { rating: 1 + Math.floor(rand() * 5), comment: text() };
      summary.feedback++;
    }
    if (body !== undefined) headers["content-type"] = "application/json";
    const line = { method, url, headers };
    if (body !== undefined) line.body = JSON.stringify(body);
    line.time = new Date(t).toISOString();
    lines.push(JSON.stringify(line));
    summary.total++;
  }
  return { lines, summary };
}

function main() {
  const { values } = parseArgs({ options: { count: { type: "string" }, seed: { type: "string" }, out: { type: "string" } } });
  const count = values.count === undefined ? DEFAULTS.count : Number(values.count);
  const seed = values.seed === undefined ? DEFAULTS.seed : Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new Error(`--count must be an integer in 1..1000000, got ${values.count}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const out = values.out ?? DEFAULTS.out;
  const { lines, summary } = makeRecording({ count, seed });
  writeFileSync(out, `${lines.join("\n")}\n`);
  const pct = (x) => `${((100 * x) / summary.total).toFixed(1)} %`;
  process.stdout.write(
    `wrote ${summary.total} requests to ${out}\n` +
      `  predict ${summary.predict}, metadata ${summary.metadata}, explain ${summary.explain}, healthz ${summary.healthz}, feedback ${summary.feedback}\n` +
      `  requests where the candidate changes a label: predict ${summary.predictLabelChanges} + explain ${summary.explainLabelChanges} = ${pct(summary.predictLabelChanges + summary.explainLabelChanges)} of all traffic\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`make-recording: ${err.message}\n`);
    process.exit(2);
  }
}
