#!/usr/bin/env node
// Parallax benchmarks, in one command (`npm run bench`, after `npx turbo run build`):
//   1. scheduler precision of the open model at 1k, 5k and 10k pairs/s;
//   2. closed-model throughput of the engine against autocannon and wrk, on the same loopback
//      target, with the same total connections and duration, reported as ratios.
// Every tool runs as its own child process, the target too; each configuration runs several
// rounds, interleaved, and the medians are reported because a shared machine is noisy.
// Results: a Markdown table on stdout, bench/results/latest.{json,md}. Progress goes to stderr.
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import hdr from "hdr-histogram-js";
import {
  BENCH_DIR,
  CONTENDED_CORES,
  GRACE_MS,
  PARALLAX_BIN,
  PAUSE_MS,
  cleanUpOnSignals,
  commandLine,
  contended,
  createContention,
  describeMachine,
  findWrk,
  flagReader,
  exitOnIssues,
  fmt,
  histogram,
  int,
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
  uncontendedOr,
  writeResults,
} from "./lib.js";

const HELP = `usage: node bench/run.js [options]

  --quick                    1 round, 4 s precision runs, 3 s throughput runs, no retries (~40 s)
  --rounds <n>               rounds per configuration, interleaved; medians reported (default 3)
  --rates <list>             open-model rates, pairs/s (default 1000,5000,10000)
  --precision-duration <s>   seconds per precision run (default 5)
  --duration <s>             seconds per throughput run (default 5)
  --connections <n>          total connections for the throughput runs, even (default 50;
                             parallax gets n/2 per target, both targets on the one server)
  --delay-ms <ms>            also measure against a target answering after this delay (e.g. 1)
  --warm-up <s>              precision: seconds excluded from the steady-state figures (default 2)
  --retries <n>              repeat a run during which other processes used > 0.25 cores, keeping
                             the least contended attempt; at most --max-retries in all (default 1, 3)
  --max-retries <n>
  --wait-quiet <s>           before a run, wait while other processes keep the machine busy; at most
                             this many seconds in all (default 30; 0: never wait)
  --only precision|throughput
  --no-wrk                   skip wrk even when installed
  --out <dir>                where latest.json / latest.md go (default bench/results)
`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    rates: { type: "string" },
    "precision-duration": { type: "string" },
    duration: { type: "string" },
    connections: { type: "string" },
    "delay-ms": { type: "string" },
    only: { type: "string" },
    "warm-up": { type: "string" },
    retries: { type: "string" },
    "max-retries": { type: "string" },
    "wait-quiet": { type: "string" },
    "no-wrk": { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const options = validateOptions(flags);

function validateOptions(f) {
  const read = flagReader();
  const o = {
    rounds: read.int("rounds", f.rounds, f.quick ? 1 : 3, 1),
    rates: (f.rates ?? "1000,5000,10000").split(",").map((s) => read.int("rates", s.trim(), 0, 1)),
    precisionDurationS: read.num("precision-duration", f["precision-duration"], f.quick ? 4 : 5, 1),
    warmUpS: read.int("warm-up", f["warm-up"], 2, 0),
    retries: read.int("retries", f.retries, f.quick ? 0 : 1, 0),
    maxRetries: read.int("max-retries", f["max-retries"], 3, 0),
    waitQuietS: read.num("wait-quiet", f["wait-quiet"], f.quick ? 0 : 30, 0),
    throughputDurationS: read.int("duration", f.duration, f.quick ? 3 : 5, 1),
    connections: read.int("connections", f.connections, 50, 2),
    delayMs: f["delay-ms"] === undefined ? undefined : read.num("delay-ms", f["delay-ms"], 0, 0),
    only: f.only,
    wrk: !f["no-wrk"],
    outDir: path.resolve(f.out ?? path.join(BENCH_DIR, "results")),
  };
  const { issues } = read;
  if (o.warmUpS >= o.precisionDurationS) issues.push(`--warm-up (${o.warmUpS} s) must be shorter than --precision-duration (${o.precisionDurationS} s)`);
  if (o.connections % 2 !== 0) issues.push(`--connections must be even (parallax gets n/2 per target), got ${o.connections}`);
  if (o.only !== undefined && o.only !== "precision" && o.only !== "throughput") issues.push(`--only must be precision or throughput, got ${o.only}`);
  exitOnIssues(issues, HELP);
  return o;
}

const log = logger("bench");
const contention = createContention(options, log);

/** Reads a dotted path; records (once) a missing field of report.json as a finding. */
const missing = new Set();
function field(obj, dotted) {
  let v = obj;
  for (const key of dotted.split(".")) {
    if (v === null || v === undefined || typeof v !== "object" || !(key in v)) {
      missing.add(dotted);
      return null;
    }
    v = v[key];
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Measured runs

/**
 * Runs fn between two target samples: requests the server answered, on how many sockets, and its
 * CPU use meanwhile; and how much CPU the rest of the machine used ("foreign": neither the tool,
 * nor the target, nor this script).
 */
async function measuredOnce(target, fn) {
  const w = await measureWindow(target, fn);
  return {
    ...w.result,
    server: {
      answered: w.after.answered - w.before.answered,
      connections: w.after.connections - w.before.connections,
      cpuCores: round3(w.targetCpuS / w.wallS),
    },
    foreignCores: w.foreignCores,
  };
}

/** measuredOnce, repeated (within --retries and --max-retries) while other processes crowd the machine. */
async function measured(target, fn, label) {
  const { best, attempts } = await contention.leastContended(() => measuredOnce(target, fn), label);
  return { ...best, attempts: attempts.length, discardedForeignCores: attempts.filter((a) => a !== best).map((a) => a.foreignCores) };
}

// ---------------------------------------------------------------------------------------------
// The tools

let recordingFile;

function parallaxArgs(target, extra) {
  return [PARALLAX_BIN, "run", "--traffic", recordingFile, "--production", target.url, "--candidate", target.url, ...extra, "--json", "--no-progress"];
}

function parseReport(res, what) {
  try {
    return JSON.parse(res.stdout);
  } catch {
    const tail = res.stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`${what}: parallax printed no report (exit ${res.code}${res.timedOut ? ", timed out" : ""})\n${tail}`);
  }
}

/** Merges both targets' latency histograms: percentiles of two hdr histograms are never averaged. */
function mergedLatencyMs(report) {
  const merged = histogram(3_600_000_000);
  for (const name of ["production", "candidate"]) {
    const encoded = field(report, `targets.${name}.histogram`);
    if (typeof encoded !== "string" || encoded === "") return null;
    merged.add(hdr.decodeFromCompressedBase64(encoded, 64, false));
  }
  return { p50: merged.getValueAtPercentile(50) / 1000, p99: merged.getValueAtPercentile(99) / 1000, max: merged.maxValue / 1000, count: merged.totalCount };
}

/**
 * Latency from the intended instant after the first warmUpS seconds, both targets merged, from the
 * per-second interval logs of --out. The report holds no scheduler lag per interval; latency from
 * the intended instant is lag + service time, so its steady-state p99 bounds the lag's from above.
 */
function steadyStateLatencyMs(outDir, warmUpS) {
  const merged = histogram(3_600_000_000);
  const firstSecond = { p50: null, p99: null, max: null, count: 0 };
  for (const name of ["production", "candidate"]) {
    const file = path.join(outDir, `${name}.hlog`);
    if (!existsSync(file)) {
      missing.add(`--out ${name}.hlog`);
      return null;
    }
    const reader = new hdr.HistogramLogReader(readFileSync(file, "utf8"), 64, false);
    let start;
    for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
      start ??= h.startTimeStampMsec;
      const offsetS = (h.startTimeStampMsec - start) / 1000;
      if (offsetS >= warmUpS) merged.add(h);
      else if (offsetS < 1) {
        firstSecond.count += h.totalCount;
        firstSecond.max = Math.max(firstSecond.max ?? 0, h.maxValue / 1000);
      }
    }
  }
  if (merged.totalCount === 0) return { p50: null, p99: null, max: null, count: 0, firstSecond };
  return { p50: merged.getValueAtPercentile(50) / 1000, p99: merged.getValueAtPercentile(99) / 1000, max: merged.maxValue / 1000, count: merged.totalCount, firstSecond };
}

let outCounter = 0;

async function parallaxOpen(target, rate, durationS) {
  const outDir = path.join(path.dirname(recordingFile), `open-${rate}-${++outCounter}`);
  const res = await runTool("node", parallaxArgs(target, ["--rate", String(rate), "--duration", `${durationS}s`, "--out", outDir]), durationS * 1000 + GRACE_MS);
  const report = parseReport(res, `open ${rate}/s`);
  const steady = steadyStateLatencyMs(outDir, options.warmUpS);
  rmSync(outDir, { recursive: true, force: true });
  const agents = field(report, "run.agents") ?? [];
  const gens = agents.map((a) => a.generator ?? (missing.add("run.agents[].generator"), {}));
  const g = gens[0] ?? {};
  const prod = field(report, "targets.production") ?? {};
  const cand = field(report, "targets.candidate") ?? {};
  const planned = field(report, "run.planned");
  const late = agents.reduce((s, a) => s + (a.late ?? 0), 0);
  const lag = g.schedulerLagMs ?? {};
  const latency = mergedLatencyMs(report);
  return {
    exitCode: res.code,
    status: field(report, "run.status"),
    planned,
    late,
    generatorLate: gens.reduce((s, x) => s + (x.late ?? 0), 0),
    dropped: gens.reduce((s, x) => s + (x.dropped ?? 0), 0),
    lateShare: planned > 0 ? late / planned : null,
    lagMs: { p50: lag.p50 ?? null, p90: lag.p90 ?? null, p99: lag.p99 ?? null, max: lag.max ?? null },
    eventLoopDelayP99Ms: g.eventLoopDelayMs?.p99 ?? null,
    cpu: g.cpu ?? null,
    bottleneck: gens.some((x) => x.bottleneck === true),
    reasons: gens.flatMap((x) => x.reasons ?? []),
    requests: (prod.requests ?? 0) + (cand.requests ?? 0),
    responses: { production: prod.responses ?? null, candidate: cand.responses ?? null },
    errors: (prod.errors ?? 0) + (cand.errors ?? 0),
    achievedPairsPerS: round3((prod.responses ?? 0) / durationS),
    reportedThroughputRps: { production: prod.throughputRps ?? null, candidate: cand.throughputRps ?? null },
    latencyMs: latency,
    steadyLatencyMs: steady,
    toolCpuS: res.cpuS,
    wallS: round3(res.wallS),
  };
}

async function parallaxClosed(target, connections, durationS) {
  const perTarget = connections / 2;
  const res = await runTool("node", parallaxArgs(target, ["--load", "closed", "--connections", String(perTarget), "--duration", `${durationS}s`]), durationS * 1000 + GRACE_MS);
  const report = parseReport(res, "closed");
  const prod = field(report, "targets.production") ?? {};
  const cand = field(report, "targets.candidate") ?? {};
  const responses = (prod.responses ?? 0) + (cand.responses ?? 0);
  const latency = mergedLatencyMs(report);
  return {
    exitCode: res.code,
    status: field(report, "run.status"),
    responses,
    errors: (prod.errors ?? 0) + (cand.errors ?? 0),
    durationS,
    rps: responses / durationS,
    reportedThroughputRps: (prod.throughputRps ?? 0) + (cand.throughputRps ?? 0),
    p50Ms: latency?.p50 ?? null,
    p99Ms: latency?.p99 ?? null,
    toolCpuS: res.cpuS,
    wallS: res.wallS,
  };
}

/** A closed-loop tool's result (lib.js's shape) as the throughput table reads it: p50 and p99. */
function closedLoop({ latencyMs, toolCpuS, wallS, reportedSent: _reportedSent, ...counts }) {
  return { ...counts, p50Ms: latencyMs.p50, p99Ms: latencyMs.p99, toolCpuS, wallS };
}

const autocannonRun = async (target, connections, durationS) => closedLoop(await runAutocannon(`${target.url}/bench`, connections, durationS));
const wrkRun = async (target, connections, durationS) => closedLoop(await runWrk(`${target.url}/bench`, connections, durationS));

// ---------------------------------------------------------------------------------------------
// The two benchmarks

async function precision(target) {
  const runs = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const rate of rotate(options.rates, r)) {
      log(`precision · target delay ${target.delayMs} ms · round ${r + 1}/${options.rounds} · ${rate} pairs/s for ${options.precisionDurationS} s`);
      const run = await measured(target, () => parallaxOpen(target, rate, options.precisionDurationS), `${rate} pairs/s`);
      runs.push({ rate, round: r + 1, ...run });
      await sleep(PAUSE_MS);
    }
  }
  const rows = options.rates.map((rate) => {
    const all = runs.filter((x) => x.rate === rate);
    const rs = uncontendedOr(all);
    const m = (f) => round3(median(rs.map(f)));
    return {
      rate,
      rounds: all.length,
      roundsUsed: rs.length,
      achievedPairsPerS: m((x) => x.achievedPairsPerS),
      achievedShare: round3(median(rs.map((x) => x.achievedPairsPerS)) / rate),
      reportedThroughputRps: m((x) => x.reportedThroughputRps.production),
      connections: m((x) => x.server.connections),
      lagP50Ms: m((x) => x.lagMs.p50),
      lagP99Ms: m((x) => x.lagMs.p99),
      lagMaxMs: m((x) => x.lagMs.max),
      lateShare: round3(median(rs.map((x) => x.lateShare))),
      dropped: m((x) => x.dropped),
      bottleneckRounds: rs.filter((x) => x.bottleneck).length,
      reasons: [...new Set(rs.flatMap((x) => x.reasons))],
      generatorCpu: m((x) => x.cpu?.mean),
      eventLoopDelayP99Ms: m((x) => x.eventLoopDelayP99Ms),
      latencyP99Ms: m((x) => x.latencyMs?.p99),
      steadyLatencyP99Ms: m((x) => x.steadyLatencyMs?.p99),
      steadyLatencyMaxMs: m((x) => x.steadyLatencyMs?.max),
      firstSecondMaxMs: m((x) => x.steadyLatencyMs?.firstSecond.max),
      targetCpu: m((x) => x.server.cpuCores),
      foreignCores: m((x) => x.foreignCores),
      contendedRounds: all.filter(contended).length,
    };
  });
  return { durationS: options.precisionDurationS, warmUpS: options.warmUpS, rows, runs };
}

