// What bench/run.js and bench/tap.js share: child processes (the target, the tools), CPU and
// contention accounting on a shared machine, medians, and the plumbing of a bench's result files.
import { execFileSync, fork, spawn } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import hdr from "hdr-histogram-js";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, "..");
export const PARALLAX_BIN = path.join(ROOT, "packages/cli/bin/parallax.js");
const PARALLAX_DIST = path.join(ROOT, "packages/cli/dist/index.js");
const AUTOCANNON_BIN = path.join(ROOT, "node_modules/autocannon/autocannon.js");
const TARGET_SCRIPT = path.join(BENCH_DIR, "target.js");

/** Any tool that outlives its duration by this much is killed: traffic stays bounded in time. */
export const GRACE_MS = 45_000;
/** Between two runs: lets sockets and the target's event loop settle. */
export const PAUSE_MS = 400;
/** Above this many cores used by processes outside the bench, a run counts as contended. */
export const CONTENDED_CORES = 0.25;

// ---------------------------------------------------------------------------------------------
// Small helpers

/** A progress logger to stderr, each line tagged `[tag]`. */
export const logger = (tag) => (line) => process.stderr.write(`[${tag}] ${line}\n`);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const round3 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 1000) / 1000);
/** Sum, a missing value counting 0. */
export const sum = (xs) => xs.reduce((s, x) => s + (x ?? 0), 0);

/** Median of the finite numbers in xs; null when there are none. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Rotates the list by r, so that no configuration always runs first (or last) in a round. */
export const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);

/** An HdrHistogram from 1 to highestTrackableValue, 3 significant digits, pure JS. */
export function histogram(highestTrackableValue) {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue, numberOfSignificantValueDigits: 3, bitBucketSize: 64, useWebAssembly: false });
}

/**
 * Reads numeric flags, collecting every problem (`--rate must be an integer >= 1, got x`) in
 * `issues` rather than stopping at the first; an absent flag takes its fallback.
 */
export function flagReader() {
  const issues = [];
  const int = (name, raw, fallback, min) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) issues.push(`--${name} must be an integer >= ${min}, got ${raw}`);
    return n;
  };
  const num = (name, raw, fallback, min) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) issues.push(`--${name} must be a number >= ${min}, got ${raw}`);
    return n;
  };
  return { issues, int, num };
}

/** With any issues, prints them and the usage text, and exits 2. */
export function exitOnIssues(issues, help) {
  if (issues.length === 0) return;
  process.stderr.write(`${issues.join("\n")}\n\n${help}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc; null elsewhere)

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name; [0] is field 3 (state). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * CPU seconds of this process's reaped children (cutime + cstime, fields 16 and 17). Read before
 * and after a tool runs, it gives that tool's CPU time, without sampling.
 */
function childrenCpuSeconds() {
  try {
    const f = statFields("self");
    return (Number(f[13]) + Number(f[14])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds a live process has used so far (utime + stime): a server, sampled around a run. */
function processCpuSeconds(pid) {
  if (pid === undefined) return null;
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine, all cores (/proc/stat). */
function machineBusySeconds() {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** Children still running, killed by killChildren if the bench stops early. */
const live = new Set();

/** Registers a child with killChildren; returns it. */
export function track(child) {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running. */
export function killChildren() {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** Runs a command to completion, bounded in time; returns its output, exit code and CPU time. */
export function runTool(command, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuSeconds();
    const started = performance.now();
    const child = track(spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } }));
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const cpuAfter = childrenCpuSeconds();
      resolve({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        wallS: (performance.now() - started) / 1000,
        cpuS: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
      });
    });
  });
}

/** bench/target.js in its own process, answering after delayMs: its port, and its stats over IPC. */
export async function startTarget(delayMs = 0) {
  const child = track(fork(TARGET_SCRIPT, ["--delay-ms", String(delayMs)], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("target did not start within 10 s")), 10_000);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`target exited early (code ${code})`)));
    child.on("message", function onMessage(m) {
      if (m?.type === "listening") {
        clearTimeout(timer);
        child.off("message", onMessage);
        resolve(m.port);
      }
    });
  });
  let nextId = 0;
  const stats = () =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error("target did not report its stats")), 5_000);
      child.on("message", function onMessage(m) {
        if (m?.type === "stats" && m.id === id) {
          clearTimeout(timer);
          child.off("message", onMessage);
          resolve(m);
        }
      });
      child.send({ type: "stats", id });
    });
  const close = async () => {
    child.removeAllListeners("exit");
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.send({ type: "close" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  };
  return { url: `http://127.0.0.1:${port}`, port, delayMs, stats, close, pid: child.pid };
}

// ---------------------------------------------------------------------------------------------
// The closed-loop tools, in one shape: { exitCode, responses, errors, durationS, rps, latencyMs, toolCpuS, wallS }

/**
 * autocannon -j with `connections` for `durationS` against url; extraArgs go before the url (-R,
 * -m, -b …). Adds reportedSent: autocannon's own requests.sent.
 */
export async function runAutocannon(url, connections, durationS, extraArgs = []) {
  const res = await runTool("node", [AUTOCANNON_BIN, "-c", String(connections), "-d", String(durationS), "-j", ...extraArgs, url], durationS * 1000 + GRACE_MS);
  let j;
  try {
    j = JSON.parse(res.stdout);
  } catch {
    throw new Error(`autocannon printed no JSON (exit ${res.code}): ${res.stderr.slice(-400)}`);
  }
  return {
    exitCode: res.code,
    reportedSent: j.requests.sent,
    responses: j.requests.total,
    errors: (j.errors ?? 0) + (j.non2xx ?? 0),
    durationS: j.duration,
    rps: j.requests.total / j.duration,
    latencyMs: { p50: j.latency.p50, p90: j.latency.p90, p99: j.latency.p99, max: j.latency.max, mean: j.latency.mean },
    toolCpuS: res.cpuS,
    wallS: res.wallS,
  };
}

/** wrk prints durations as 812.00us, 1.26ms, 1.02s or 2.00m. */
function wrkDurationMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60_000 }[m[2]];
}

