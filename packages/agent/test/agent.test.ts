import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SUBJECTS, decodeExpected, decodeMessage, encodeBundle, encodeMessage, silentLogger, type Snapshot } from "@parallax/protocol";
import { MemoryBus } from "@parallax/transport";
import { Agent, type AgentOptions } from "../src/index.js";

/** Plays the coordinator's side of the protocol by hand, so the agent is tested at its boundary. */
async function prepare(bus: MemoryBus, agentId: string, url: string, options: { leaseMs: number; rate: number; duration: string; runId?: string }) {
  const runId = options.runId ?? "r1";
  const scenario = {
    name: "t",
    targets: { production: { url }, candidate: { url } },
    traffic: { file: "/rec.jsonl" },
    load: { rate: options.rate, duration: options.duration },
  };
  const { bytes, digest } = encodeBundle({ scenario, recording: '{"method":"GET","url":"/x"}\n' });
  await bus.blobs.put(`bundle-${runId}`, bytes);
  const reply = await bus.request(
    SUBJECTS.agentControl(agentId),
    encodeMessage("parallax.v1.prepare", { runId, epoch: 1, agentId, bundle: { key: `bundle-${runId}`, digest, size: bytes.length }, segment: { from: [0, 1], to: [1, 1] }, leaseMs: options.leaseMs }),
    { timeoutMs: 5000 },
  );
  return decodeExpected(reply, "parallax.v1.ready", "parallax.v1.refused");
}

function collectSnapshots(bus: MemoryBus): Snapshot[] {
  const snapshots: Snapshot[] = [];
  bus.stream.consume(SUBJECTS.runSnapshots("r1"), "test", (m) => {
    const d = decodeMessage(m.data);
    if (d.ok && d.message.type === "parallax.v1.snapshot") snapshots.push(d.message);
    m.ack();
  });
  return snapshots;
}

const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("agent", () => {
  let server: Server;
  let url: string;
  let received = 0;
  before(async () => {
    server = createServer((req, res) => {
      received++;
      req.resume();
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => new Promise((resolve) => server.close(resolve)));

  const newAgent = (bus: MemoryBus, checkTarget?: AgentOptions["checkTarget"]) =>
    new Agent({ bus, logger: silentLogger, id: "a1", name: "a1", version: "0.1.0", host: "h", pid: 1, ...(checkTarget ? { checkTarget } : {}) });

  it("stops sending by itself when the coordinator's lease runs out, and sends a final snapshot", async () => {
    const bus = new MemoryBus();
    const agent = newAgent(bus);
    agent.start();
    const snapshots = collectSnapshots(bus);
    const ready = await prepare(bus, "a1", url, { leaseMs: 400, rate: 50, duration: "20s" });
    assert.equal(ready.type, "parallax.v1.ready");
    assert.equal(ready.type === "parallax.v1.ready" && ready.planned, 1000);
    received = 0;
    bus.publish(SUBJECTS.runControl("r1"), encodeMessage("parallax.v1.start", { runId: "r1", epoch: 1, startAt: Date.now() }));
    // No lease renewals follow: the agent must give up after ~400 ms, not run for 20 s.
    await until(() => snapshots.some((s) => s.final));
    const final = snapshots.find((s) => s.final) as Snapshot;
    assert.ok(final.done < 100, `sent ${final.done} of 1000 after the lease ran out`);
    const atStop = received;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(received, atStop, "no load after the final snapshot");
    assert.equal(received, final.done * 2, "each sent request reached both targets once");
    assert.equal(agent.state, "idle");
    await agent.close();
    await bus.close();
  });

  it("collects start-up garbage once a job is prepared, before it answers ready, and not for a refused one", async () => {
    const bus = new MemoryBus();
    const calls: string[] = [];
    const agent = new Agent({
      bus, logger: silentLogger, id: "a1", name: "a1", version: "0.1.0", host: "h", pid: 1,
      collectGarbage: () => calls.push(`gc while ${agent.state}`),
      checkTarget: async (u) => (u.pathname === "/refused" ? { allowed: false, reason: "no" } : { allowed: true, addresses: [] }),
    });
    agent.start();
    assert.equal((await prepare(bus, "a1", `${url}/refused`, { leaseMs: 1000, rate: 10, duration: "1s", runId: "r0" })).type, "parallax.v1.refused");
    assert.deepEqual(calls, []);
    assert.equal((await prepare(bus, "a1", url, { leaseMs: 1000, rate: 10, duration: "1s" })).type, "parallax.v1.ready");
    assert.deepEqual(calls, ["gc while preparing"]);
    await agent.close();
    await bus.close();
  });

  it("refuses a run whose targets its own check does not allow, naming the target and why", async () => {
    const bus = new MemoryBus();
    const agent = newAgent(bus, async (u) => (u.hostname === "127.0.0.1" ? { allowed: false, reason: "only 10.0.0.0/8 allowed here" } : { allowed: true, addresses: [] }));
    agent.start();
    const reply = await prepare(bus, "a1", url, { leaseMs: 1000, rate: 10, duration: "1s" });
    assert.equal(reply.type, "parallax.v1.refused");
    assert.match(reply.type === "parallax.v1.refused" ? reply.reason : "", /target production http:\/\/127\.0\.0\.1:\d+\/? not allowed: only 10\.0\.0\.0\/8 allowed here/);
    assert.equal(agent.state, "idle");
    await agent.close();
    await bus.close();
  });

  it("answers a repeated prepare of the same run again, and refuses another run while prepared for one", async () => {
    const bus = new MemoryBus();
    const agent = newAgent(bus);
    agent.start();
    assert.equal((await prepare(bus, "a1", url, { leaseMs: 1000, rate: 10, duration: "1s" })).type, "parallax.v1.ready");
    assert.equal((await prepare(bus, "a1", url, { leaseMs: 1000, rate: 10, duration: "1s" })).type, "parallax.v1.ready", "a retried prepare is not refused");
    const second = await prepare(bus, "a1", url, { leaseMs: 1000, rate: 10, duration: "1s", runId: "r2" });
    assert.equal(second.type === "parallax.v1.refused" && second.reason, "busy (ready run r1)");
    await agent.close();
    await bus.close();
  });
});