async function throughput(target, haveWrk) {
  const tools = {
    parallax: () => parallaxClosed(target, options.connections, options.throughputDurationS),
    autocannon: () => autocannonRun(target, options.connections, options.throughputDurationS),
    ...(haveWrk ? { wrk: () => wrkRun(target, options.connections, options.throughputDurationS) } : {}),
  };
  const names = Object.keys(tools);
  const runs = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const tool of rotate(names, r)) {
      log(`throughput · target delay ${target.delayMs} ms · round ${r + 1}/${options.rounds} · ${tool}, ${options.connections} connections for ${options.throughputDurationS} s`);
      const run = await measured(target, tools[tool], tool);
      runs.push({ tool, round: r + 1, ...run, serverRps: run.server.answered / run.durationS });
      await sleep(PAUSE_MS);
    }
  }
  const rows = names.map((tool) => {
    const all = runs.filter((x) => x.tool === tool);
    const rs = uncontendedOr(all);
    const m = (f) => round3(median(rs.map(f)));
    return {
      tool,
      rounds: all.length,
      roundsUsed: rs.length,
      rps: m((x) => x.rps),
      serverRps: m((x) => x.serverRps),
      p50Ms: m((x) => x.p50Ms),
      p99Ms: m((x) => x.p99Ms),
      errors: rs.reduce((s, x) => s + x.errors, 0),
      toolCpuCores: m((x) => (x.toolCpuS === null ? null : x.toolCpuS / x.wallS)),
      cpuMicrosPerRequest: m((x) => (x.toolCpuS === null ? null : (x.toolCpuS * 1e6) / x.responses)),
      targetCpu: m((x) => x.server.cpuCores),
      foreignCores: m((x) => x.foreignCores),
      contendedRounds: all.filter(contended).length,
    };
  });
  const rpsOf = (tool) => rows.find((x) => x.tool === tool)?.rps ?? null;
  const ratio = (other) => (rpsOf(other) ? round3(rpsOf("parallax") / rpsOf(other)) : null);
  // Per-round ratios too: tools of one round ran seconds apart, so they share the machine's mood.
  const perRound = (other) =>
    Array.from({ length: options.rounds }, (_, r) => {
      const p = runs.find((x) => x.tool === "parallax" && x.round === r + 1);
      const o = runs.find((x) => x.tool === other && x.round === r + 1);
      return p && o ? { ratio: round3(p.rps / o.rps), contended: contended(p) || contended(o) } : null;
    });
  return {
    connections: options.connections,
    parallaxConnectionsPerTarget: options.connections / 2,
    durationS: options.throughputDurationS,
    rows,
    ratios: {
      parallaxOverAutocannon: ratio("autocannon"),
      parallaxOverAutocannonPerRound: perRound("autocannon"),
      ...(haveWrk ? { parallaxOverWrk: ratio("wrk"), parallaxOverWrkPerRound: perRound("wrk") } : {}),
    },
    runs,
  };
}

