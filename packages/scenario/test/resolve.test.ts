import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidInputError, formatIssue } from "@parallax/protocol";
import { resolveScenario, type ResolveOptions, type Scenario } from "../src/index.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-scenario-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  await writeFile(join(dir, name), text);
  return name;
}

async function load(name: string, text: string, options: Partial<ResolveOptions> = {}): Promise<Scenario> {
  return resolveScenario({ file: await write(name, text), env: {}, cwd: dir, ...options });
}

/** The formatted issues of the InvalidInputError the resolution must fail with. */
async function issues(run: Promise<Scenario>): Promise<string[]> {
  const error: unknown = await run.then(
    () => assert.fail("expected an InvalidInputError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidInputError, String(error));
  return error.issues.map(formatIssue);
}

const MINIMAL = `targets:
  production: http://127.0.0.1:8081
  candidate: http://127.0.0.1:8082
traffic:
  file: recording.jsonl
`;

describe("resolveScenario: a valid file", () => {
  it("fills every default", async () => {
    const s = await load("minimal.yaml", MINIMAL);
    assert.deepEqual(s, {
      name: "minimal",
      file: join(dir, "minimal.yaml"),
      targets: {
        production: { url: "http://127.0.0.1:8081", timeoutMs: 10_000, headers: {} },
        candidate: { url: "http://127.0.0.1:8082", timeoutMs: 10_000, headers: {} },
      },
      traffic: { file: join(dir, "recording.jsonl"), format: "auto", redact: { headers: [], query: [] } },
      grpc: { protos: [], importPaths: [], baseDir: dir },
      load: { model: "constant", rate: 100 },
      compare: {
        ignore: [],
        tolerance: { absolute: 0, relative: 0 },
        headers: ["content-type"],
        allowUnsafeProduction: [],
        noise: { alpha: 0.01, minEffect: 0.001, method: "mcnemar" },
        exemplars: 3,
        endpoints: [],
        rules: [],
        latency: { confidence: 0.95, minEffect: { relative: 0.1, absoluteMs: 2 } },
      },
      thresholds: [],
      abort: [],
    });
  });

  it("reads every field", async () => {
    await mkdir(join(dir, "sub"), { recursive: true });
    const s = await resolveScenario({
      file: await write(
        "sub/full.yaml",
        `name: demo
targets:
  production: { url: http://127.0.0.1:8081, timeout: 1.5s, headers: { X-Env: prod, x-version: 2 } }
  candidate:  https://candidate.example:8443/base
  secondary:  { url: http://127.0.0.1:8083 }
traffic:
  file: ../traffic/recording.har
  format: har
  redact: { headers: [X-Secret], query: [session] }
load:
  rate: 500
  duration: 1h30m
compare:
  ignore: ["$.model_version", "$.predictions[*].id", "$['a b'][0]"]
  tolerance: 0.001
  headers: [Content-Type, x-model]
  allowUnsafeProduction: ["POST /v1/models/*"]
  noise: { alpha: 0.05 }
  exemplars: 0
thresholds:
  maxDiffRate: 0.01
  maxLatencyRatio: 1.2
`,
      ),
      env: {},
      cwd: dir,
    });
    assert.deepEqual(s, {
      name: "demo",
      file: join(dir, "sub/full.yaml"),
      targets: {
        production: { url: "http://127.0.0.1:8081", timeoutMs: 1500, headers: { "x-env": "prod", "x-version": "2" } },
        candidate: { url: "https://candidate.example:8443/base", timeoutMs: 10_000, headers: {} },
        secondary: { url: "http://127.0.0.1:8083", timeoutMs: 10_000, headers: {} },
      },
      traffic: { file: join(dir, "traffic/recording.har"), format: "har", redact: { headers: ["x-secret"], query: ["session"] } },
      grpc: { protos: [], importPaths: [], baseDir: join(dir, "sub") },
      load: { model: "constant", rate: 500, durationMs: 5_400_000 },
      compare: {
        ignore: ["$.model_version", "$.predictions[*].id", "$['a b'][0]"],
        tolerance: { absolute: 0.001, relative: 0 },
        headers: ["content-type", "x-model"],
        allowUnsafeProduction: ["POST /v1/models/*"],
        noise: { alpha: 0.05, minEffect: 0.001, method: "mcnemar" },
        exemplars: 0,
        endpoints: [],
        rules: [],
        latency: { confidence: 0.95, minEffect: { relative: 0.1, absoluteMs: 2 } },
      },
      thresholds: [{ expression: "diff.rate <= 1%" }, { expression: "candidate.p99 <= 1.2 * production.p99" }],
      abort: [],
    });
  });

  it("infers the load model from its keys, or takes it by name", async () => {
    const replay = await load("replay.yaml", `${MINIMAL}load: { speed: 2, maxGap: 5s }\n`);
    assert.deepEqual(replay.load, { model: "replay", speed: 2, maxGapMs: 5000 });
    const named = await load("named.yaml", `${MINIMAL}load: { model: replay }\n`);
    assert.deepEqual(named.load, { model: "replay", speed: 1 });
    const constant = await load("constant.yaml", `${MINIMAL}load: { duration: 2m }\n`);
    assert.deepEqual(constant.load, { model: "constant", rate: 100, durationMs: 120_000 });
    const tolerance = await load("tolerance.yaml", `${MINIMAL}compare: { tolerance: { relative: 0.0001 } }\n`);
    assert.deepEqual(tolerance.compare.tolerance, { absolute: 0, relative: 0.0001 });
  });

  it("takes the traffic file alone as shorthand, relative to the scenario", async () => {
    await mkdir(join(dir, "short"), { recursive: true });
    const s = await load("short/traffic.yaml", "targets: { production: http://a, candidate: http://b }\ntraffic: rec/r.har\n");
    assert.deepEqual(s.traffic, { file: join(dir, "short/rec/r.har"), format: "auto", redact: { headers: [], query: [] } });
    assert.deepEqual(
      await issues(load("short/bad.yaml", "targets: { production: http://a, candidate: http://b }\ntraffic: 5\n")),
      ["short/bad.yaml:2:10: traffic: expected the recording's path or a mapping with file, format and redact, got 5"],
    );
  });

  it("reads JSON files the same way", async () => {
    const s = await load(
      "scenario.json",
      JSON.stringify({
        $schema: "./scenario.schema.json",
        targets: { production: "http://127.0.0.1:8081", candidate: { url: "http://127.0.0.1:8082", timeout: "2s" } },
        traffic: { file: "recording.jsonl" },
        load: { model: "replay", speed: 4 },
      }),
    );
    assert.equal(s.name, "scenario");
    assert.deepEqual(s.targets.candidate, { url: "http://127.0.0.1:8082", timeoutMs: 2000, headers: {} });
    assert.deepEqual(s.load, { model: "replay", speed: 4 });
  });
});

describe("resolveScenario: issues at their line:col", () => {
  it("unknown keys, at the key, with a suggestion", async () => {
    assert.deepEqual(await issues(load("typo.yaml", `${MINIMAL}load:\n  rate: 5\n  duraton: 2m\ncompre: {}\n`)), [
      "typo.yaml:8:3: load.duraton: unknown key \"duraton\" (did you mean \"duration\"?)",
      "typo.yaml:9:1: compre: unknown key \"compre\" (did you mean \"compare\"?)",
    ]);
  });

  it("unknown keys without a close match list what is allowed", async () => {
    assert.deepEqual(await issues(load("unknown.yaml", `${MINIMAL}thresholds: { p99: 5 }\n`)), [
      "unknown.yaml:6:15: thresholds.p99: unknown key \"p99\" (expected one of: maxDiffRate, maxErrorRate, maxLatencyRatio)",
    ]);
  });

  it("bad durations, at the value", async () => {
    assert.deepEqual(
      await issues(load("duration.yaml", `${MINIMAL}load:\n  rate: 5\n  duration: 10 minutes\n`)),
      ['duration.yaml:8:13: load.duration: invalid duration "10 minutes" (use e.g. 500ms, 10s, 2m)'],
    );
    assert.deepEqual(
      await issues(load("plain.yaml", `${MINIMAL}load: { rate: 5, duration: 120 }\n`)),
      ['plain.yaml:6:28: load.duration: plain number 120 is not a duration: write the unit, e.g. "120ms" or "120s"'],
    );
    assert.deepEqual(
      await issues(load("zero.yaml", `${MINIMAL}load: { rate: 5, duration: 0s }\n`)),
      ["zero.yaml:6:28: load.duration: must be more than 0 (leave duration out to send each recorded request once)"],
    );
  });

  it("target URLs with credentials, a query or a fragment", async () => {
    const text = `targets:
  production: http://user:pw@127.0.0.1:8081
  candidate: http://127.0.0.1:8082/api?x=1
traffic: { file: r.jsonl }
`;
    assert.deepEqual(await issues(load("creds.yaml", text)), [
      'creds.yaml:2:15: targets.production.url: URL must not contain credentials (user:password@); give them as target headers from the environment, e.g. headers: { authorization: "${TOKEN}" }',
      "creds.yaml:3:14: targets.candidate.url: URL must be a base URL without query or fragment (the recording supplies those)",
    ]);
  });

  it("unsupported URL schemes and invalid URLs", async () => {
    const text = `targets:
  production: { url: "ftp://127.0.0.1:8081" }
  candidate: ftp://127.0.0.1:8082
  secondary: not a url
traffic: { file: r.jsonl }
`;
    assert.deepEqual(await issues(load("url.yaml", text)), [
      'url.yaml:2:22: targets.production.url: unsupported scheme "ftp:" (use http://, https://, grpc:// or grpcs://)',
      'url.yaml:3:14: targets.candidate.url: unsupported scheme "ftp:" (use http://, https://, grpc:// or grpcs://)',
      'url.yaml:4:14: targets.secondary.url: invalid URL "not a url" (use e.g. http://127.0.0.1:8080)',
    ]);
  });

  it("wrong types, at the value", async () => {
    const text = `${MINIMAL}load:
  rate: fast
compare:
  ignore: $.id
  exemplars: 2.5
  tolerance: [1]
`;
    assert.deepEqual(await issues(load("types.yaml", text)), [
      'types.yaml:7:9: load.rate: expected a number, got "fast"',
      'types.yaml:9:11: compare.ignore: expected a list, got "$.id"',
      "types.yaml:10:14: compare.exemplars: must be a whole number, got 2.5",
      "types.yaml:11:14: compare.tolerance: expected a number or { absolute, relative }, got a list",
    ]);
  });

  it("missing targets and traffic, at the mapping that lacks them", async () => {
    assert.deepEqual(await issues(load("empty.yaml", "name: nothing\n")), [
      "empty.yaml:1:1: targets: required key missing (add targets: with production: and candidate: URLs, or pass --production and --candidate)",
      "empty.yaml:1:1: traffic: required key missing (add traffic: { file: <recording .jsonl or .har> }, or pass --traffic <file>)",
    ]);
    assert.deepEqual(
      await issues(load("half.yaml", "targets:\n  production: http://127.0.0.1:1\ntraffic:\n  format: har\n")),
      [
        "half.yaml:2:3: targets.candidate: required key missing (add candidate: <URL of the version under test>, or pass --candidate <URL>)",
        "half.yaml:4:3: traffic.file: required key missing (add file: <path of the recording>, or pass --traffic <file>)",
      ],
    );
  });

  it("rates that are not above zero", async () => {
    assert.deepEqual(await issues(load("rate0.yaml", `${MINIMAL}load: { rate: 0 }\n`)), [
      "rate0.yaml:6:15: load.rate: must be > 0 (requests per second), got 0",
    ]);
    assert.deepEqual(await issues(load("rateneg.yaml", `${MINIMAL}load: { model: replay, speed: -1 }\n`)), [
      "rateneg.yaml:6:31: load.speed: must be > 0 (1 is the recorded pace, 2 twice as fast), got -1",
    ]);
  });

  it("load models that do not exist or cannot be told apart", async () => {
    assert.deepEqual(await issues(load("model.yaml", `${MINIMAL}load: { model: replya }\n`)), [
      'model.yaml:6:16: load.model: unknown load model "replya" (did you mean "replay"?)',
    ]);
    assert.deepEqual(await issues(load("both.yaml", `${MINIMAL}load: { rate: 5, speed: 2 }\n`)), [
      "both.yaml:6:7: load: cannot tell the load model from rate (constant) and speed (replay) (set model: to one of constant, replay)",
    ]);
    assert.deepEqual(await issues(load("other.yaml", `${MINIMAL}load: { model: replay, rate: 5 }\n`)), [
      'other.yaml:6:24: load.rate: unknown key "rate" (expected one of: model, speed, maxGap)',
    ]);
  });

  it("every problem of a file at once, in reading order", async () => {
    const text = `name: demo
targets:
  production: { url: http://127.0.0.1:8081, timout: 5s }
  candidate: ftp://127.0.0.1:8082
traffic:
  file: recording.jsonl
  format: xml
load:
  rate: -1
  duration: soon
compare:
  ignore: ["$.ok", "oops"]
  allowUnsafeProduction: ["POST"]
thresholds:
  maxDiffRate: 2
`;
    assert.deepEqual(await issues(load("many.yaml", text)), [
      'many.yaml:3:45: targets.production.timout: unknown key "timout" (did you mean "timeout"?)',
      'many.yaml:4:14: targets.candidate.url: unsupported scheme "ftp:" (use http://, https://, grpc:// or grpcs://)',
      'many.yaml:7:11: traffic.format: expected one of auto, har, jsonl, got "xml"',
      "many.yaml:9:9: load.rate: must be > 0 (requests per second), got -1",
      'many.yaml:10:13: load.duration: invalid duration "soon" (use e.g. 500ms, 10s, 2m)',
      'many.yaml:12:20: compare.ignore[1]: invalid JSONPath "oops": it must start with "$" (use e.g. "$.model_version" or "$.predictions[*].id")',
      'many.yaml:13:27: compare.allowUnsafeProduction[0]: invalid rule "POST" (use METHOD /path, e.g. "POST /v1/models/*:predict", or service/method for gRPC, e.g. "inference.GRPCInferenceService/*"; * matches within a segment, ** across segments)',
      "many.yaml:15:16: thresholds.maxDiffRate: must be between 0 and 1 (a share of compared pairs), got 2",
    ]);
  });

  it("JSON syntax and YAML syntax errors", async () => {
    assert.deepEqual(await issues(load("bad.yaml", "targets:\n  production: [\n")), [
      "bad.yaml:3:1: invalid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    assert.deepEqual(await issues(load("dup.json", '{\n  "name": "a",\n  "name": "b"\n}\n')), [
      "dup.json:3:3: invalid YAML/JSON: Map keys must be unique",
    ]);
    assert.deepEqual(await issues(load("list.yaml", "- a\n- b\n")), [
      "list.yaml:1:1: expected a mapping of scenario keys at the top level, got a list",
    ]);
  });

  it("in JSON files, with their line:col", async () => {
    const text = `{
  "targets": { "production": "http://a", "candidate": "http://b" },
  "traffic": { "file": "r.jsonl" },
  "load": { "rate": 10, "duration": "10 minutes" }
}
`;
    assert.deepEqual(await issues(load("bad.json", text)), [
      'bad.json:4:37: load.duration: invalid duration "10 minutes" (use e.g. 500ms, 10s, 2m)',
    ]);
  });

  it("a file that cannot be read", async () => {
    assert.deepEqual(await issues(resolveScenario({ file: "absent.yaml", env: {}, cwd: dir })), [
      "absent.yaml: cannot read the scenario file: no such file (check the path)",
    ]);
  });
});

describe("resolveScenario: environment variables", () => {
  const text = `targets:
  production: \${PROD_URL}
  candidate: { url: "\${CAND_URL:-http://127.0.0.1:9000}", headers: { authorization: "Bearer \${TOKEN}" } }
traffic: { file: r.jsonl }
load:
  rate: \${RATE:-50}
  duration: "\${DURATION:-10s}"
name: "cost $\${HOME}"
`;

  it("substitutes ${VAR} and ${VAR:-default}, typing unquoted values", async () => {
    const s = await load("env.yaml", text, { env: { PROD_URL: "http://prod:80", TOKEN: "t0k", RATE: "250" } });
    assert.equal(s.targets.production.url, "http://prod:80");
    assert.deepEqual(s.targets.candidate, {
      url: "http://127.0.0.1:9000",
      timeoutMs: 10_000,
      headers: { authorization: "Bearer t0k" },
      headerTemplates: { authorization: "Bearer ${TOKEN}" },
    });
    assert.deepEqual(s.load, { model: "constant", rate: 250, durationMs: 10_000 });
    assert.equal(s.name, "cost ${HOME}");
  });

  it("uses the default for an empty variable", async () => {
    const s = await load("env-empty.yaml", text, { env: { PROD_URL: "http://prod", TOKEN: "t", CAND_URL: "" } });
    assert.equal(s.targets.candidate.url, "http://127.0.0.1:9000");
    assert.equal(s.load.model === "constant" && s.load.rate, 50);
  });

  it("reports a variable without a value or default, once, at its value", async () => {
    assert.deepEqual(await issues(load("env-missing.yaml", text, { env: { TOKEN: "t" } })), [
      'env-missing.yaml:2:15: targets.production: environment variable "PROD_URL" not set (set it or give a default: ${PROD_URL:-value})',
    ]);
    assert.deepEqual(await issues(load("env-bad.yaml", `${MINIMAL}name: "\${1BAD}"\n`)), [
      'env-bad.yaml:6:7: name: malformed variable in "${1BAD}" (write ${NAME} or ${NAME:-default}; $${ for a literal "${")',
    ]);
  });
});

describe("resolveScenario: overrides", () => {
  it("win over the file, deep-merged, lists replaced", async () => {
    const s = await load(
      "base.yaml",
      `${MINIMAL.replace("production: http://127.0.0.1:8081", "production: { url: http://127.0.0.1:8081, timeout: 3s }")}load: { rate: 5 }
compare: { ignore: ["$.a", "$.b"], exemplars: 7 }
`,
      {
        overrides: {
          targets: { production: "http://override:1" },
          load: { rate: 500, duration: "2m" },
          compare: { ignore: ["$.c"], headers: undefined },
          thresholds: { maxErrorRate: 0.5 },
        },
      },
    );
    assert.deepEqual(s.targets.production, { url: "http://override:1", timeoutMs: 3000, headers: {} });
    assert.deepEqual(s.load, { model: "constant", rate: 500, durationMs: 120_000 });
    assert.deepEqual(s.compare.ignore, ["$.c"]);
    assert.equal(s.compare.exemplars, 7);
    assert.deepEqual(s.compare.headers, ["content-type"]);
    assert.deepEqual(s.thresholds, [{ expression: "candidate.errors.rate <= 50%" }]);
  });

  it("replace the file's load when they pick another model", async () => {
    const s = await load("switch.yaml", `${MINIMAL}load: { rate: 5, duration: 1m }\n`, { overrides: { load: { speed: 3 } } });
    assert.deepEqual(s.load, { model: "replay", speed: 3 });
  });

  it("define a run without a file; traffic is relative to cwd", async () => {
    const s = await resolveScenario({
      overrides: { targets: { production: "http://a:1", candidate: "http://b:2" }, traffic: { file: "t/r.jsonl" } },
      env: {},
      cwd: dir,
    });
    assert.equal(s.name, "adhoc");
    assert.equal(s.file, undefined);
    assert.equal(s.traffic.file, join(dir, "t/r.jsonl"));
  });

  it("resolve an overridden traffic file against cwd, not the scenario's directory", async () => {
    await mkdir(join(dir, "nested"), { recursive: true });
    await write("nested/s.yaml", MINIMAL);
    const fromFile = await resolveScenario({ file: "nested/s.yaml", env: {}, cwd: dir });
    assert.equal(fromFile.traffic.file, join(dir, "nested/recording.jsonl"));
    const fromFlag = await resolveScenario({ file: "nested/s.yaml", env: {}, cwd: dir, overrides: { traffic: { file: "other.har" } } });
    assert.equal(fromFlag.traffic.file, join(dir, "other.har"));
    await write("nested/keep.yaml", `${MINIMAL}  format: jsonl\n`);
    const keeps = await resolveScenario({ file: "nested/keep.yaml", env: {}, cwd: dir, overrides: { traffic: "other.jsonl" } });
    assert.deepEqual([keeps.traffic.file, keeps.traffic.format], [join(dir, "other.jsonl"), "jsonl"]);
  });

  it("report their issues at the flag, alongside the file's", async () => {
    const run = load("flags.yaml", `${MINIMAL}load: { rate: 5 }\ncompare: { exemplars: -1 }\n`, {
      overrides: { load: { rate: -3, duration: "2 minutes" }, targets: { candidate: "gopher://x" }, thresholds: { maxErrorRate: 3 } },
      overrideSources: { "load.rate": "--rate", "load.duration": "--duration", "targets.candidate": "--candidate" },
    });
    assert.deepEqual(await issues(run), [
      "flags.yaml:7:23: compare.exemplars: must be >= 0, got -1",
      '--candidate: targets.candidate.url: unsupported scheme "gopher:" (use http://, https://, grpc:// or grpcs://)',
      "thresholds.maxErrorRate: must be between 0 and 1 (a share of candidate requests), got 3",
      "--rate: load.rate: must be > 0 (requests per second), got -3",
      '--duration: load.duration: invalid duration "2 minutes" (use e.g. 500ms, 10s, 2m)',
    ]);
  });

  it("without a file, missing parts are named without a location", async () => {
    assert.deepEqual(await issues(resolveScenario({ overrides: { targets: { production: "http://a" } }, env: {}, cwd: dir })), [
      "targets.candidate: required key missing (add candidate: <URL of the version under test>, or pass --candidate <URL>)",
      "traffic: required key missing (add traffic: { file: <recording .jsonl or .har> }, or pass --traffic <file>)",
    ]);
  });

  it("are not interpolated", async () => {
    const s = await load("literal.yaml", MINIMAL, { overrides: { targets: { candidate: { url: "http://c", headers: { x: "${NOPE}" } } } } });
    assert.deepEqual(s.targets.candidate.headers, { x: "${NOPE}" });
  });
});
