// The deployment files in infra/ (design.md §7: "a sample config in infra/"): every YAML file
// parses and has the structure the README promises, the systemd unit runs `parallax agent`,
// and nats-server accepts both configs (and what the Helm values render to). Nothing is
// deployed: no Docker, no Kubernetes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const INFRA = join(ROOT, "infra");

type Json = Record<string, unknown>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "secrets" || entry.name === "node_modules" ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

function documents(path: string): Json[] {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((doc) => {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `${relative(ROOT, path)} parses`);
    return doc.toJS() as Json;
  });
}

const obj = (value: unknown, what: string): Json => {
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), `${what} is a mapping`);
  return value as Json;
};
const arr = (value: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(value), `${what} is a list`);
  return value;
};
const words = (value: unknown): string => (Array.isArray(value) ? value.join(" ") : String(value ?? ""));

/** nats-server from NATS_SERVER_BIN or PATH, as the e2e tests find it (design.md §9). */
function natsServer(): string | undefined {
  const candidates = [process.env["NATS_SERVER_BIN"], ...(process.env["PATH"] ?? "").split(delimiter).map((d) => join(d, "nats-server"))];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

// Public user nkeys (not secrets): the server only checks their form.
const NKEYS = [
  "UA52NYVOD5D33EIVTFXWEGHE6HSSIAPXB3RSVCMWCWKMKFA3D5T53Y3E",
  "UBHKT7YFPJWWVMS4BAH3OYMJDXGB4QLPUSIWXVHELWVMRZVOAQMO3POB",
  "UAOQTCCQNIAJZAGUMOYULYNS2DFIOKKR6ICSDTJQU3RULZWCT26B72C2",
  "UC52PEE55TRG4B52BBPGJ4LZQHGYDUS2YQOV65HMTVKM2XZTYRIMOSSN",
  "UC75UDQP3H6LUSZR4DOBWFUP57FC6TARPR6EFWP7L3T2ULZPHYZ6BTXI",
  "UADZOH5Y7PXK5DTYMSKEIBXIKGDP57CDKRASOIROABALTRTYQJAZGIT6",
] as const;
const SERVER_ENV: Record<string, string> = {
  PARALLAX_COORDINATOR_PASSWORD: "test-coordinator-password",
  PARALLAX_AGENT_PASSWORD: "test-agent-password",
  PARALLAX_TAP_PASSWORD: "test-tap-password",
  PARALLAX_COORDINATOR_NKEY: NKEYS[0],
  PARALLAX_AGENT_NKEY: NKEYS[1],
  PARALLAX_AGENT_A1_NKEY: NKEYS[2],
  PARALLAX_AGENT_A2_NKEY: NKEYS[3],
  PARALLAX_AGENT_A3_NKEY: NKEYS[4],
  PARALLAX_TAP_NKEY: NKEYS[5],
};

/** Every variable the server configs read: each deployment must hand all of them to the server. */
const SERVER_VARIABLES = ["PARALLAX_COORDINATOR_PASSWORD", "PARALLAX_AGENT_PASSWORD", "PARALLAX_TAP_PASSWORD", "PARALLAX_COORDINATOR_NKEY", "PARALLAX_AGENT_NKEY", "PARALLAX_TAP_NKEY"];

/** The parallax CLI's flags of one command, from its --help (the CLI is built before the tests run). */
const helpFlags = new Map<string, Set<string>>();
function knownFlags(command: string): Set<string> {
  let flags = helpFlags.get(command);
  if (flags === undefined) {
    const help = spawnSync(process.execPath, [join(ROOT, "packages/cli/bin/parallax.js"), command, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    flags = new Set([...help.stdout.matchAll(/(--[a-z][\w-]*)/g)].map((m) => m[1] as string));
    helpFlags.set(command, flags);
  }
  return flags;
}

/** Every --flag in a container's or service's argv is one the parallax command takes. */
function assertKnownFlags(argv: readonly string[], where: string): void {
  const [command] = argv;
  assert.ok(command !== undefined, `${where} runs a parallax command`);
  for (const flag of argv.filter((a) => a.startsWith("--"))) assert.ok(knownFlags(command).has(flag), `${where}: parallax ${command} has no flag ${flag}`);
}

function checkConfig(bin: string, path: string, env: Record<string, string> = SERVER_ENV): { ok: boolean; output: string } {
  const result = spawnSync(bin, ["-t", "-c", path], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", ...env } });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

test("every YAML file under infra/ parses (all documents)", () => {
  const files = yamlFiles(INFRA);
  const names = files.map((f) => relative(INFRA, f)).sort();
  for (const expected of ["docker-compose.yml", "k8s/agents-deployment.yaml", "k8s/nats-values.yaml", "k8s/run-job.yaml", "k8s/secrets.example.yaml"]) {
    assert.ok(names.includes(expected), `infra/${expected} exists (found ${names.join(", ")})`);
  }
  for (const file of files) assert.ok(documents(file).length > 0, `${relative(ROOT, file)} has a document`);
});

test("docker-compose: nats with the config and a volume, scalable agents, a coordinator profile", () => {
  const [compose] = documents(join(INFRA, "docker-compose.yml"));
  const services = obj(obj(compose, "compose").services, "services");

  const nats = obj(services.nats, "services.nats");
  assert.match(String(nats.image), /^nats:2\.10/);
  assert.match(words(nats.command), /-c \/etc\/nats\/nats-server\.conf/);
  const natsVolumes = arr(nats.volumes, "nats.volumes").map(String);
  assert.ok(natsVolumes.some((v) => v.startsWith("./nats-server.conf:/etc/nats/nats-server.conf")), "the config is mounted");
  assert.ok(natsVolumes.some((v) => /^[\w-]+:\/data\/jetstream/.test(v)), "JetStream stores in a named volume");
  const natsEnv = obj(nats.environment, "nats.environment");
  for (const name of SERVER_VARIABLES) assert.ok(name in natsEnv, `nats gets ${name}`);

  const agent = obj(services.agent, "services.agent");
  const build = obj(agent.build, "agent.build");
  assert.equal(build.dockerfile, "infra/Dockerfile");
  const agentCommand = arr(agent.command, "agent.command").map(String);
  assertKnownFlags(agentCommand, "compose agent");
  assert.equal(agentCommand[0], "agent");
  assert.match(agentCommand.join(" "), /--nats nats:\/\/nats:4222/);
  assert.match(agentCommand.join(" "), /--allow-target \S+/);
  // `docker compose up --scale agent=3` refuses a fixed container name or host port.
  assert.equal(agent.container_name, undefined, "agent has no container_name");
  assert.equal(agent.ports, undefined, "agent publishes no host port");
  assert.equal(agent.profiles, undefined, "agents start with a plain `up`");

  const coordinator = obj(services.coordinator, "services.coordinator");
  assert.deepEqual(coordinator.profiles, ["coordinator"]);
  assertKnownFlags(arr(coordinator.command, "coordinator.command").map(String), "compose coordinator");
  const runCommand = words(coordinator.command);
  assert.match(runCommand, /^run \/scenario\//);
  assert.match(runCommand, /--nats nats:\/\/nats:4222/);
  assert.match(runCommand, /--agents \S+/);
  assert.match(runCommand, /--out \/report/);
  const coordinatorVolumes = arr(coordinator.volumes, "coordinator.volumes").map(String);
  assert.ok(coordinatorVolumes.some((v) => /:\/scenario:ro$/.test(v)), "the scenario folder is mounted read-only");
  assert.ok(coordinatorVolumes.some((v) => /:\/report$/.test(v)), "the report folder is mounted");

  // Continuous shadow: a tap in front of production and the shadow coordinator, both opt-in.
  const tap = obj(services.tap, "services.tap");
  const shadow = obj(services.shadow, "services.shadow");
  for (const [name, service] of [["tap", tap], ["shadow", shadow]] as const) {
    assert.deepEqual(service.profiles, ["shadow"], `${name} runs only with --profile shadow`);
    assertKnownFlags(arr(service.command, `${name}.command`).map(String), `compose ${name}`);
    assert.match(words(service.command), new RegExp(`^${name} .*--nats nats://nats:4222 --nats-nkey /run/secrets/${name === "tap" ? "tap" : "coordinator"}_nkey`));
  }
  assert.match(words(tap.command), /--listen 0\.0\.0\.0:8080 --upstream \S+/);
  assert.match(words(shadow.command), /--candidate \S+ .*--out \/shadow --metrics 0\.0\.0\.0:9464/);

  for (const [name, file] of Object.entries(obj(compose?.secrets, "secrets"))) {
    assert.match(String(obj(file, name).file), /^\.\/secrets\/.+\.nk$/);
  }
});

test("Dockerfile: node:20-slim, npm ci, build, non-root, the CLI as entrypoint", () => {
  const text = readFileSync(join(INFRA, "Dockerfile"), "utf8");
  assert.match(text, /^FROM node:20-slim\b/m);
  assert.match(text, /^RUN npm ci$/m);
  assert.match(text, /npm run build/);
  const user = [...text.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
  assert.ok(user && user !== "root" && user !== "0", `the final stage runs as a non-root user (${user})`);
  assert.match(text, /^ENTRYPOINT \["node", "packages\/cli\/bin\/parallax\.js"\]$/m);
});

interface Container {
  readonly image: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly volumeMounts?: { name: string; mountPath: string }[];
  readonly resources?: Json;
  readonly securityContext?: Json;
}
interface PodSpec {
  readonly containers: Container[];
  readonly volumes?: ({ name: string } & Json)[];
  readonly securityContext?: Json;
}
const podSpec = (workload: Json): PodSpec => obj(obj(obj(workload.spec, "spec").template, "template").spec, "pod spec") as unknown as PodSpec;

test("k8s: the agents Deployment runs `parallax agent`, 3 replicas, with resources and no probe", () => {
  const docs = documents(join(INFRA, "k8s/agents-deployment.yaml"));
  const deployment = docs.find((d) => d.kind === "Deployment");
  assert.ok(deployment, "a Deployment");
  assert.equal(deployment.apiVersion, "apps/v1");
  assert.equal(obj(deployment.spec, "spec").replicas, 3);
  const pod = podSpec(deployment);
  assert.equal(pod.containers.length, 1);
  const [agent] = pod.containers;
  assert.ok(agent);
  assert.match(agent.image, /parallax/);
  assertKnownFlags([...(agent.command ?? []), ...(agent.args ?? [])], "k8s agent");
  const argv = words([...(agent.command ?? []), ...(agent.args ?? [])]);
  assert.match(argv, /^agent --nats nats:\/\/\S+:4222/);
  assert.match(argv, /--allow-target \S+/);
  assert.ok(obj(agent.resources, "resources").requests, "resource requests");
  const container = agent as unknown as Json;
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    const value = container[probe] as Json | undefined;
    assert.ok(value === undefined || "exec" in value, `${probe}: none or exec (an agent serves no port)`);
  }
  assert.equal(obj(pod.securityContext, "pod securityContext").runAsNonRoot, true);
  assert.equal(obj(agent.securityContext, "container securityContext").allowPrivilegeEscalation, false);
});

test("k8s: the tap Deployment and Service, and the shadow coordinator with its metrics", () => {
  const tapDocs = documents(join(INFRA, "k8s/tap-deployment.yaml"));
  const tapDeployment = tapDocs.find((d) => d.kind === "Deployment");
  const tapService = tapDocs.find((d) => d.kind === "Service");
  assert.ok(tapDeployment && tapService, "a tap Deployment and Service");
  const [tap] = podSpec(tapDeployment).containers;
  assert.ok(tap);
  const tapArgv = [...(tap.command ?? []), ...(tap.args ?? [])];
  assertKnownFlags(tapArgv, "k8s tap");
  assert.match(words(tapArgv), /^tap --listen 0\.0\.0\.0:8080 --upstream \S+ --nats \S+ --nats-nkey \/etc\/parallax\/nats\/tap\.nk/);
  const tapContainer = tap as unknown as Json;
  // Every HTTP path goes to production: probes must not send HTTP requests through the tap.
  for (const probe of ["readinessProbe", "livenessProbe"]) assert.ok("tcpSocket" in obj(tapContainer[probe], probe), `${probe} is a TCP probe`);
  assert.equal(obj(podSpec(tapDeployment).volumes?.find((v) => v.name === "nats-credentials")?.secret, "tap credentials").secretName, "parallax-nats-tap");

  const shadowDocs = documents(join(INFRA, "k8s/shadow-deployment.yaml"));
  const shadowDeployment = shadowDocs.find((d) => d.kind === "Deployment");
  assert.ok(shadowDeployment && shadowDocs.some((d) => d.kind === "Service"), "a shadow Deployment and a metrics Service");
  const spec = obj(shadowDeployment.spec, "spec");
  // One coordinator per stream: never two at once, not even during a rollout.
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: "Recreate" });
  const [shadow] = podSpec(shadowDeployment).containers;
  assert.ok(shadow);
  const shadowArgv = [...(shadow.command ?? []), ...(shadow.args ?? [])];
  assertKnownFlags(shadowArgv, "k8s shadow");
  assert.match(words(shadowArgv), /^shadow --nats \S+ --nats-nkey \/etc\/parallax\/nats\/coordinator\.nk .*--candidate \S+ .*--metrics 0\.0\.0\.0:9464/);
  const annotations = obj(obj(obj(obj(spec.template, "template").metadata, "metadata").annotations, "annotations"), "annotations");
  assert.equal(annotations["prometheus.io/port"], "9464");
});

test("k8s: the run Job runs `parallax run` on the ConfigMap scenario and writes /report to an emptyDir", () => {
  const docs = documents(join(INFRA, "k8s/run-job.yaml"));
  const job = docs.find((d) => d.kind === "Job");
  const configMap = docs.find((d) => d.kind === "ConfigMap");
  assert.ok(job, "a Job");
  assert.ok(configMap, "a ConfigMap with the scenario");
  assert.equal(job.apiVersion, "batch/v1");
  assert.ok("scenario.yaml" in obj(configMap.data, "ConfigMap data"));
  const pod = podSpec(job);
  const [run] = pod.containers;
  assert.ok(run);
  assert.match(run.image, /parallax/);
  const script = words([...(run.command ?? []), ...(run.args ?? [])]).replace(/\\\n\s*/g, "");
  assertKnownFlags(script.replace(/^.*?parallax(\.js)? /s, "").split(/\s+/), "k8s run job");
  assert.match(script, /parallax(\.js)? run \/scenario\/scenario\.yaml/);
  assert.match(script, /--nats \S+/);
  assert.match(script, /--agents 3/);
  assert.match(script, /--out \/report/);
  const mounts = new Map((run.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const scenario = volumes.get(mounts.get("/scenario") ?? "");
  const report = volumes.get(mounts.get("/report") ?? "");
  assert.equal(obj(scenario?.configMap, "scenario volume configMap").name, configMap && obj(configMap.metadata, "metadata").name);
  assert.ok(report && "emptyDir" in report, "the report goes to an emptyDir");
  assert.equal((pod as unknown as Json).restartPolicy, "Never");
});

test("k8s: secrets example and NATS chart values (JetStream on, file storage)", () => {
  const secrets = documents(join(INFRA, "k8s/secrets.example.yaml")).filter((d) => d.kind === "Secret");
  assert.ok(secrets.length >= 1);
  const serverSecret = secrets.find((s) => obj(s.metadata, "metadata").name === "parallax-nats-server");
  assert.ok(serverSecret, "the server's secret");
  for (const key of SERVER_VARIABLES) assert.ok(key in obj(serverSecret.stringData, "stringData"), key);
  for (const [name, seed] of [["parallax-nats-agent", "agent.nk"], ["parallax-nats-coordinator", "coordinator.nk"], ["parallax-nats-tap", "tap.nk"]] as const) {
    const secret = secrets.find((s) => obj(s.metadata, "metadata").name === name);
    assert.ok(secret && seed in obj(secret.stringData, "stringData"), `secret ${name} holds ${seed}`);
  }
  const [values] = documents(join(INFRA, "k8s/nats-values.yaml"));
  const jetstream = obj(obj(obj(values, "values").config, "config").jetstream, "config.jetstream");
  assert.equal(jetstream.enabled, true);
  assert.equal(obj(jetstream.fileStore, "fileStore").enabled, true);
  const env = obj(obj(values?.container, "container").env, "container.env");
  for (const key of SERVER_VARIABLES) assert.ok(key in env, `the server container gets ${key}`);
});

test("systemd: a template unit that runs `parallax agent` named after the instance, hardened", () => {
  const text = readFileSync(join(INFRA, "systemd/parallax-agent@.service"), "utf8");
  const keys = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? "";
      continue;
    }
    const [key, ...rest] = line.split("=");
    const list = keys.get(`${section}.${key}`) ?? [];
    list.push(rest.join("="));
    keys.set(`${section}.${key}`, list);
  }
  const one = (key: string) => keys.get(key)?.at(-1);
  assert.match(one("Service.ExecStart") ?? "", /parallax\.js agent .*--name %i/);
  assert.match(one("Service.ExecStart") ?? "", /--nats \S+/);
  assert.equal(one("Service.EnvironmentFile"), "/etc/parallax/agent-%i.env");
  assert.equal(one("Service.Restart"), "on-failure");
  assert.equal(one("Service.NoNewPrivileges"), "yes");
  assert.equal(one("Service.ProtectSystem"), "strict");
  assert.equal(one("Service.PrivateTmp"), "yes");
  assert.ok(one("Service.DynamicUser") === "yes" || one("Service.User"), "DynamicUser or a dedicated User");
  assert.equal(one("Install.WantedBy"), "multi-user.target");
});

test("systemd-analyze accepts the unit", (t) => {
  const probe = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) {
    t.skip("systemd-analyze not found");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "parallax-unit-"));
  try {
    const unit = join(dir, "parallax-agent@a1.service");
    writeFileSync(unit, readFileSync(join(INFRA, "systemd/parallax-agent@.service")));
    const result = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    const complaints = `${result.stdout}${result.stderr}`.split("\n").filter((l) => l.includes(unit) && !/is not executable|No such file/.test(l));
    assert.deepEqual(complaints, [], "no unknown keys or unparsable values");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("gen-credentials makes passwords nats-server reads as strings, and nkeys, for every role", (t) => {
  // nats-server parses an unquoted variable's value: "5E…" was read as a number and the server
  // refused to start (a test run caught it). Letters and digits only, a letter first.
  const bin = natsServer();
  for (let run = 0; run < 12; run++) {
    const dir = mkdtempSync(join(tmpdir(), "parallax-credentials-"));
    try {
      const made = spawnSync(process.execPath, [join(INFRA, "scripts/gen-credentials.mjs"), "--out", dir, "--agents", "a1,a2,a3"], { cwd: ROOT, encoding: "utf8" });
      assert.equal(made.status, 0, made.stderr);
      const env = Object.fromEntries(
        readFileSync(join(dir, ".env"), "utf8")
          .split("\n")
          .filter((line) => /^PARALLAX_\w+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      for (const name of SERVER_VARIABLES) assert.ok(name in env, `.env has ${name}`);
      for (const [name, value] of Object.entries(env)) {
        assert.match(value, name.endsWith("_PASSWORD") ? /^[A-Za-z][A-Za-z0-9]{31}$/ : /^U[A-Z2-7]{55}$/, name);
      }
      if (!bin) continue;
      for (const file of ["nats-server.conf", "nats-server.per-agent.conf"]) {
        const { ok, output } = checkConfig(bin, join(INFRA, file), env);
        assert.ok(ok, `nats-server -t -c infra/${file} with generated credentials: ${output}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!bin) t.diagnostic("nats-server not found: the generated values were checked by form only");
});

test("nats-server accepts nats-server.conf and nats-server.per-agent.conf", (t) => {
  const bin = natsServer();
  if (!bin) {
    t.skip("nats-server not found (set NATS_SERVER_BIN or put it on PATH)");
    return;
  }
  for (const file of ["nats-server.conf", "nats-server.per-agent.conf"]) {
    const { ok, output } = checkConfig(bin, join(INFRA, file));
    assert.ok(ok, `nats-server -t -c infra/${file}: ${output}`);
  }
  // The passwords come from the environment: without them the server refuses to start.
  const { ok, output } = checkConfig(bin, join(INFRA, "nats-server.conf"), {});
  assert.equal(ok, false);
  assert.match(output, /PARALLAX_/);
});

test("the nats.conf rendered from the Helm values is accepted by nats-server", (t) => {
  const bin = natsServer();
  if (!bin) {
    t.skip("nats-server not found (set NATS_SERVER_BIN or put it on PATH)");
    return;
  }
  const [values] = documents(join(INFRA, "k8s/nats-values.yaml"));
  const merge = obj(obj(obj(values, "values").config, "config").merge, "config.merge");
  // The chart writes `<< $VAR >>` values unquoted; everything else as JSON, which nats.conf reads.
  const body = Object.entries(merge)
    .map(([key, value]) => `${key}: ${JSON.stringify(value).replace(/"<< (\$\w+) >>"/g, "$1")}`)
    .join("\n");
  const dir = mkdtempSync(join(tmpdir(), "parallax-nats-"));
  try {
    const conf = join(dir, "nats.conf");
    writeFileSync(conf, `port: 4222\njetstream { store_dir: "${join(dir, "js")}" }\n${body}\n`);
    const { ok, output } = checkConfig(bin, conf);
    assert.ok(ok, `nats-server -t on the rendered Helm config: ${output}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Helm values carry the same permissions as nats-server.conf", () => {
  const [values] = documents(join(INFRA, "k8s/nats-values.yaml"));
  const auth = obj(obj(obj(obj(values, "values").config, "config").merge, "merge").authorization, "authorization");
  const conf = readFileSync(join(INFRA, "nats-server.conf"), "utf8").replace(/#.*$/gm, "");
  const roles = ["COORDINATOR", "AGENT", "TAP"];
  for (const role of roles) {
    // The role's block in nats-server.conf: from `ROLE = {` to the next role or the users list.
    const start = conf.indexOf(`  ${role} = {`);
    assert.ok(start >= 0, `nats-server.conf defines ${role}`);
    const ends = [...roles.map((r) => conf.indexOf(`  ${r} = {`, start + 1)), conf.indexOf("  users = [", start)].filter((i) => i > start);
    const block = conf.slice(start, Math.min(...ends));
    const inConf = (direction: string, kind: string) => {
      const section = new RegExp(`${direction} = \\{([\\s\\S]*?)\\n    \\}`).exec(block)?.[1] ?? "";
      const list = new RegExp(`${kind} = \\[([\\s\\S]*?)\\]`).exec(section)?.[1] ?? "";
      return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort();
    };
    const perms = obj(auth[role], role);
    for (const direction of ["publish", "subscribe"]) {
      const rules = obj(perms[direction], `${role}.${direction}`);
      for (const kind of ["allow", "deny"]) {
        assert.deepEqual([...((rules[kind] as string[] | undefined) ?? [])].sort(), inConf(direction, kind), `${role} ${direction} ${kind}: Helm values and nats-server.conf agree`);
      }
    }
  }
});