/** wrk -t1 --latency with `connections` for `durationS` against url; figures parsed from its text. */
export async function runWrk(url, connections, durationS) {
  const res = await runTool("wrk", ["-t1", `-c${connections}`, `-d${durationS}s`, "--latency", url], durationS * 1000 + GRACE_MS);
  const out = res.stdout;
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (res.code !== 0 || !total || !rps) throw new Error(`wrk output not understood (exit ${res.code}): ${out.slice(0, 400)} ${res.stderr.slice(0, 400)}`);
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(out);
    return m ? wrkDurationMs(m[1]) : null;
  };
  const max = /^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    exitCode: res.code,
    responses: Number(total[1]),
    errors: (socketErrors ? socketErrors.slice(1).reduce((s, x) => s + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
    durationS: wrkDurationMs(`${total[2]}${total[3]}`) / 1000,
    rps: Number(rps[1]),
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: max ? wrkDurationMs(max[1]) : null },
    toolCpuS: res.cpuS,
    wallS: res.wallS,
  };
}

// ---------------------------------------------------------------------------------------------
// Contention: a shared machine's other load, measured around each run

/**
 * Runs fn (whose result carries the tool's `toolCpuS`) between two samples of the target's stats,
 * the CPU of the processes `pids` (a tap, a nats-server), this script's and the whole machine's.
 * Returns fn's result, both target samples, the window's wall and CPU seconds, and foreignCores:
 * cores used meanwhile by processes other than the tool, the target, `pids` and this script. On a
 * shared machine that is what explains an outlier.
 */
export async function measureWindow(target, fn, pids = []) {
  const busyBefore = machineBusySeconds();
  const selfBefore = process.cpuUsage();
  const pidsBefore = pids.map(processCpuSeconds);
  const before = await target.stats();
  const result = await fn();
  const after = await target.stats();
  const pidsAfter = pids.map(processCpuSeconds);
  const self = process.cpuUsage(selfBefore);
  const busyAfter = machineBusySeconds();
  const wallS = (after.at - before.at) / 1000;
  const targetCpuS = (after.cpuMicros - before.cpuMicros) / 1e6;
  const pidsCpuS = pids.map((_, i) => (pidsBefore[i] === null || pidsAfter[i] === null ? null : pidsAfter[i] - pidsBefore[i]));
  const known = [result.toolCpuS, targetCpuS, ...pidsCpuS];
  const foreign =
    busyBefore === null || busyAfter === null || known.some((x) => x === null)
      ? null
      : Math.max(0, (busyAfter - busyBefore - sum(known) - (self.user + self.system) / 1e6) / wallS);
  return { result, before, after, wallS, targetCpuS, pidsCpuS, foreignCores: round3(foreign) };
}

export const contended = (run) => (run.foreignCores ?? 0) > CONTENDED_CORES;
/** The rounds a median is taken over: the uncontended ones, or all of them when every one was contended. */
export const uncontendedOr = (rs) => (rs.some((x) => !contended(x)) ? rs.filter((x) => !contended(x)) : rs);

/**
 * The --wait-quiet and --retries policy of one bench: before a run, wait (within waitQuietS in all)
 * while the machine is busy; after a contended run, run again (at most `retries` times a run and
 * maxRetries in all) and keep the least contended attempt.
 */
