import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { REPLAY_MARKER_HEADER } from "@parallax/protocol";
import {
  GROUND_TRUTH_RULES,
  expectedCounts,
  groundTruthCase,
  groundTruthLabel,
  groundTruthRecording,
  groundTruthScore,
  startGroundTruthTarget,
  type GroundTruthRole,
  type RunningTarget,
} from "../src/index.js";

const ROLES: readonly GroundTruthRole[] = ["production", "candidate", "secondary"];

function countByIteration(count: number): ReturnType<typeof expectedCounts> {
  const c = { flips: 0, failures: 0, slow: 0, posts: 0, gets: 0 };
  for (let n = 0; n < count; n++) {
    const x = groundTruthCase(n);
    if (x.flip) c.flips++;
    if (x.fail) c.failures++;
    if (x.slow) c.slow++;
    if (x.method === "POST") c.posts++;
    else c.gets++;
  }
  return c;
}

describe("groundTruthCase and expectedCounts", () => {
  test("expectedCounts(100) is exactly what iterating groundTruthCase gives", () => {
    assert.deepEqual(expectedCounts(100), { flips: 10, failures: 2, slow: 5, posts: 80, gets: 20 });
    assert.deepEqual(expectedCounts(100), countByIteration(100));
  });

  test("the closed form agrees with iteration for every count up to 1000", () => {
    for (let count = 0; count <= 1000; count++) assert.deepEqual(expectedCounts(count), countByIteration(count), `count ${count}`);
  });

  test("flip, fail and slow are disjoint and only ever POSTs", () => {
    for (let n = 0; n < 10_000; n++) {
      const c = groundTruthCase(n);
      assert.ok(Number(c.flip) + Number(c.fail) + Number(c.slow) <= 1, `n=${n} is in more than one set`);
      if (c.flip || c.fail || c.slow) assert.equal(c.method, "POST", `n=${n}`);
    }
  });

  test("cases follow the documented formulas", () => {
    assert.deepEqual(groundTruthCase(3), { n: 3, flip: true, fail: false, slow: false, method: "POST", path: "/predict", body: '{"n":3,"text":"ground truth request 3"}' });
    assert.deepEqual(groundTruthCase(4), { n: 4, flip: false, fail: false, slow: false, method: "GET", path: "/items/4" });
    assert.equal(groundTruthCase(7).fail, true);
    assert.equal(groundTruthCase(57).fail, true);
    assert.equal(groundTruthCase(11).slow, true);
    assert.equal(groundTruthCase(31).slow, true);
    assert.equal(groundTruthCase(13).flip, true);
    assert.equal(GROUND_TRUTH_RULES.fail.modulus, 50);
    assert.throws(() => groundTruthCase(-1), RangeError);
    assert.throws(() => expectedCounts(1.5), RangeError);
  });

  test("labels differ from production exactly on flips; scores are 4 decimals", () => {
    for (let n = 0; n < 500; n++) {
      if (groundTruthCase(n).method !== "POST") continue;
      assert.equal(groundTruthLabel(n, "secondary"), groundTruthLabel(n, "production"));
      assert.equal(groundTruthLabel(n, "candidate") !== groundTruthLabel(n, "production"), groundTruthCase(n).flip, `n=${n}`);
      const s = groundTruthScore(n);
      assert.ok(s >= 0 && s <= 1);
      assert.equal(Math.round(s * 10_000) / 10_000, s);
    }
  });
});

describe("groundTruthRecording", () => {
  test("every line is a Parallax JSONL request matching its case", () => {
    const text = groundTruthRecording(25);
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 25);
    assert.ok(text.endsWith("\n"));
    lines.forEach((line, n) => {
      const parsed = JSON.parse(line) as { method: string; url: string; headers: Record<string, string>; body?: string; time: string };
      const c = groundTruthCase(n);
      assert.equal(parsed.method, c.method);
      assert.equal(parsed.url, c.path);
      assert.equal(parsed.body, c.body);
      assert.equal(parsed.time, new Date(Date.parse("2025-01-01T00:00:00.000Z") + n).toISOString());
      assert.equal(parsed.headers["authorization"], undefined);
      if (c.method === "POST") assert.equal(parsed.headers["content-type"], "application/json");
    });
    assert.equal(groundTruthRecording(0), "");
  });

  test("with a secret, every line carries it in headers and GETs in the query", () => {
    const secret = "s3cret-token";
    const lines = groundTruthRecording(20, { secret }).trimEnd().split("\n");
    assert.equal(lines.length, 20);
    lines.forEach((line, n) => {
      const parsed = JSON.parse(line) as { method: string; url: string; headers: Record<string, string> };
      assert.equal(parsed.headers["authorization"], `Bearer ${secret}`);
      assert.equal(parsed.headers["x-api-key"], secret);
      if (parsed.method === "GET") assert.equal(parsed.url, `/items/${n}?access_token=${secret}`);
      else assert.equal(parsed.url, "/predict");
    });
  });
});

