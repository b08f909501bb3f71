#!/usr/bin/env node
// What `parallax tap` adds to production requests, in one command (`npm run bench:tap`, after
// `npx turbo run build`). The same loopback target is measured directly and through a tap that
// publishes every exchange to a JetStream stream on a nats-server of our own:
//   1. latency at a fixed, moderate rate: an open-model undici client, microsecond HdrHistograms,
//      latency from each request's intended send instant (as wrk2 does); and autocannon -R;
//   2. closed-loop throughput with autocannon (and wrk when installed), as a ratio tap/direct;
//   3. the tap's own accounting after each run: requests, captured, published, dropped, and the
//      stream's own message count.
// Every tool runs as its own child process, the target, the tap and nats-server too; rounds are
// interleaved and medians reported, as in bench/run.js. Results: a Markdown table on stdout,
// bench/results/tap-latest.{json,md}. Progress goes to stderr.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import {
  BENCH_DIR,
  CONTENDED_CORES,
  GRACE_MS,
  PARALLAX_BIN,
  PAUSE_MS,
  ROOT,
  cleanUpOnSignals,
  commandLine,
  contended,
  createContention,
  describeMachine,
  exitOnIssues,
  findWrk,
  flagReader,
  fmt,
  histogram,
  int,
  killChildren,
  logger,
  machineLine,
  measureWindow,
  median,
  packageVersion,
  perRoundText,
  requireBuiltCli,
  rotate,
  round3,
  runAutocannon,
  runMain,
  runTool,
  runWrk,
  sleep,
  startTarget,
  sum,
  track,
  uncontendedOr,
  versionOf,
  writeResults,
} from "./lib.js";

const SELF = fileURLToPath(import.meta.url);

/** The tap drains for up to 10 s and flushes for up to 10 s on SIGTERM (cli/src/commands/tap.ts); then it is killed. */
const TAP_STOP_MS = 25_000;
const TAP_START_MS = 15_000;
/** Requests sent through each path before a measured run: the tap is a fresh process each time, and its JIT is cold. */
const WARM_UP_REQUESTS = 1_000;
/** The µs client's own start-up: requests whose intended instant falls in this first stretch are sent but not recorded. */
const CLIENT_WARM_UP_S = 0.5;
/** The stream name the tap derives from --stream (transport's TRAFFIC_STREAM_PREFIX). */
const TRAFFIC_STREAM_PREFIX = "PARALLAX_TRAFFIC_";

/** The two requests: a GET, and a small JSON POST (a body the tap must capture, encode and publish). */
const GET_PATH = "/bench/items?id=42";
const POST_PATH = "/bench/orders";
const POST_BODY = '{"customer":"c-1042","items":[{"sku":"A-17","qty":2},{"sku":"B-3","qty":1}],"express":false}';

const HELP = `usage: node bench/tap.js [options]

  --quick              1 round, 3 s runs, no retries, no waiting for quiet (~45 s)
  --rounds <n>         rounds, interleaved; medians reported (default 3)
  --rate <r>           requests/s of the fixed-rate latency runs (default 500)
  --duration <s>       seconds per run (default 5)
  --connections <n>    connections of every client (default 10)
  --retries <n>        repeat a run during which other processes used > ${CONTENDED_CORES} cores, keeping
                       the least contended attempt; at most --max-retries in all (default 1, 3)
  --max-retries <n>
  --wait-quiet <s>     before a run, wait while other processes keep the machine busy; at most
                       this many seconds in all (default 30; 0: never wait)
  --no-wrk             skip wrk even when installed
  --out <dir>          where tap-latest.json / tap-latest.md go (default bench/results)
`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    connections: { type: "string" },
    retries: { type: "string" },
    "max-retries": { type: "string" },
    "wait-quiet": { type: "string" },
    "no-wrk": { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
    // Internal: this file, forked as the microsecond latency client (a JSON configuration).
    client: { type: "string" },
  },
});

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = logger("bench:tap");

/** Microseconds, 1 µs to 60 s, 3 significant digits. */
const microsHistogram = () => histogram(60_000_000);

/** p50/p90/p99/p99.9/max of a µs histogram, in ms. */
function percentilesMs(h) {
  if (h.totalCount === 0) return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const at = (p) => round3(h.getValueAtPercentile(p) / 1000);
  return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: round3(h.maxValue / 1000), mean: round3(h.mean / 1000) };
}

// ---------------------------------------------------------------------------------------------
// The microsecond client (this file, forked with --client): wrk2's method on undici.
//
// Requests leave at fixed intended instants, i/rate apart, GET and POST alternating, on a pool of
// `connections` keep-alive sockets, whether or not earlier ones have answered. Latency is taken
// from the intended instant to the last byte of the answer, so a stall that holds requests back
// shows in every request it delays (no coordinated omission); service time, from the moment
// undici writes the request to the last byte, is recorded too. Everything is in microseconds.
// The hot path reads performance.now(), bumps numbers and records values; the request options are
// built once.

class ClientExchange {
  constructor(run, kind, intended, dispatchedAt, recorded) {
    this.run = run;
    this.kind = kind;
    this.intended = intended;
    this.dispatchedAt = dispatchedAt;
    this.recorded = recorded;
    this.writtenAt = dispatchedAt;
    this.status = 0;
  }
  onRequestStart() {
    // undici calls this just before it writes the request on a socket (client-h1 writeH1).
    this.writtenAt = performance.now();
  }
  onResponseStart(_controller, statusCode) {
    if (statusCode >= 200) this.status = statusCode;
  }
  onResponseData() {}
  onResponseEnd() {
    this.run.settled(this, performance.now(), false);
  }
  onResponseError() {
    this.run.settled(this, performance.now(), true);
  }
}

