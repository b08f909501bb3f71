// The statistical latency comparison per endpoint, end to end: a candidate 20 % slower on one
// endpoint only is flagged there and nowhere else; one server behind both names is flagged nowhere.
// Runs alone, after the rest of the suite (see package.json): it measures latency.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunResult } from "@parallax/protocol";
import { closeServer, onceListening } from "@parallax/testkit";
import { runCli, tempDir } from "../support/cli.js";

/** Answers each path after its delay in ms, plus up to 4 ms of jitter that is a pure function of the request number. */
async function startDelayed(delays: Readonly<Record<string, number>>): Promise<Server> {
  const server = createServer((req, res) => {
    const [, path = "", n = "0"] = /^(\/[a-z]+)\/(\d+)$/.exec(req.url ?? "") ?? [];
    const jitter = (Number(n) * 7) % 5;
    req.resume();
    setTimeout(() => res.end("{}"), (delays[path] ?? 0) + jitter);
  });
  await onceListening(server);
  return server;
}

const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe("latency comparison per endpoint", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let production: Server;
  let candidate: Server;
  let traffic: string;
  before(async () => {
    dir = await tempDir("latency-comparison");
    [production, candidate] = await Promise.all([startDelayed({ "/a": 40, "/b": 40, "/c": 40 }), startDelayed({ "/a": 40, "/b": 48, "/c": 40 })]);
    const lines = Array.from({ length: 450 }, (_, n) => JSON.stringify({ method: "GET", url: `/${"abc"[n % 3]}/${n}` }));
    traffic = join(dir.path, "abc.jsonl");
    await writeFile(traffic, `${lines.join("\n")}\n`);
  });
  after(async () => {
    await Promise.all([closeServer(production), closeServer(candidate)]);
    await dir.remove();
  });

  it("flags the one endpoint where the candidate is 20 % slower, with an interval excluding zero", async () => {
    const run = await runCli(["run", "--traffic", traffic, "--production", url(production), "--candidate", url(candidate), "--rate", "150", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as RunResult;
    const byName = new Map(report.endpoints.map((e) => [e.endpoint, e]));
    assert.deepEqual([...byName.keys()].sort(), ["GET /a/{id}", "GET /b/{id}", "GET /c/{id}"]);
    const b = byName.get("GET /b/{id}")?.latency;
    assert.ok(b?.regression, "GET /b/{id} regressed");
    const p50 = b.quantiles.find((q) => q.quantile === "p50");
    assert.ok(p50 && p50.regression && p50.intervalMs[0] > 0, `p50 change ${p50?.deltaMs} ms in [${p50?.intervalMs.join(", ")}]`);
    assert.ok(p50.relative !== null && Math.abs(p50.relative - 0.2) < 0.08, `relative change ${p50.relative}`);
    assert.equal(b.n.production, 150);
    for (const name of ["GET /a/{id}", "GET /c/{id}"]) assert.equal(byName.get(name)?.latency?.regression, false, `${name} is not flagged`);
  });

  it("flags nothing when one server stands behind both names", async () => {
    const run = await runCli(["run", "--traffic", traffic, "--production", url(candidate), "--candidate", url(candidate), "--rate", "150", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as RunResult;
    assert.equal(report.endpoints.length, 3);
    for (const e of report.endpoints) assert.equal(e.latency?.regression, false, `${e.endpoint} flagged: ${JSON.stringify(e.latency?.quantiles)}`);
  });
});
