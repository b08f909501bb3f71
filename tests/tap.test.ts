// The tap end to end: `parallax tap` as a real process in front of a ground-truth production,
// a real nats-server, a client sending through it. Production gets each request once, the client
// gets production's answers unchanged, the stream gets every exchange once, redacted, and a
// request carrying x-parallax-replay is forwarded but not published.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeExchange, silentLogger, type CapturedExchange } from "@parallax/protocol";
import { parseJsonl } from "@parallax/recording";
import { groundTruthCase, natsServerBinary, startGroundTruthTarget, startNatsServer, type NatsServerHandle, type RunningTarget } from "@parallax/testkit";
import { NatsBus } from "@parallax/transport";
import { request } from "undici";
import { tempDir } from "./support/cli.js";
import { spawnCli, type Spawned } from "./support/shadow.js";

const skip = natsServerBinary(process.env) === undefined ? "needs nats-server on PATH or NATS_SERVER_BIN (.ci/run installs it)" : false;
const COUNT = 60;
const SECRET = "tap-secret-token-0042";

/** Sends case n the way a client would, with a credential in a header and in the query. */
async function send(base: string, n: number, extra: Record<string, string> = {}) {
  const c = groundTruthCase(n);
  const response = await request(`${base}${c.path}?n=${n}&token=${SECRET}`, {
    method: c.method,
    headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json", ...extra },
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

describe("parallax tap", { skip }, () => {
  let nats: NatsServerHandle;
  let production: RunningTarget;
  let tap: Spawned;
  let tapUrl: string;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let exitCode: number | null;
  const answers: Array<{ status: number; body: string }> = [];
  const published: CapturedExchange[] = [];

  before(async () => {
    nats = await startNatsServer({ env: process.env });
    production = await startGroundTruthTarget({ role: "production" });
    dir = await tempDir("tap");
    tap = spawnCli(["tap", "--listen", "127.0.0.1:0", "--upstream", production.url, "--nats", nats.url, "--stream", "shop", "--out", join(dir.path, "captured.jsonl")]);
    tapUrl = (await tap.waitFor(/parallax tap listening (http:\/\/\S+)/))[1] as string;
    for (let n = 0; n < COUNT; n++) answers.push(await send(tapUrl, n));
    // A replayed request (Parallax's own traffic) is forwarded, never captured: no capture loops.
    await send(tapUrl, COUNT, { "x-parallax-replay": "run-1" });
    exitCode = await tap.stop("SIGTERM");
    // Read the stream through its shared durable consumer, as shadow agents will.
    const bus = await NatsBus.connect({ servers: nats.url, name: "tap-test", logger: silentLogger });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${published.length} exchanges on the stream after 10 s`)), 10_000);
        const sub = bus.traffic.consume("shop", "tap-test", { ackWaitMs: 5_000, maxInFlight: 100 }, (message) => {
          const decoded = decodeExchange(message.data);
          assert.ok(decoded.ok, decoded.ok ? "" : decoded.error);
          published.push(decoded.exchange);
          message.ack();
          if (published.length === COUNT) {
            clearTimeout(timer);
            sub.unsubscribe();
            resolve();
          }
        });
      });
      const backlog = await bus.traffic.backlog("shop", "tap-test");
      assert.deepEqual({ pending: backlog.pending, lastSeq: backlog.lastSeq }, { pending: 0, lastSeq: COUNT });
    } finally {
      await bus.close();
    }
  });
  after(async () => {
    await tap?.stop("SIGKILL");
    await Promise.all([production?.close(), dir?.remove()]);
    await nats?.close();
  });

  it("exits 0 on SIGTERM after finishing its exchanges", () => {
    assert.equal(exitCode, 0, tap.stderr());
  });

  it("forwards each request to production exactly once, the replayed one included, and returns production's answers", async () => {
    assert.equal(production.received.total, COUNT + 1);
    for (let n = 0; n < COUNT; n++) {
      const direct = await send(production.url, n);
      assert.equal(answers[n]?.status, direct.status, `status of ${n}`);
      // The ground-truth target puts a random id and a time in each answer; the rest is a function of n.
      const strip = (body: string) => body.replace(/"id":"[^"]*"/, "").replace(/"at":[\d.]+/, "");
      assert.equal(strip(answers[n]?.body ?? ""), strip(direct.body), `body of ${n}`);
    }
  });

  it("publishes every exchange once, with production's answer and latency, and nothing of the replayed request", () => {
    assert.equal(published.length, COUNT);
    assert.equal(new Set(published.map((e) => e.id)).size, COUNT);
    const byN = new Map(published.map((e) => [Number(new URL(e.request.path, "http://x").searchParams.get("n")), e]));
    assert.deepEqual([...byN.keys()].sort((a, b) => a - b), Array.from({ length: COUNT }, (_, n) => n));
    for (const [n, exchange] of byN) {
      const answer = answers[n];
      assert.ok(!("error" in exchange.response), `exchange ${n} has a response`);
      assert.equal(exchange.response.status, answer?.status);
      assert.equal(new TextDecoder().decode(exchange.response.body), answer?.body);
      assert.equal(exchange.request.method, groundTruthCase(n).method);
      assert.ok(exchange.latencyMicros > 0);
    }
  });

  it("redacts credentials in headers and query before publishing or recording them", async () => {
    const everything = JSON.stringify(published.map((e) => ({ ...e, request: { ...e.request, body: undefined }, response: undefined })));
    assert.ok(!everything.includes(SECRET), "secret on the stream");
    assert.ok(published.every((e) => e.request.headers.some(([name, value]) => name === "authorization" && value === "[REDACTED]")));
    const recorded = await readFile(join(dir.path, "captured.jsonl"), "utf8");
    assert.ok(!recorded.includes(SECRET), "secret in the --out recording");
    // The recording replays the same requests.
    const requests = parseJsonl(recorded, "captured.jsonl");
    assert.equal(requests.length, COUNT);
    assert.deepEqual(new Set(requests.map((r) => `${r.method} ${r.path}`)), new Set(published.map((e) => `${e.request.method} ${e.request.path}`)));
  });
});