async function clientMain(config) {
  const { url, rate, connections, durationS } = config;
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 120_000 });
  const body = Buffer.from(POST_BODY);
  const kinds = [
    { name: "GET", options: { method: "GET", path: GET_PATH, headers: ["accept", "application/json"] } },
    { name: "POST", options: { method: "POST", path: POST_PATH, headers: ["accept", "application/json", "content-type", "application/json", "content-length", String(body.length)], body } },
  ];
  for (const k of kinds) {
    k.latency = microsHistogram();
    k.service = microsHistogram();
    k.responses = 0;
    k.errors = 0;
    k.non2xx = 0;
  }
  const lag = microsHistogram();
  const total = Math.round(rate * durationS);
  const warmUp = Math.round(rate * CLIENT_WARM_UP_S);
  const intervalMs = 1000 / rate;
  let sent = 0;
  let settledCount = 0;
  let onAllSettled;
  const allSettled = new Promise((resolve) => (onAllSettled = resolve));

  const run = {
    settled(x, at, failed) {
      const k = x.kind;
      if (failed) k.errors++;
      else if (x.status < 200 || x.status > 299) k.non2xx++;
      else {
        k.responses++;
        if (x.recorded) {
          k.latency.recordValue(Math.max(1, Math.round((at - x.intended) * 1000)));
          k.service.recordValue(Math.max(1, Math.round((at - x.writtenAt) * 1000)));
        }
      }
      if (++settledCount === total) onAllSettled();
    },
  };

  // Starts on a whole timer tick after the pool is built; the first request opens its socket.
  const start = performance.now() + 20;
  const tick = () => {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) {
      const intended = start + sent * intervalMs;
      const kind = kinds[sent % 2];
      const recorded = sent >= warmUp;
      if (recorded) lag.recordValue(Math.max(1, Math.round((now - intended) * 1000)));
      pool.dispatch(kind.options, new ClientExchange(run, kind, intended, now, recorded));
      sent++;
    }
    if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
  };
  setTimeout(tick, 20);

  const deadline = new Promise((resolve) => setTimeout(resolve, durationS * 1000 + 10_000, "timeout").unref());
  const ended = await Promise.race([allSettled.then(() => "done"), deadline]);
  const elapsedS = (performance.now() - start) / 1000;
  await pool.destroy().catch(() => {});

  const both = microsHistogram();
  const bothService = microsHistogram();
  for (const k of kinds) {
    both.add(k.latency);
    bothService.add(k.service);
  }
  const out = {
    rate,
    connections,
    durationS,
    elapsedS: round3(elapsedS),
    planned: total,
    sent,
    unrecordedWarmUp: warmUp,
    responses: sum(kinds.map((k) => k.responses)),
    errors: sum(kinds.map((k) => k.errors)),
    non2xx: sum(kinds.map((k) => k.non2xx)),
    unanswered: total - settledCount,
    endedBy: ended,
    lagMs: percentilesMs(lag),
    all: { latencyMs: percentilesMs(both), serviceMs: percentilesMs(bothService) },
    byMethod: Object.fromEntries(kinds.map((k) => [k.name, { responses: k.responses, errors: k.errors, non2xx: k.non2xx, latencyMs: percentilesMs(k.latency), serviceMs: percentilesMs(k.service) }])),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Options (the bench itself)

function validateOptions(f) {
  const read = flagReader();
  const o = {
    rounds: read.int("rounds", f.rounds, f.quick ? 1 : 3, 1),
    rate: read.int("rate", f.rate, 500, 1),
    durationS: read.int("duration", f.duration, f.quick ? 3 : 5, 2),
    connections: read.int("connections", f.connections, 10, 1),
    retries: read.int("retries", f.retries, f.quick ? 0 : 1, 0),
    maxRetries: read.int("max-retries", f["max-retries"], 3, 0),
    waitQuietS: read.num("wait-quiet", f["wait-quiet"], f.quick ? 0 : 30, 0),
    wrk: !f["no-wrk"],
    outDir: path.resolve(f.out ?? path.join(BENCH_DIR, "results")),
  };
  exitOnIssues(read.issues, HELP);
  return o;
}

let options;
let contention;

// ---------------------------------------------------------------------------------------------
// Child processes: nats-server and the tap (the target and the tools: lib.js)

/** A free loopback port (racy: the caller retries when another process takes it first); never 4222. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => (port === 4222 ? freePort().then(resolve, reject) : resolve(port)));
    });
  });
}

function natsServerBinary() {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, "nats-server"))) return path.join(dir, "nats-server");
  }
  return null;
}

/**
 * Our own nats-server with JetStream, on random loopback ports, storing in a temporary dir; its
 * HTTP monitoring port tells each stream's message count (/jsz), an account kept apart from the tap's.
 */
async function startNats(binary, storeDir) {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const monitorPort = await freePort();
    if (monitorPort === port) continue;
    const child = track(spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort), "-js", "-sd", storeDir], { stdio: ["ignore", "ignore", "pipe"] }));
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const monitor = `http://127.0.0.1:${monitorPort}`;
    const deadline = Date.now() + 10_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${monitor}/healthz?js-enabled=true`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) {
          ready = true;
          break;
        }
      } catch {
        // not yet
      }
      await sleep(100);
    }
    if (!ready) {
      lastError = new Error(`nats-server on 127.0.0.1:${port} did not become ready: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
      child.kill("SIGKILL");
      continue;
    }
    const streamMessages = async (name) => {
      const res = await fetch(`${monitor}/jsz?accounts=true&streams=true`, { signal: AbortSignal.timeout(5_000) });
      const jsz = await res.json();
      const streams = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
      const s = streams.find((x) => x.name === `${TRAFFIC_STREAM_PREFIX}${name}`);
      return s ? s.state.messages : null;
    };
    const close = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    };
    return { url: `nats://127.0.0.1:${port}`, port, pid: child.pid, streamMessages, close };
  }
  throw lastError ?? new Error("nats-server did not start");
}

