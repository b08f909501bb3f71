import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Comparator } from "@parallax/diff";
import { decodeHistogram, latencySummaryMs } from "@parallax/metrics";
import type { RecordedRequest } from "@parallax/protocol";
import { splitEvenly } from "@parallax/scenario";
import { IntervalSink, prepareRequests, runClosedLoop, systemClock } from "../src/index.js";

/** Answers 200 after `delayMs`, or 503 for /fail; counts requests by path and the most connections open at once. */
async function startTarget(delayMs: number) {
  const seen = new Map<string, number>();
  const hosts = new Set<string>();
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((req, res) => {
    seen.set(req.url ?? "", (seen.get(req.url ?? "") ?? 0) + 1);
    hosts.add(req.headers.host ?? "");
    setTimeout(() => {
      res.statusCode = req.url?.endsWith("/fail") ? 503 : 200;
      res.end("ok");
    }, delayMs);
  });
  server.on("connection", (socket) => {
    maxOpen = Math.max(maxOpen, ++open);
    socket.on("close", () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/base`, seen, hosts, server, maxOpen: () => maxOpen };
}

const recorded = (index: number, method: string, path: string): RecordedRequest => ({ index, offsetMs: 0, method, path, headers: [["accept", "*/*"]] });

describe("runClosedLoop", () => {
  let production: Awaited<ReturnType<typeof startTarget>>;
  let candidate: Awaited<ReturnType<typeof startTarget>>;
  before(async () => {
    [production, candidate] = await Promise.all([startTarget(2), startTarget(20)]);
  });
  after(async () => {
    await Promise.all([production, candidate].map((t) => new Promise((resolve) => t.server.close(resolve))));
  });

  it("keeps a fixed number of connections busy per target and counts every answer", async () => {
    const requests = prepareRequests([recorded(0, "GET", "/ok"), recorded(1, "DELETE", "/ok"), recorded(2, "GET", "/fail")], { runId: "closed-1", allowUnsafeProduction: [] });
    const sink = new IntervalSink(new Comparator({ ignore: [], tolerance: { absolute: 0, relative: 0 }, headers: [], exemplars: 1, maxExemplarBodyBytes: 64 }), ["production", "candidate"]);
    const segment = splitEvenly(1)[0];
    assert.ok(segment);
    await runClosedLoop({
      connections: 4,
      durationMs: 1000,
      requests,
      segment,
      targets: [
        { name: "production", url: production.url, timeoutMs: 5000, addresses: ["127.0.0.1"] },
        { name: "candidate", url: candidate.url, timeoutMs: 5000, headers: { "x-token": "t" } },
      ],
      sink,
      clock: systemClock,
      startAt: systemClock.now(),
      signal: new AbortController().signal,
    });
    const data = sink.take();
    // The unsafe DELETE is held back (once, by the agent that owns it) and never sent.
    assert.deepEqual(data.skipped, { "unsafe method DELETE not allowed on production": 1 });
    for (const [name, target] of [["production", production], ["candidate", candidate]] as const) {
      const counts = data.targets[name];
      assert.ok(counts);
      const received = [...target.seen.values()].reduce((a, b) => a + b, 0);
      assert.ok(counts.responses > 0);
      assert.equal(counts.responses, (counts.statusCodes["200"] ?? 0) + (counts.statusCodes["503"] ?? 0));
      assert.equal(counts.errors, counts.statusCodes["503"] ?? 0);
      // Requests still in flight when the time is up are cut off unanswered: at most one per connection.
      assert.ok(received >= counts.responses && received - counts.responses <= 4, `${name}: the target saw ${received}, the sink counted ${counts.responses} answers`);
      const ok = target.seen.get("/base/ok") ?? 0;
      assert.ok(ok - (counts.statusCodes["200"] ?? 0) <= 4 && ok >= (counts.statusCodes["200"] ?? 0));
      assert.equal(target.maxOpen(), 4);
      assert.equal(decodeHistogram(counts.histogram).totalCount, counts.responses);
    }
    // The pinned address is connected to, and the Host header still names the target.
    assert.deepEqual([...production.hosts], [new URL(production.url).host]);
    const slow = latencySummaryMs(decodeHistogram(data.targets.candidate?.histogram as string));
    // Node timers may fire up to a ms early; the point is that the delay shows.
    assert.ok(slow.min >= 18, `candidate latency ${slow.min} ms includes its 20 ms delay`);
    // Progress counts production's requests plus the one held back.
    assert.equal(data.done, (data.targets.production?.requests ?? 0) + 1);
    assert.equal(data.diff.compared, 0);
  });
});
