import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveScenario, resolveShippedScenario, toScenarioDocument, type Scenario } from "../src/index.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-document-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fromFile(name: string, text: string): Promise<Scenario> {
  await writeFile(join(dir, name), text);
  return resolveScenario({ file: name, env: { TOKEN: "s3cret" }, cwd: dir });
}

/** What an agent does with a shipped document: resolve it elsewhere, from data alone. */
/** What an agent makes of the shipped document, with `env` as its environment. */
async function shipped(s: Scenario, env: Record<string, string> = {}): Promise<Scenario> {
  const document: unknown = JSON.parse(JSON.stringify(toScenarioDocument(s)));
  return resolveShippedScenario(document, env);
}

/** The scenario as the coordinator resolved it, minus what only the coordinator has (file, header templates). */
/** What an agent gets back: no file, and no proto files (the protos travel resolved in the bundle). */
function withoutFile(s: Scenario): Omit<Scenario, "file"> {
  const { file: _file, ...rest } = s;
  rest.grpc = { protos: [], importPaths: [], baseDir: "/" };
  const targets = Object.fromEntries(Object.entries(rest.targets).map(([role, t]) => [role, t && { url: t.url, timeoutMs: t.timeoutMs, headers: t.headers }]));
  return { ...rest, targets: targets as unknown as Scenario["targets"] };
}

describe("toScenarioDocument", () => {
  it("spells out every default in canonical form", async () => {
    const s = await fromFile(
      "canonical.yaml",
      "targets: { production: http://a:1, candidate: http://b:2 }\ntraffic: { file: r.jsonl }\nload: { rate: 20, duration: 90s }\n",
    );
    assert.deepEqual(toScenarioDocument(s), {
      name: "canonical",
      targets: {
        production: { url: "http://a:1", timeout: "10s", headers: {} },
        candidate: { url: "http://b:2", timeout: "10s", headers: {} },
      },
      traffic: { file: join(dir, "r.jsonl"), format: "auto", redact: { headers: [], query: [] } },
      load: { model: "constant", rate: 20, duration: "1m30s" },
      compare: {
        ignore: [],
        tolerance: { absolute: 0, relative: 0 },
        headers: ["content-type"],
        allowUnsafeProduction: [],
        noise: { alpha: 0.01, minEffect: 0.001, method: "mcnemar" },
        exemplars: 3,
        endpoints: [],
        rules: [],
        latency: { confidence: 0.95, minEffect: { relative: 0.1, absolute: "2ms" } },
      },
      thresholds: [],
      abort: [],
    });
  });

  it("round-trips a full scenario through resolveScenario", async () => {
    const s = await fromFile(
      "full.yaml",
      `name: full
targets:
  production: { url: http://127.0.0.1:8081, timeout: 1.5s, headers: { authorization: "Bearer \${TOKEN}", x-literal: "$\${not-a-var}" } }
  candidate: http://127.0.0.1:8082
  secondary: { url: https://s.example, timeout: 250ms }
traffic: { file: rec/traffic.har, format: har, redact: { headers: [x-secret], query: [session] } }
load: { model: replay, speed: 2.5, maxGap: 1h2m3.5s }
compare:
  ignore: ["$.id", "$.items[*]['x y']"]
  tolerance: { absolute: 0.5, relative: 0.01 }
  headers: [content-type, x-model]
  allowUnsafeProduction: ["POST /v1/**"]
  noise: { alpha: 0.05, minEffect: 0 }
  exemplars: 9
thresholds: { maxDiffRate: 0.1, maxErrorRate: 0, maxLatencyRatio: 1.25 }
`,
    );
    assert.equal(s.targets.production.headers["x-literal"], "${not-a-var}");
    assert.deepEqual(await shipped(s, { TOKEN: s.targets.production.headers["authorization"]?.slice("Bearer ".length) ?? "" }), withoutFile(s));
  });

  it("round-trips constant load with and without a duration", async () => {
    const base = "targets: { production: http://a, candidate: http://b }\ntraffic: { file: /abs/r.jsonl }\n";
    for (const load of ["", "load: { rate: 0.5 }\n", "load: { rate: 1000, duration: 0.25s }\n", "load: { speed: 1 }\n"]) {
      const s = await fromFile("constant.yaml", base + load);
      assert.deepEqual(await shipped(s), withoutFile(s), load);
    }
  });
});