const SUMMARY = {
  stopped: /parallax tap stopped: (\d+) requests, (\d+) forwarded to production \((\d+) failed there\), (\d+) rejected, (\d+) abandoned/,
  captured: /captured (\d+) \(skipped: (\d+) replayed by Parallax, (\d+) not recordable\)/,
  published: /published (\d+) to "[^"]*": (\d+) dropped \(queue full\), (\d+) failed, (\d+) cut to fit a message(?:, (\d+) still unacknowledged at exit)?/,
};

/** Parses the summary the tap prints on stderr when it stops; null fields when a line is missing. */
function parseTapSummary(stderr) {
  const s = SUMMARY.stopped.exec(stderr);
  const c = SUMMARY.captured.exec(stderr);
  const p = SUMMARY.published.exec(stderr);
  const n = (m, i) => (m ? Number(m[i] ?? 0) : null);
  return {
    requests: n(s, 1),
    forwarded: n(s, 2),
    upstreamErrors: n(s, 3),
    rejected: n(s, 4),
    aborted: n(s, 5),
    captured: n(c, 1),
    replaySkipped: n(c, 2),
    uncapturable: n(c, 3),
    published: n(p, 1),
    dropped: n(p, 2),
    failed: n(p, 3),
    shrunk: n(p, 4),
    unacknowledged: n(p, 5),
  };
}

/** `parallax tap` in its own process, in front of the target, publishing to `stream`. */
async function startTap(target, nats, stream) {
  const started = performance.now();
  const args = [PARALLAX_BIN, "tap", "--listen", "127.0.0.1:0", "--upstream", target.url, "--nats", nats.url, "--stream", stream, "--retain", "1h"];
  const child = track(spawn("node", args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } }));
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the tap did not listen within ${TAP_START_MS / 1000} s: ${stderr.slice(-600)}`)), TAP_START_MS);
    const onData = () => {
      const m = /parallax tap listening (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr.off("data", onData);
        resolve(m[1]);
      }
    };
    child.stderr.on("data", onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the tap exited before listening (${code ?? signal}): ${stderr.slice(-600)}`));
    });
  });
  const startS = (performance.now() - started) / 1000;
  const stop = async () => {
    const t0 = performance.now();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), TAP_STOP_MS);
    const { code, signal } = await exited;
    clearTimeout(timer);
    return { exitCode: code, signal, stopS: round3((performance.now() - t0) / 1000), startS: round3(startS), stderr, ...parseTapSummary(stderr) };
  };
  return { url, pid: child.pid, stop };
}

// ---------------------------------------------------------------------------------------------
// The tools: the µs client, autocannon (at a fixed rate and closed), wrk

function usClient(url) {
  return async () => {
    const config = { url, rate: options.rate, connections: options.connections, durationS: options.durationS };
    const res = await runTool("node", [SELF, "--client", JSON.stringify(config)], options.durationS * 1000 + GRACE_MS);
    let j;
    try {
      j = JSON.parse(res.stdout);
    } catch {
      throw new Error(`the latency client printed no JSON (exit ${res.code}${res.timedOut ? ", timed out" : ""}): ${res.stderr.slice(-400)}`);
    }
    return {
      exitCode: res.code,
      sent: j.sent,
      responses: j.responses,
      errors: j.errors + j.non2xx + j.unanswered,
      durationS: options.durationS,
      rps: j.responses / j.elapsedS,
      latencyMs: j.all.latencyMs,
      client: j,
      toolCpuS: res.cpuS,
      wallS: res.wallS,
    };
  };
}

/** autocannon -j; `rate` set: -R (overall rate) with -C, else closed loop. */
function autocannonRun(url, method, rate) {
  return async () => {
    const args = [];
    if (rate !== undefined) args.push("-R", String(rate), "-C");
    if (method === "POST") args.push("-m", "POST", "-H", "content-type=application/json", "-b", POST_BODY);
    const { exitCode, ...rest } = await runAutocannon(`${url}${method === "POST" ? POST_PATH : GET_PATH}`, options.connections, options.durationS, args);
    // sent: null, not requests.sent (kept as reportedSent): with -R, autocannon adds each
    // connection's whole per-second share to it when the connection is built (lib/run.js), so it
    // overstates what went out; the checks use responses, with one request per connection of slack.
    return { exitCode, sent: null, ...rest };
  };
}