export function createContention({ waitQuietS, retries, maxRetries }, log) {
  let quietBudgetMs = waitQuietS * 1000;
  let waitedMs = 0;
  let retriesLeft = maxRetries;

  /** Waits (within the --wait-quiet budget) until the machine, bench idle, is below CONTENDED_CORES busy. */
  async function waitForQuiet() {
    for (;;) {
      const before = machineBusySeconds();
      const t0 = performance.now();
      await sleep(500);
      const after = machineBusySeconds();
      const elapsed = performance.now() - t0;
      if (before === null || after === null) return;
      const busy = (after - before) / (elapsed / 1000);
      if (busy <= CONTENDED_CORES || quietBudgetMs <= 0) return;
      log(`  machine busy (${busy.toFixed(2)} cores used by others); waiting for quiet (${Math.round(quietBudgetMs / 1000)} s of waiting left)`);
      const pause = Math.min(2_000, quietBudgetMs);
      await sleep(pause);
      quietBudgetMs -= pause + elapsed;
      waitedMs += pause + elapsed;
    }
  }

  /** runOnce (whose result has foreignCores), repeated while contended; { best, attempts }. */
  async function leastContended(runOnce, label) {
    await waitForQuiet();
    const attempts = [await runOnce()];
    for (let i = 0; i < retries && retriesLeft > 0 && contended(attempts.at(-1)); i++) {
      retriesLeft--;
      log(`  ${label}: other processes used ${attempts.at(-1).foreignCores} cores meanwhile; once more`);
      await sleep(PAUSE_MS);
      await waitForQuiet();
      attempts.push(await runOnce());
    }
    const best = attempts.reduce((a, b) => ((b.foreignCores ?? 0) < (a.foreignCores ?? 0) ? b : a));
    return { best, attempts };
  }

  return {
    leastContended,
    retriesUsed: () => maxRetries - retriesLeft,
    waitedForQuietSeconds: () => Math.round(waitedMs / 1000),
  };
}

// ---------------------------------------------------------------------------------------------
// The machine, and a bench's start and end

/** The first line a command prints (on stdout or stderr, whatever its exit code); null if it does not run. */
export function versionOf(command, args) {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0].trim();
  } catch (e) {
    // wrk -v exits 1 after printing its version.
    const text = `${e.stdout ?? ""}${e.stderr ?? ""}`.split("\n")[0].trim();
    return text || null;
  }
}

/** wrk's version line when `wanted` and wrk is on PATH; else null. */
export function findWrk(wanted) {
  const version = wanted ? versionOf("wrk", ["-v"]) : null;
  return version !== null && version.startsWith("wrk") ? version : null;
}

/** The version in <ROOT>/<dir>/package.json. */
export const packageVersion = (dir) => JSON.parse(readFileSync(path.join(ROOT, dir, "package.json"), "utf8")).version;

/** This machine, Node and autocannon, for a result's `machine`. */
export function describeMachine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg(),
    autocannon: packageVersion("node_modules/autocannon"),
  };
}

/** The report's `Machine: …` line; `extra` (e.g. nats-server's version) goes before the load average. */
export function machineLine(m, extra = []) {
  const parts = [`${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}`, `Node ${m.node}`, `autocannon ${m.autocannon}`, m.wrk ?? "wrk absent", ...extra];
  return `Machine: ${parts.join("; ")}; load average at start ${m.loadAverage.map((x) => x.toFixed(2)).join(" ")}.`;
}

/** Exits 2 unless packages/cli is built: the benches drive the built CLI. */
export function requireBuiltCli() {
  if (existsSync(PARALLAX_DIST)) return;
  process.stderr.write("packages/cli is not built: run `npx turbo run build` first\n");
  process.exit(2);
}

/** On SIGINT or SIGTERM: cleanup, then exit 130 or 143. */
export function cleanUpOnSignals(cleanup) {
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.once("SIGTERM", () => void cleanup().then(() => process.exit(143)));
}

/** The command line a result records: `node <script> <its arguments>`. */
export const commandLine = (script) => `node ${script}${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}`;

/** Writes <name>.json and <name>.md into outDir, and the Markdown to stdout. */
export function writeResults(outDir, name, result, md, log) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(outDir, `${name}.md`), `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`wrote ${path.relative(ROOT, path.join(outDir, `${name}.json`))} and ${name}.md`);
}

/** Runs main; a failure prints `<what> failed: <stack>` and exits 1. */
export function runMain(main, what) {
  main().catch((error) => {
    process.stderr.write(`${what} failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// Markdown

export const fmt = (x, digits = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));
export const int = (x) => (x === null || x === undefined ? "–" : Math.round(x).toLocaleString("en-US"));
/** Per-round figures, f(x) each, * marking a contended pair, – a missing one. */
export const perRoundText = (rs, f) => rs.map((x) => (x === null ? "–" : `${f(x)}${x.contended ? "*" : ""}`)).join(", ");