describe("ground-truth targets", () => {
  const targets = new Map<GroundTruthRole, RunningTarget>();

  before(async () => {
    for (const role of ROLES) targets.set(role, await startGroundTruthTarget({ role, slowDelayMs: 5 }));
  });
  after(async () => {
    await Promise.all([...targets.values()].map((t) => t.close()));
  });

  function target(role: GroundTruthRole): RunningTarget {
    const t = targets.get(role);
    assert.ok(t, role);
    return t;
  }

  async function send(role: GroundTruthRole, n: number, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const c = groundTruthCase(n);
    const res = await fetch(`${target(role).url}${c.path}`, {
      method: c.method,
      headers: { ...(c.body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(c.body === undefined ? {} : { body: c.body }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  test("listen on 127.0.0.1", () => {
    for (const role of ROLES) assert.match(target(role).url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("each role answers the first 60 requests exactly as the formulas say", async () => {
    for (let n = 0; n < 60; n++) {
      const c = groundTruthCase(n);
      const [prod, cand, sec] = await Promise.all(ROLES.map((role) => send(role, n)));
      assert.ok(prod && cand && sec);
      for (const r of [prod, sec]) {
        assert.equal(r.status, 200, `n=${n}`);
        assert.equal(r.body["n"], n);
      }
      if (c.method === "GET") {
        assert.equal(prod.body["item"], `item-${n}`);
        assert.equal(cand.body["item"], `item-${n}`);
        assert.equal(sec.body["item"], `item-${n}`);
        assert.equal(cand.status, 200);
        continue;
      }
      assert.equal(prod.body["label"], groundTruthLabel(n));
      assert.equal(sec.body["label"], prod.body["label"]);
      assert.equal(sec.body["score"], prod.body["score"]);
      assert.equal(prod.body["score"], groundTruthScore(n));
      if (c.fail) {
        assert.equal(cand.status, 503, `n=${n}`);
        assert.deepEqual(cand.body, { error: "overloaded" });
        continue;
      }
      assert.equal(cand.status, 200, `n=${n}`);
      assert.equal(cand.body["score"], prod.body["score"]);
      if (c.flip) assert.notEqual(cand.body["label"], prod.body["label"], `n=${n}`);
      else assert.equal(cand.body["label"], prod.body["label"], `n=${n}`);
    }
  });

  test("id and at vary on every response, in every role (the noise a secondary cancels)", async () => {
    const a = await send("production", 0);
    const b = await send("secondary", 0);
    const c = await send("production", 0);
    assert.equal(typeof a.body["id"], "string");
    assert.notEqual(a.body["id"], b.body["id"]);
    assert.notEqual(a.body["id"], c.body["id"]);
    assert.equal(typeof a.body["at"], "number", "epoch milliseconds with sub-microsecond precision");
    assert.notEqual(a.body["at"], b.body["at"]);
    assert.notEqual(a.body["at"], c.body["at"]);
  });

  test("a slow request still gets the production answer from the candidate", async () => {
    const r = await send("candidate", 11);
    assert.equal(r.status, 200);
    assert.equal(r.body["label"], groundTruthLabel(11));
  });

  test("counts requests, methods, paths, markers and headers", async () => {
    const fresh = await startGroundTruthTarget({ role: "production" });
    try {
      const url = fresh.url;
      await fetch(`${url}/items/4?access_token=abc`, { headers: { [REPLAY_MARKER_HEADER]: "run-1", authorization: "Bearer x" } }).then((r) => r.arrayBuffer());
      await fetch(`${url}/predict`, { method: "POST", body: '{"n":0}', headers: { [REPLAY_MARKER_HEADER]: "run-2" } }).then((r) => r.arrayBuffer());
      const bad = await fetch(`${url}/predict`, { method: "POST", body: "not json" });
      assert.equal(bad.status, 400);
      await bad.arrayBuffer();
      assert.equal(fresh.received.total, 3);
      assert.deepEqual(fresh.received.byMethod, { GET: 1, POST: 2 });
      assert.deepEqual(fresh.received.byPath, { "/items/4": 1, "/predict": 2 });
      assert.deepEqual([...fresh.received.markers].sort(), ["run-1", "run-2"]);
      assert.equal(fresh.received.headers.length, 3);
      assert.equal(fresh.received.headers[0]?.["authorization"], "Bearer x");
      assert.deepEqual(fresh.received.urls, ["/items/4?access_token=abc", "/predict", "/predict"]);
    } finally {
      await fresh.close();
    }
  });

  test("close resolves with a slow answer still pending", async () => {
    const slow = await startGroundTruthTarget({ role: "candidate", slowDelayMs: 60_000 });
    const c = groundTruthCase(11);
    const pending = fetch(`${slow.url}${c.path}`, { method: "POST", body: c.body ?? "" }).then(
      () => "answered",
      () => "aborted",
    );
    // Wait (bounded) until the server has the request, then close under it.
    for (let i = 0; i < 1000 && slow.received.total === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(slow.received.total, 1);
    await slow.close();
    assert.equal(await pending, "aborted");
  });
});
