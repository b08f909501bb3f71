// infra/nats-server.conf's roles, enforced by a real nats-server: continuous shadow comparison
// works end to end with each process signed in as its role (tap, agent, coordinator), and a role
// cannot do another's job. The credentials come from infra/scripts/gen-credentials.mjs, as a
// deployment makes them.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { natsServerBinary, startGroundTruthTarget, type RunningTarget } from "@parallax/testkit";
import { startAgent, type AgentProcess } from "./support/agents.js";
import { REPO, runCli, tempDir } from "./support/cli.js";
import { startInfraNats, type InfraNats } from "./support/infra-nats.js";
import { reportCounting, sendThrough, spawnCli, type Spawned } from "./support/shadow.js";

const natsBin = natsServerBinary(process.env);
const skip = natsBin === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;
const COUNT = 40;

/** Each series name in a Prometheus text exposition, with the label names it carries. */
function seriesLabels(exposition: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of exposition.split("\n")) {
    const m = /^(\w+)(?:\{(.*)\})? \S+$/.exec(line);
    if (m === null) continue;
    const labels = series.get(m[1] as string) ?? new Set<string>();
    for (const pair of (m[2] ?? "").matchAll(/(\w+)="/g)) labels.add(pair[1] as string);
    series.set(m[1] as string, labels);
  }
  return series;
}

describe("infra/nats-server.conf roles for tap, shadow and agents", { skip }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let nats: InfraNats | undefined;
  let url = "";
  let production: RunningTarget;
  let candidate: RunningTarget;
  let agent: AgentProcess | undefined;
  let tap: Spawned | undefined;
  let shadow: Spawned | undefined;
  let scraped = "";
  const seed = (role: string) => (nats as InfraNats).seed(role);

  before(async () => {
    dir = await tempDir("infra-shadow");
    nats = await startInfraNats(natsBin as string, "nats-server.conf", dir.path);
    url = nats.url;
    [production, candidate] = await Promise.all([startGroundTruthTarget({ role: "production" }), startGroundTruthTarget({ role: "candidate" })]);
  });

  after(async () => {
    await Promise.all([tap?.stop("SIGKILL"), shadow?.stop("SIGKILL"), agent?.stop("SIGKILL")]);
    nats?.stop();
    await Promise.all([production?.close(), candidate?.close()]);
    await dir?.remove();
  });

  it("compares every tapped exchange with each process signed in as its role, and nothing is refused", async () => {
    agent = startAgent(url, "s1", ["--nats-nkey", seed("agent")]);
    await agent.ready;
    tap = spawnCli(["tap", "--listen", "127.0.0.1:0", "--upstream", production.url, "--nats", url, "--nats-nkey", seed("tap")]);
    const tapUrl = (await tap.waitFor(/parallax tap listening (http:\/\/\S+)/))[1] as string;
    const out = join(dir.path, "out");
    shadow = spawnCli([
      "shadow", "--nats", url, "--nats-nkey", seed("coordinator"), "--candidate", candidate.url, "--allow-unsafe-production", "POST /predict",
      "--window", "1s", "--out", out, "--metrics", "127.0.0.1:0", "--threshold", "diff.rate < 50%",
    ]);
    const metricsUrl = (await shadow.waitFor(/metrics on (http:\/\/\S+)/))[1] as string;
    await shadow.waitFor(/consuming/);
    await sendThrough(tapUrl, 0, COUNT);
    await reportCounting(out, COUNT);
    scraped = await (await fetch(metricsUrl)).text();
    assert.equal(await shadow.stop("SIGTERM"), 0, shadow.stderr());
    const report = await reportCounting(out, COUNT);
    assert.deepEqual([report.shadow?.received, report.shadow?.compared, report.diff.compared], [COUNT, COUNT, COUNT]);
    assert.deepEqual([production.received.total, candidate.received.total], [COUNT, COUNT]);
    // nats-server logs "Publish Violation" / "Subscription Violation", clients "Permissions Violation".
    assert.doesNotMatch(`${nats?.log() ?? ""}${tap.stderr()}${agent.stderr()}${shadow.stderr()}`, /Violation/);
  });

  it("serves every series the Grafana dashboard and the alerting rules in infra/ query, with the labels they use", async () => {
    assert.ok(scraped.includes("parallax_stream_received_total"), "the shadow's /metrics was scraped");
    const series = seriesLabels(scraped);
    const dashboard = JSON.parse(await readFile(join(REPO, "infra/grafana/parallax-shadow.json"), "utf8")) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const rules = parse(await readFile(join(REPO, "infra/prometheus/parallax-shadow-rules.yaml"), "utf8")) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    const queries = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `dashboard panel "${p.title}"`, expr: t.expr }))),
      ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
    ];
    assert.ok(queries.length >= 15);
    for (const { where, expr } of queries) {
      const names = [...expr.matchAll(/\bparallax_\w+/g)].map((m) => m[0]);
      assert.ok(names.length > 0, `${where} queries Parallax metrics`);
      const labels = new Set<string>();
      for (const name of names) {
        const known = series.get(name);
        assert.ok(known, `${where}: /metrics has no ${name}`);
        for (const label of known) labels.add(label);
      }
      // job and instance come from the scrape; everything else must be on the series queried.
      const used = [...expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right) \(([^)]*)\)/g)].flatMap((m) => (m[1] ?? "").split(",").map((l) => l.trim()));
      used.push(...[...expr.matchAll(/(\w+)=~?"/g)].map((m) => m[1] as string));
      for (const label of used.filter((l) => l !== "" && l !== "job" && l !== "instance")) assert.ok(labels.has(label), `${where}: no series of ${names.join(", ")} has the label ${label}`);
    }
  });

  it("refuses a tap signed in as an agent, though the stream it would fill exists: agents may only read it", async () => {
    // The first test created the default stream; an agent may look it up, so only the publish check catches this.
    const run = await runCli(["tap", "--listen", "127.0.0.1:0", "--upstream", production.url, "--nats", url, "--nats-nkey", seed("agent")], { timeoutMs: 30_000 });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /may not publish to the traffic stream "traffic": .*(Permissions Violation|permission|TIMEOUT|timed out)/i);
    assert.match(`${run.stderr}${nats?.log() ?? ""}`, /Violation.*parallax\.v1\.traffic\.traffic/);
  });

  it("an agent or `parallax agents` signed in with a tap's credentials exits 3, naming what NATS refused", async () => {
    const agents = await runCli(["agents", "--nats", url, "--nats-nkey", seed("tap")], { timeoutMs: 20_000 });
    assert.equal(agents.code, 3, agents.stderr);
    assert.match(agents.stderr, /parallax: NATS refused parallax agents: Permissions Violation for (Subscription to|Publish to) "parallax\.v1\.agents\.[\w.*]+"\. Listing agents takes the coordinator role's rights/);
    const agent = await runCli(["agent", "--nats", url, "--nats-nkey", seed("tap"), "--name", "wrong"], { timeoutMs: 20_000 });
    assert.equal(agent.code, 3, agent.stderr);
    assert.match(agent.stderr, /parallax: NATS refused agent wrong: Permissions Violation for (Subscription to|Publish to) "(parallax\.v1\.[\w.*]+|\$JS\.API\.INFO)"\. Its credentials lack the agent role's rights/);
  });
});