// ---------------------------------------------------------------------------------------------
// Sanity checks: every figure traced to counts

function checks(section) {
  const found = [];
  for (const run of section.precision?.runs ?? []) {
    const where = `precision ${run.rate}/s round ${run.round}`;
    if (run.server.answered !== run.requests) found.push(`${where}: the target answered ${run.server.answered} requests, parallax reports ${run.requests} sent`);
    if (run.planned !== null && run.responses.production !== null && run.responses.production + run.dropped !== run.planned)
      found.push(`${where}: planned ${run.planned}, production responses ${run.responses.production}, dropped ${run.dropped}`);
    if (run.late !== run.generatorLate) found.push(`${where}: run.agents[].late ${run.late} ≠ generator.late ${run.generatorLate}`);
    if (run.status !== "completed") found.push(`${where}: run status ${run.status}, exit ${run.exitCode}`);
    if (run.errors > 0) found.push(`${where}: ${run.errors} errors`);
    if (run.cpu && run.cpu.peak < run.cpu.mean) found.push(`${where}: generator CPU peak ${run.cpu.peak} < mean ${run.cpu.mean}`);
  }
  for (const run of section.throughput?.runs ?? []) {
    const where = `throughput ${run.tool} round ${run.round}`;
    // A closed-loop tool may leave a few requests unanswered at the end; more than the connections is a miscount.
    const slack = options.connections;
    if (Math.abs(run.server.answered - run.responses) > slack) found.push(`${where}: the target answered ${run.server.answered}, the tool reports ${run.responses} responses`);
    if (run.errors > 0) found.push(`${where}: ${run.errors} errors`);
    if (run.tool === "parallax" && run.status !== "completed") found.push(`${where}: run status ${run.status}, exit ${run.exitCode}`);
    if (run.tool === "parallax" && Math.abs(run.reportedThroughputRps - run.rps) > 1) found.push(`${where}: throughputRps ${run.reportedThroughputRps} ≠ responses / duration ${round3(run.rps)}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const pct = (x, digits = 1) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits)} %`);

const ratioText = (rs) => perRoundText(rs, (x) => fmt(x.ratio));

function markdown(result) {
  const m = result.machine;
  const lines = [];
  lines.push(`# Parallax bench — ${result.date}`, "");
  lines.push(machineLine(m));
  lines.push(`Command: \`${result.command}\` · ${result.options.rounds} round(s) per configuration, interleaved; medians over the uncontended rounds (all rounds when none was) — see "rounds used"; ${result.retriesUsed} contended run(s) repeated; ${result.waitedForQuietSeconds} s spent waiting for a quiet machine · total ${result.totalSeconds} s.`, "");
  for (const section of result.sections) {
    const delay = section.targetDelayMs === 0 ? "answers at once" : `answers after ${section.targetDelayMs} ms`;
    if (section.precision) {
      const p = section.precision;
      lines.push(`## Scheduler precision — open model, target ${delay}`, "");
      lines.push(`${p.durationS} s per run, one agent; a pair is 2 requests (production + candidate, both on this server).`, "");
      lines.push(`**Whole run, as report.json states it.** "resp./duration": production responses over the configured duration — it reads 100 % even when sends left late, because the run waits for every planned send; "throughputRps": the report's production figure, over the measured time (start to last response). Lag: how late each send left against its intended instant; late: sends more than 10 ms behind.`, "");
      lines.push("| pairs/s | resp./duration | throughputRps | lag p50 ms | lag p99 ms | lag max ms | late | dropped | bottleneck flagged | generator CPU | loop delay p99 ms |");
      lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
      for (const r of p.rows) {
        const flagged = `${r.bottleneckRounds}/${r.roundsUsed}${r.reasons.length ? ` (${r.reasons[0]})` : ""}`;
        lines.push(`| ${int(r.rate)} | ${int(r.achievedPairsPerS)} (${pct(r.achievedShare, 0)}) | ${int(r.reportedThroughputRps)} | ${fmt(r.lagP50Ms, 3)} | ${fmt(r.lagP99Ms)} | ${fmt(r.lagMaxMs)} | ${pct(r.lateShare, 1)} | ${int(r.dropped)} | ${flagged} | ${fmt(r.generatorCpu)} | ${fmt(r.eventLoopDelayP99Ms)} |`);
      }
      lines.push("");
      lines.push(`**Start-up against steady state.** Latency from the intended instant (lag + service time), both targets merged: over the whole run, its maximum in the first second, and after the first ${p.warmUpS} s (from the per-second interval logs of \`--out\`). Sockets: connections the target accepted during the run. Other load: cores used meanwhile by processes outside the bench (median of the rounds used); a round above ${CONTENDED_CORES} is contended.`, "");
      lines.push(`| pairs/s | latency p99 ms, whole run | max ms, 1st second | p99 ms after ${p.warmUpS} s | max ms after ${p.warmUpS} s | sockets | target CPU | other load | rounds used |`);
      lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (const r of p.rows) {
        lines.push(`| ${int(r.rate)} | ${fmt(r.latencyP99Ms)} | ${fmt(r.firstSecondMaxMs)} | ${fmt(r.steadyLatencyP99Ms)} | ${fmt(r.steadyLatencyMaxMs)} | ${int(r.connections)} | ${fmt(r.targetCpu)} | ${fmt(r.foreignCores)} | ${r.roundsUsed}/${r.rounds} |`);
      }
      lines.push("");
    }
    if (section.throughput) {
      const t = section.throughput;
      lines.push(`## Throughput — closed model, target ${delay}`, "");
      lines.push(`${t.connections} connections in total (parallax: ${t.parallaxConnectionsPerTarget} per target × 2 targets), ${t.durationS} s per run. req/s = responses / duration as each tool counts them; "server req/s" is what the target itself counted. CPU in cores (1.00 = one core busy); other load: cores used meanwhile by processes outside the bench, a round above ${CONTENDED_CORES} is contended.`, "");
      lines.push("| tool | req/s | server req/s | p50 ms | p99 ms | errors | tool CPU | CPU µs/request | target CPU | other load | rounds used |");
      lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (const r of t.rows) {
        lines.push(`| ${r.tool} | ${int(r.rps)} | ${int(r.serverRps)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${int(r.errors)} | ${fmt(r.toolCpuCores)} | ${fmt(r.cpuMicrosPerRequest, 1)} | ${fmt(r.targetCpu)} | ${fmt(r.foreignCores)} | ${r.roundsUsed}/${r.rounds} |`);
      }
      lines.push("");
      const ra = t.ratios;
      lines.push("Ratios of the medians above; per-round ratios pair tools that ran seconds apart (* = a contended run in that pair).", "");
      lines.push(`**parallax / autocannon = ${fmt(ra.parallaxOverAutocannon)}** (per round: ${ratioText(ra.parallaxOverAutocannonPerRound)})`);
      if (ra.parallaxOverWrk !== undefined) lines.push(`· **parallax / wrk = ${fmt(ra.parallaxOverWrk)}** (per round: ${ratioText(ra.parallaxOverWrkPerRound)})`);
      lines.push("");
    }
  }
  if (result.notes.length > 0) {
    lines.push("## Notes", "");
    for (const n of result.notes) lines.push(`- ${n}`);
    lines.push("");
  }
  if (result.checks.length > 0) {
    lines.push("## Count checks that failed", "");
    for (const c of result.checks) lines.push(`- ${c}`);
    lines.push("");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  requireBuiltCli();
  const notes = [];
  const wrkVersion = findWrk(options.wrk);
  const haveWrk = wrkVersion !== null;
  if (!options.wrk) notes.push("wrk skipped (--no-wrk).");
  else if (!haveWrk) notes.push("wrk not found on PATH: its column is skipped (`apt-get install -y wrk`).");

  const machine = { ...describeMachine(), wrk: wrkVersion, parallax: packageVersion("packages/cli") };

  const tmp = mkdtempSync(path.join(os.tmpdir(), "parallax-bench-"));
  recordingFile = path.join(tmp, "rec.jsonl");
  writeFileSync(recordingFile, '{"method":"GET","url":"/bench"}\n');

  const delays = [0, ...(options.delayMs !== undefined && options.delayMs > 0 ? [options.delayMs] : [])];
  const sections = [];
  const targets = [];
  const cleanup = async () => {
    await Promise.allSettled(targets.map((t) => t.close()));
    rmSync(tmp, { recursive: true, force: true });
  };
  cleanUpOnSignals(cleanup);
  try {
    for (const delayMs of delays) {
      const target = await startTarget(delayMs);
      targets.push(target);
      log(`target ${target.url} (pid ${target.pid}, delay ${delayMs} ms)`);
      const section = { targetDelayMs: delayMs };
      if (options.only !== "throughput") section.precision = await precision(target);
      if (options.only !== "precision") section.throughput = await throughput(target, haveWrk);
      sections.push(section);
      await target.close();
    }
  } finally {
    await cleanup();
  }

  const allChecks = sections.flatMap((s) => checks(s).map((c) => (s.targetDelayMs ? `[delay ${s.targetDelayMs} ms] ${c}` : c)));
  if (missing.size > 0) notes.push(`report.json fields missing: ${[...missing].join(", ")}.`);
  for (const s of sections) {
    for (const r of s.precision?.rows ?? []) {
      if (r.achievedShare !== null && r.achievedShare < 0.99) notes.push(`At ${r.rate} pairs/s only ${pct(r.achievedShare)} of the planned responses arrived (target delay ${s.targetDelayMs} ms).`);
      if (r.bottleneckRounds > 0 || (r.lagP99Ms ?? 0) > 10)
        notes.push(`At ${r.rate} pairs/s (target delay ${s.targetDelayMs} ms) the schedule was not kept in ${r.bottleneckRounds}/${r.roundsUsed} round(s): lag p50 ${fmt(r.lagP50Ms)} ms, p99 ${fmt(r.lagP99Ms)} ms, ${pct(r.lateShare, 1)} of sends > 10 ms late; the report's throughput ${int(r.reportedThroughputRps)}/s; after the first ${s.precision.warmUpS} s, latency p99 ${fmt(r.steadyLatencyP99Ms)} ms, max ${fmt(r.steadyLatencyMaxMs)} ms.`);
    }
    for (const r of s.throughput?.rows ?? []) {
      if (r.targetCpu !== null && r.targetCpu > 0.9) notes.push(`${r.tool}: the target used ${fmt(r.targetCpu)} cores (target delay ${s.targetDelayMs} ms) — the single-process target, not only the tool, may be the limit of that figure.`);
    }
  }
  const result = {
    date: new Date().toISOString(),
    command: commandLine("bench/run.js"),
    machine,
    options: { ...options, outDir: undefined },
    totalSeconds: Math.round((performance.now() - started) / 1000),
    retriesUsed: contention.retriesUsed(),
    waitedForQuietSeconds: contention.waitedForQuietSeconds(),
    sections,
    checks: allChecks,
    notes,
  };
  const md = markdown(result);
  writeResults(options.outDir, "latest", result, md, log);
}

runMain(main, "bench");