/** wrk -t1, GET only (as the brief's `wrk -t1 -c10 -d5s URL`); Requests/sec parsed from its text. */
function wrkRun(url) {
  return async () => {
    const { exitCode, ...rest } = await runWrk(`${url}${GET_PATH}`, options.connections, options.durationS);
    return { exitCode, sent: null, ...rest };
  };
}

/**
 * Sends WARM_UP_REQUESTS (GET and POST alternating, `connections` at a time) from this process,
 * outside any measured window; returns how many were sent and answered. Through a fresh tap
 * this also warms its publisher and its connection to the stream.
 */
async function warmUp(url) {
  const pool = new Pool(url, { connections: options.connections, pipelining: 1 });
  let next = 0;
  let answered = 0;
  const worker = async () => {
    while (next < WARM_UP_REQUESTS) {
      const i = next++;
      const res = await pool.request(
        i % 2 === 0
          ? { method: "GET", path: GET_PATH }
          : { method: "POST", path: POST_PATH, headers: { "content-type": "application/json" }, body: POST_BODY },
      );
      await res.body.dump();
      if (res.statusCode === 200) answered++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  await pool.close();
  return { sent: WARM_UP_REQUESTS, answered };
}

// ---------------------------------------------------------------------------------------------
// One run on one path, measured

let streamCounter = 0;

/**
 * One run on one path: for "tap", a fresh tap (and stream) in front of the target; the warm-up;
 * the tool, between two samples of every process's CPU; then, for "tap", SIGTERM and its summary,
 * and the stream's own message count.
 */
async function runOnce(ctx, pathName, makeTool) {
  const { target, nats } = ctx;
  const targetBefore = await target.stats();
  let tap;
  const stream = `bench_${++streamCounter}`;
  if (pathName === "tap") tap = await startTap(target, nats, stream);
  try {
    const url = tap ? tap.url : target.url;
    const warm = await warmUp(url);
    // Lets the tap publish the warm-up's exchanges before the window opens (both paths wait alike).
    await sleep(PAUSE_MS);
    const w = await measureWindow(target, makeTool(url), tap ? [nats.pid, tap.pid] : [nats.pid]);
    const { result, wallS } = w;
    const [natsCpuS, tapCpuS] = w.pidsCpuS;
    const run = {
      path: pathName,
      ...result,
      warmUp: warm,
      server: { answered: w.after.answered - w.before.answered, cpuCores: round3(w.targetCpuS / wallS) },
      tapCpuCores: tap ? round3(tapCpuS === null ? null : tapCpuS / wallS) : null,
      tapCpuMicrosPerRequest: tap && tapCpuS !== null ? round3((tapCpuS * 1e6) / result.responses) : null,
      natsCpuCores: round3(natsCpuS === null ? null : natsCpuS / wallS),
      natsCpuMicrosPerRequest: tap && natsCpuS !== null ? round3((natsCpuS * 1e6) / result.responses) : null,
      clientCpuCores: round3(result.toolCpuS === null ? null : result.toolCpuS / wallS),
      foreignCores: w.foreignCores,
    };
    if (tap) {
      const stopped = await tap.stop();
      tap = undefined;
      const { stderr: tapStderr, ...summary } = stopped;
      const streamMessages = await nats.streamMessages(stream).catch(() => null);
      const targetAfter = await target.stats();
      run.tap = { stream, ...summary, streamMessages, targetAnswered: targetAfter.answered - targetBefore.answered };
      // Anything beyond the summary (warnings, errors) is kept: it explains a count that does not add up.
      const extra = tapStderr.split("\n").filter((l) => l && !/^(parallax tap | {2}publishing to | {2}captured | {2}published | {2}recorded )/.test(l));
      if (extra.length > 0) run.tap.log = extra.slice(0, 20);
    }
    return run;
  } finally {
    // A failed run must not leave its tap behind.
    if (tap) await tap.stop().catch(() => {});
  }
}

/** runOnce, repeated (within --retries and --max-retries) while other processes crowd the machine. */
async function measured(ctx, pathName, makeTool, label) {
  const { best, attempts } = await contention.leastContended(() => runOnce(ctx, pathName, makeTool), label);
  return { ...best, attempts: attempts.length, discarded: attempts.filter((a) => a !== best).map((a) => ({ foreignCores: a.foreignCores, tap: a.tap ?? null })) };
}

// ---------------------------------------------------------------------------------------------
// Aggregation

const PATHS = ["direct", "tap"];

function configurations(haveWrk) {
  return [
    { id: "latency", section: "latency", tool: "µs client", method: "GET+POST", label: `µs client, open model at ${options.rate}/s`, make: (url) => usClient(url) },
    { id: "autocannon-R", section: "fixedRate", tool: "autocannon -R", method: "GET", label: `autocannon -R ${options.rate}, GET`, make: (url) => autocannonRun(url, "GET", options.rate) },
    { id: "autocannon-GET", section: "throughput", tool: "autocannon", method: "GET", label: "autocannon closed, GET", make: (url) => autocannonRun(url, "GET") },
    { id: "autocannon-POST", section: "throughput", tool: "autocannon", method: "POST", label: "autocannon closed, POST", make: (url) => autocannonRun(url, "POST") },
    ...(haveWrk ? [{ id: "wrk-GET", section: "throughput", tool: "wrk", method: "GET", label: "wrk closed, GET", make: (url) => wrkRun(url) }] : []),
  ];
}

const PERCENTILES = ["p50", "p90", "p99", "max"];

/** Per path: medians, over the rounds used, of each percentile read by `pick`; the added latency is tap − direct of those medians. */
function latencyRows(runs, pick) {
  const rows = {};
  for (const p of PATHS) {
    const all = runs.filter((x) => x.path === p);
    const rs = uncontendedOr(all);
    rows[p] = { rounds: all.length, roundsUsed: rs.length, ...Object.fromEntries(PERCENTILES.map((q) => [q, round3(median(rs.map((x) => pick(x)?.[q])))])) };
  }
  rows.added = Object.fromEntries(PERCENTILES.map((q) => [q, rows.tap[q] === null || rows.direct[q] === null ? null : round3(rows.tap[q] - rows.direct[q])]));
  // Per round, too: direct and tap of one round ran seconds apart.
  rows.addedPerRound = Array.from({ length: options.rounds }, (_, r) => {
    const d = runs.find((x) => x.path === "direct" && x.round === r + 1);
    const t = runs.find((x) => x.path === "tap" && x.round === r + 1);
    if (!d || !t || !pick(d) || !pick(t)) return null;
    return { p50: round3(pick(t).p50 - pick(d).p50), p99: round3(pick(t).p99 - pick(d).p99), contended: contended(d) || contended(t) };
  });
  return rows;
}

function aggregate(config, runs) {
  const mine = runs.filter((x) => x.config === config.id);
  const m = (p, f) => round3(median(uncontendedOr(mine.filter((x) => x.path === p)).map(f)));
  const common = {
    id: config.id,
    tool: config.tool,
    method: config.method,
    rps: { direct: m("direct", (x) => x.rps), tap: m("tap", (x) => x.rps) },
    clientCpu: { direct: m("direct", (x) => x.clientCpuCores), tap: m("tap", (x) => x.clientCpuCores) },
    targetCpu: { direct: m("direct", (x) => x.server.cpuCores), tap: m("tap", (x) => x.server.cpuCores) },
    tapCpu: m("tap", (x) => x.tapCpuCores),
    tapCpuMicrosPerRequest: m("tap", (x) => x.tapCpuMicrosPerRequest),
    natsCpu: m("tap", (x) => x.natsCpuCores),
    natsCpuMicrosPerRequest: m("tap", (x) => x.natsCpuMicrosPerRequest),
    foreignCores: { direct: m("direct", (x) => x.foreignCores), tap: m("tap", (x) => x.foreignCores) },
    contendedRuns: mine.filter(contended).length,
  };
  if (config.section === "latency") {
    const methods = {};
    for (const method of ["GET", "POST", "all"]) {
      const pick = (x) => (method === "all" ? x.client.all : x.client.byMethod[method]);
      methods[method] = { latencyMs: latencyRows(mine, (x) => pick(x).latencyMs), serviceMs: latencyRows(mine, (x) => pick(x).serviceMs) };
    }
    return { ...common, methods, lagMs: { direct: m("direct", (x) => x.client.lagMs.p99), tap: m("tap", (x) => x.client.lagMs.p99) }, lagP50Ms: { direct: m("direct", (x) => x.client.lagMs.p50), tap: m("tap", (x) => x.client.lagMs.p50) } };
  }
  if (config.section === "fixedRate") return { ...common, latencyMs: latencyRows(mine, (x) => x.latencyMs) };
  const perRound = Array.from({ length: options.rounds }, (_, r) => {
    const d = mine.find((x) => x.path === "direct" && x.round === r + 1);
    const t = mine.find((x) => x.path === "tap" && x.round === r + 1);
    return d && t ? { ratio: round3(t.rps / d.rps), contended: contended(d) || contended(t) } : null;
  });
  return {
    ...common,
    ratio: common.rps.direct ? round3(common.rps.tap / common.rps.direct) : null,
    ratioPerRound: perRound,
    p50Ms: { direct: m("direct", (x) => x.latencyMs.p50), tap: m("tap", (x) => x.latencyMs.p50) },
    p99Ms: { direct: m("direct", (x) => x.latencyMs.p99), tap: m("tap", (x) => x.latencyMs.p99) },
  };
}

/** The tap's counts, summed over the runs kept (exact counts add; they are never averaged). */
function accounting(config, runs) {
  const taps = runs.filter((x) => x.config === config.id && x.path === "tap" && x.tap);
  const s = (f) => sum(taps.map(f));
  return {
    id: config.id,
    label: config.label,
    runs: taps.length,
    clientSent: taps.some((x) => x.sent === null) ? null : s((x) => x.sent + x.warmUp.sent),
    clientResponses: s((x) => x.responses + x.warmUp.answered),
    tapRequests: s((x) => x.tap.requests),
    forwarded: s((x) => x.tap.forwarded),
    targetAnswered: s((x) => x.tap.targetAnswered),
    aborted: s((x) => x.tap.aborted),
    upstreamErrors: s((x) => x.tap.upstreamErrors),
    captured: s((x) => x.tap.captured),
    published: s((x) => x.tap.published),
    dropped: s((x) => x.tap.dropped),
    failed: s((x) => x.tap.failed),
    unacknowledged: s((x) => x.tap.unacknowledged),
    streamMessages: taps.some((x) => x.tap.streamMessages === null) ? null : s((x) => x.tap.streamMessages),
    stopSMax: round3(Math.max(...taps.map((x) => x.tap.stopS))),
  };
}

// ---------------------------------------------------------------------------------------------
// Count checks: every figure traced to counts

function checks(runs) {
  const found = [];
  const slack = options.connections;
  for (const run of runs) {
    const where = `${run.config} ${run.path} round ${run.round}`;
    if (run.errors > 0) found.push(`${where}: ${run.errors} errors (failed, non-2xx or unanswered)`);
    if (run.config === "latency" && run.client.sent !== run.client.planned) found.push(`${where}: the client sent ${run.client.sent} of ${run.client.planned} planned requests`);
    // A closed-loop tool may leave a few requests unanswered at the end; more than the connections is a miscount.
    if (Math.abs(run.server.answered - run.responses) > slack) found.push(`${where}: the target answered ${run.server.answered}, the client counts ${run.responses} responses`);
    if (run.warmUp.answered !== run.warmUp.sent) found.push(`${where}: warm-up: ${run.warmUp.answered} of ${run.warmUp.sent} answered`);
    const t = run.tap;
    if (!t) continue;
    if (t.exitCode !== 0) found.push(`${where}: the tap exited with ${t.exitCode ?? t.signal}`);
    if (t.requests === null || t.published === null || t.captured === null) {
      found.push(`${where}: the tap's summary was not understood: ${(t.log ?? []).join(" | ")}`);
      continue;
    }
    const sent = run.sent === null ? run.responses : run.sent;
    const exact = run.config === "latency";
    const expected = sent + run.warmUp.sent;
    if (exact ? t.requests !== expected : Math.abs(t.requests - expected) > slack) found.push(`${where}: the tap counted ${t.requests} requests, the clients ${exact ? "sent" : "got answers to"} ${expected} (warm-up included)`);
    if (t.forwarded + t.rejected !== t.requests) found.push(`${where}: forwarded ${t.forwarded} + rejected ${t.rejected} ≠ requests ${t.requests}`);
    if (Math.abs(t.targetAnswered - t.forwarded) > t.aborted + t.upstreamErrors) found.push(`${where}: the target answered ${t.targetAnswered}, the tap forwarded ${t.forwarded}`);
    // No request here carries the replay marker, so every forwarded exchange ends captured, not recordable, or abandoned.
    if (t.captured + t.uncapturable + t.aborted !== t.forwarded - t.replaySkipped)
      found.push(`${where}: captured ${t.captured} + not recordable ${t.uncapturable} + abandoned ${t.aborted} ≠ forwarded ${t.forwarded}`);
    if (t.published + t.dropped + t.failed + t.unacknowledged !== t.captured) found.push(`${where}: published ${t.published} + dropped ${t.dropped} + failed ${t.failed} + unacknowledged ${t.unacknowledged} ≠ captured ${t.captured}`);
    if (t.streamMessages !== null && t.streamMessages !== t.published) found.push(`${where}: the stream holds ${t.streamMessages} messages, the tap says it published ${t.published}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const signed = (x, digits = 3) => (x === null || x === undefined ? "–" : `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`);

function markdown(result) {
  const m = result.machine;
  const o = result.options;
  const lines = [];
  lines.push(`# The tap's overhead — ${result.date}`, "");
  lines.push(machineLine(m, [m.natsServer]));
  lines.push(`Command: \`${result.command}\` · ${o.rounds} round(s), interleaved (direct and tap of one configuration back to back, order alternating); medians over the uncontended runs (all when none was); ${result.retriesUsed} contended run(s) repeated; ${result.waitedForQuietSeconds} s waiting for quiet · ${o.durationS} s per run, ${o.connections} connections · total ${result.totalSeconds} s.`, "");
  lines.push(`"direct": client → target. "tap": client → \`parallax tap\` → target, each exchange published to a JetStream stream (file storage) on a local nats-server. A fresh tap per run, warmed with ${WARM_UP_REQUESTS} requests before the measured window; client, target, tap and nats-server are separate processes sharing this machine.`, "");

  const lat = result.latency;
  if (lat) {
    lines.push(`## Latency at ${o.rate} req/s — open model, microsecond client`, "");
    lines.push(`GET \`${GET_PATH}\` and POST \`${POST_PATH}\` (${Buffer.byteLength(POST_BODY)}-byte JSON) alternating, ${o.connections} keep-alive connections. Latency from each request's intended send instant to the last byte of the answer (wrk2's definition: queueing behind a slow request counts), µs HdrHistograms, shown in ms; the first ${CLIENT_WARM_UP_S} s of each run is not recorded. Added = tap − direct of the medians.`, "");
    lines.push("| request | path | p50 ms | p90 ms | p99 ms | max ms | service p50 ms | service p99 ms | rounds used |");
    lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const method of ["GET", "POST", "all"]) {
      const l = lat.methods[method].latencyMs;
      const s = lat.methods[method].serviceMs;
      const name = method === "all" ? "both" : method;
      for (const p of PATHS) lines.push(`| ${name} | ${p === "tap" ? "through the tap" : "direct"} | ${fmt(l[p].p50, 3)} | ${fmt(l[p].p90, 3)} | ${fmt(l[p].p99, 3)} | ${fmt(l[p].max, 3)} | ${fmt(s[p].p50, 3)} | ${fmt(s[p].p99, 3)} | ${l[p].roundsUsed}/${l[p].rounds} |`);
      lines.push(`| ${name} | **added** | **${signed(l.added.p50)}** | **${signed(l.added.p90)}** | **${signed(l.added.p99)}** | ${signed(l.added.max)} | ${signed(s.added.p50)} | ${signed(s.added.p99)} | |`);
    }
    lines.push("");
    const all = lat.methods.all.latencyMs;
    lines.push(`Added per round (both methods; * = a contended run in that pair): p50 ${perRoundText(all.addedPerRound, (x) => signed(x.p50))} · p99 ${perRoundText(all.addedPerRound, (x) => signed(x.p99))} ms. The client's own send lag (its timer's lateness, included in the latency above): p50 ${fmt(lat.lagP50Ms.direct, 3)} / ${fmt(lat.lagP50Ms.tap, 3)} ms, p99 ${fmt(lat.lagMs.direct, 3)} / ${fmt(lat.lagMs.tap, 3)} ms (direct / tap). Service time: from the moment undici writes the request. CPU during these runs: tap ${fmt(lat.tapCpu)} cores (${fmt(lat.tapCpuMicrosPerRequest, 1)} µs/request), nats-server ${fmt(lat.natsCpu)} cores (${fmt(lat.natsCpuMicrosPerRequest, 1)} µs/request), target ${fmt(lat.targetCpu.direct)} / ${fmt(lat.targetCpu.tap)}.`, "");
  }

  const fr = result.fixedRate;
  if (fr) {
    lines.push(`## Latency at ${o.rate} req/s — autocannon -R (whole milliseconds)`, "");
    lines.push(`\`autocannon -c ${o.connections} -R ${o.rate} -C\`, GET. autocannon records whole milliseconds, and its rate limit lets each connection send its share of a second back to back, then idle: this is closed-loop service time in bursts, not latency at a steady ${o.rate}/s. -C keeps the raw samples (without it autocannon back-fills synthetic ones at a 1 ms interval).`, "");
    lines.push("| path | p50 ms | p90 ms | p99 ms | max ms | req/s | rounds used |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|");
    const l = fr.latencyMs;
    for (const p of PATHS) lines.push(`| ${p === "tap" ? "through the tap" : "direct"} | ${fmt(l[p].p50)} | ${fmt(l[p].p90)} | ${fmt(l[p].p99)} | ${fmt(l[p].max)} | ${int(fr.rps[p])} | ${l[p].roundsUsed}/${l[p].rounds} |`);
    lines.push(`| **added** | ${signed(l.added.p50, 2)} | ${signed(l.added.p90, 2)} | ${signed(l.added.p99, 2)} | ${signed(l.added.max, 2)} | | |`);
    lines.push("");
  }

  if (result.throughput.length > 0) {
    lines.push(`## Throughput — closed loop, ${o.connections} connections, ${o.durationS} s`, "");
    lines.push(`req/s = responses / duration as the client counts them. CPU in cores (1.00 = one core busy), during the tap runs unless marked; µs/req = CPU time per response. Other load: cores used by processes outside the bench (a run above ${CONTENDED_CORES} is contended).`, "");
    lines.push("| tool | request | direct req/s | tap req/s | **tap / direct** | per round | p99 ms direct / tap | tap CPU | tap µs/req | nats-server CPU | nats µs/req | target CPU direct / tap | client CPU | other load |");
    lines.push("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const t of result.throughput) {
      lines.push(`| ${t.tool} | ${t.method} | ${int(t.rps.direct)} | ${int(t.rps.tap)} | **${fmt(t.ratio)}** | ${perRoundText(t.ratioPerRound, (x) => fmt(x.ratio))} | ${fmt(t.p99Ms.direct)} / ${fmt(t.p99Ms.tap)} | ${fmt(t.tapCpu)} | ${fmt(t.tapCpuMicrosPerRequest, 1)} | ${fmt(t.natsCpu)} | ${fmt(t.natsCpuMicrosPerRequest, 1)} | ${fmt(t.targetCpu.direct)} / ${fmt(t.targetCpu.tap)} | ${fmt(t.clientCpu.tap)} | ${fmt(t.foreignCores.direct)} / ${fmt(t.foreignCores.tap)} |`);
    }
    lines.push("");
  }

  lines.push("## The tap's accounting", "");
  lines.push(`Summed over the tap runs kept (warm-up included). "client answered": responses the clients counted (a closed-loop client cuts its last requests in flight when it stops: the tap counts those as abandoned). "tap requests" … "dropped" are the tap's own summary on SIGTERM; "in stream" is the stream's message count from nats-server (/jsz); "stop s": longest SIGTERM-to-exit (the tap drains, then waits for every publish to be acknowledged).`, "");
  lines.push("| configuration | runs | client answered | tap requests | forwarded | target answered | abandoned | captured | published | **dropped** | failed | in stream | stop s |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const a of result.accounting) {
    lines.push(`| ${a.label} | ${a.runs} | ${int(a.clientResponses)} | ${int(a.tapRequests)} | ${int(a.forwarded)} | ${int(a.targetAnswered)} | ${int(a.aborted)} | ${int(a.captured)} | ${int(a.published)} | **${int(a.dropped)}** | ${int(a.failed)} | ${int(a.streamMessages)} | ${fmt(a.stopSMax)} |`);
  }
  lines.push("");
  if (result.notes.length > 0) {
    lines.push("## Notes", "");
    for (const n of result.notes) lines.push(`- ${n}`);
    lines.push("");
  }
  lines.push(result.checks.length > 0 ? "## Count checks that failed\n" : "All count checks passed: tap requests = what the clients sent, forwarded = what the target answered, captured = published + dropped + failed, published = the stream's message count.\n");
  for (const c of result.checks) lines.push(`- ${c}`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  options = validateOptions(flags);
  contention = createContention(options, log);
  const started = performance.now();
  requireBuiltCli();
  const natsBinary = natsServerBinary();
  if (natsBinary === null) {
    process.stderr.write("nats-server not found: put it on PATH or set NATS_SERVER_BIN\n");
    process.exit(2);
  }
  const notes = [];
  const wrkVersion = findWrk(options.wrk);
  const haveWrk = wrkVersion !== null;
  if (!options.wrk) notes.push("wrk skipped (--no-wrk).");
  else if (!haveWrk) notes.push("wrk not found on PATH: its row is skipped (`apt-get install -y wrk`).");

  const machine = {
    ...describeMachine(),
    undici: packageVersion("node_modules/undici"),
    wrk: wrkVersion,
    natsServer: `nats-server ${(versionOf(natsBinary, ["--version"]) ?? "?").replace(/^nats-server:\s*/, "")}`,
    parallax: packageVersion("packages/cli"),
  };

  const tmp = mkdtempSync(path.join(os.tmpdir(), "parallax-bench-tap-"));
  const cleanup = async () => {
    killChildren();
    rmSync(tmp, { recursive: true, force: true });
  };
  cleanUpOnSignals(cleanup);

  const runs = [];
  const configs = configurations(haveWrk);
  let target;
  let nats;
  try {
    target = await startTarget();
    nats = await startNats(natsBinary, path.join(tmp, "jetstream"));
    log(`target ${target.url} (pid ${target.pid}); nats-server ${nats.url} (pid ${nats.pid})`);
    const ctx = { target, nats };
    for (let r = 0; r < options.rounds; r++) {
      for (const config of rotate(configs, r)) {
        for (const p of r % 2 === 0 ? PATHS : [...PATHS].reverse()) {
          log(`round ${r + 1}/${options.rounds} · ${config.label} · ${p} · ${options.durationS} s`);
          const run = await measured(ctx, p, config.make, `${config.id} ${p}`);
          runs.push({ config: config.id, round: r + 1, ...run });
          await sleep(PAUSE_MS);
        }
      }
    }
  } finally {
    await target?.close().catch(() => {});
    await nats?.close().catch(() => {});
    await cleanup();
  }

  const byId = (id) => configs.find((c) => c.id === id);
  const latency = byId("latency") ? aggregate(byId("latency"), runs) : null;
  const fixedRate = byId("autocannon-R") ? aggregate(byId("autocannon-R"), runs) : null;
  const throughput = configs.filter((c) => c.section === "throughput").map((c) => aggregate(c, runs));
  const acc = configs.map((c) => accounting(c, runs));
  const allChecks = checks(runs);
  for (const a of acc) {
    if (a.dropped > 0) notes.push(`${a.label}: the tap dropped ${int(a.dropped)} of ${int(a.captured)} captured exchanges (its publish queue was full): at that rate the publisher could not keep up with the stream.`);
    if (a.failed > 0) notes.push(`${a.label}: ${int(a.failed)} publishes failed (not acknowledged by the stream).`);
    if (a.upstreamErrors > 0) notes.push(`${a.label}: the tap counted ${int(a.upstreamErrors)} upstream errors.`);
  }
  for (const t of throughput) {
    if ((t.targetCpu.direct ?? 0) > 0.9) notes.push(`${t.tool} ${t.method}: the target used ${fmt(t.targetCpu.direct)} cores direct — the single-process target, not only the client, limits the direct figure.`);
  }
  if (latency && ((latency.lagMs.direct ?? 0) > 2 || (latency.lagMs.tap ?? 0) > 2))
    notes.push(`The latency client's own send lag p99 was ${fmt(latency.lagMs.direct, 3)} ms direct and ${fmt(latency.lagMs.tap, 3)} ms through the tap: part of each tail is the client's timer, and its larger lag through the tap is the tap and nats-server taking CPU from it on this machine's ${os.cpus().length} cores.`);
  for (const t of throughput) {
    if ((t.tapCpu ?? 0) > 0.9) notes.push(`${t.tool} ${t.method}: the tap used ${fmt(t.tapCpu)} cores, its one event loop saturated: the closed-loop ratio is set by the tap's CPU per request (${fmt(t.tapCpuMicrosPerRequest, 1)} µs here), not by the target.`);
  }

  const result = {
    date: new Date().toISOString(),
    command: commandLine("bench/tap.js"),
    machine,
    options: { ...options, outDir: undefined, warmUpRequests: WARM_UP_REQUESTS, clientWarmUpS: CLIENT_WARM_UP_S, getPath: GET_PATH, postPath: POST_PATH, postBody: POST_BODY },
    totalSeconds: Math.round((performance.now() - started) / 1000),
    retriesUsed: contention.retriesUsed(),
    waitedForQuietSeconds: contention.waitedForQuietSeconds(),
    latency,
    fixedRate,
    throughput,
    accounting: acc,
    checks: allChecks,
    notes,
    runs,
  };
  const md = markdown(result);
  writeResults(options.outDir, "tap-latest", result, md, log);
}

// Last, once every declaration above is initialised: this file is both the bench and its latency client.
if (flags.client !== undefined) {
  runMain(() => clientMain(JSON.parse(flags.client)), "latency client");
} else if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
} else {
  runMain(main, "bench");
}
