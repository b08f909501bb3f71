// The behaviour every `Bus` implementation must share, run against MemoryBus and NatsBus alike.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, it } from "node:test";
import { SUBJECTS } from "@parallax/protocol";
import { RequestTimeoutError, type Bus, type StreamMessage } from "../src/index.js";

export interface BusContractOptions {
  /** A fresh bus per test; the contract closes it. */
  readonly create: () => Promise<Bus>;
  /** How long an unacked stream message waits before it is offered again. */
  readonly redeliveryMs: number;
  /** A reason to skip, or false. */
  readonly skip?: string | false;
  readonly before?: () => Promise<void>;
  readonly after?: () => Promise<void>;
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails after `withinMs` (a generous bound, not a speed claim). */
export async function eventually(what: string, check: () => boolean, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${withinMs} ms: ${what}`);
    await sleep(10);
  }
}

/** A run id no other test uses, so tests sharing one server do not see each other's messages. */
export const uniqueRun = (): string => `t${randomUUID().replaceAll("-", "")}`;

export function busContract(name: string, options: BusContractOptions): void {
  describe(`${name} (Bus contract)`, { skip: options.skip ?? false }, () => {
    const open: Bus[] = [];
    const newBus = async (): Promise<Bus> => {
      const bus = await options.create();
      open.push(bus);
      return bus;
    };
    if (options.before) before(options.before);
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });
    if (options.after) after(options.after);

    describe("pub/sub", () => {
      it("delivers to matching subscribers only (wildcards), never re-entrantly", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        const got: string[] = [];
        bus.subscribe(`${run}.*.c`, (m) => got.push(`star:${m.subject}`));
        bus.subscribe(`${run}.>`, (m) => got.push(`tail:${m.subject}`));
        bus.subscribe(`${run}.x`, () => got.push("x"));
        bus.subscribe(`${run}.done`, () => got.push("done"));
        bus.publish(`${run}.b.c`, bytes("1"));
        assert.equal(got.length, 0, "never delivered re-entrantly");
        bus.publish(`${run}.done`, bytes(""));
        await eventually("all delivered", () => got.includes("done") && got.length === 4);
        assert.deepEqual(got.sort(), ["done", `star:${run}.b.c`, `tail:${run}.b.c`, `tail:${run}.done`]);
      });

      it("stops delivering after unsubscribe", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        let n = 0;
        let barrier = 0;
        const sub = bus.subscribe(`${run}.s`, () => n++);
        bus.subscribe(`${run}.barrier`, () => barrier++);
        bus.publish(`${run}.s`, bytes(""));
        await eventually("first delivered", () => n === 1);
        sub.unsubscribe();
        bus.publish(`${run}.s`, bytes(""));
        bus.publish(`${run}.barrier`, bytes(""));
        await eventually("barrier delivered", () => barrier === 1);
        assert.equal(n, 1);
      });

      it("a throwing subscriber does not stop delivery to the others", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        let good = 0;
        bus.subscribe(`${run}.s`, () => {
          throw new Error("subscriber bug");
        });
        bus.subscribe(`${run}.s`, () => good++);
        bus.publish(`${run}.s`, bytes("1"));
        bus.publish(`${run}.s`, bytes("2"));
        await eventually("both delivered", () => good === 2);
      });
    });

    describe("request/reply", () => {
      it("returns the reply", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        bus.subscribe(`${run}.echo`, (m) => m.respond?.(bytes(`re:${text(m.data)}`)));
        assert.equal(text(await bus.request(`${run}.echo`, bytes("hi"), { timeoutMs: 5_000 })), "re:hi");
      });

      it("rejects with RequestTimeoutError when nobody is subscribed", async () => {
        const bus = await newBus();
        await assert.rejects(bus.request(`${uniqueRun()}.nobody`, bytes(""), { timeoutMs: 200 }), RequestTimeoutError);
      });

      it("rejects with RequestTimeoutError when the subscriber does not answer in time", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        let seen = 0;
        bus.subscribe(`${run}.silent`, () => seen++);
        await assert.rejects(bus.request(`${run}.silent`, bytes(""), { timeoutMs: 200 }), RequestTimeoutError);
        assert.equal(seen, 1);
      });

      it("a plain publish carries no respond()", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        const responds: boolean[] = [];
        bus.subscribe(`${run}.s`, (m) => responds.push(m.respond !== undefined));
        bus.publish(`${run}.s`, bytes(""));
        await eventually("delivered", () => responds.length === 1);
        assert.deepEqual(responds, [false]);
      });
    });

    describe("durable stream", () => {
      it("dedupes appends by id and delivers in order", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        await bus.stream.append(SUBJECTS.snapshots(run, "a"), bytes("1"), { id: `${run}-one` });
        await bus.stream.append(SUBJECTS.snapshots(run, "a"), bytes("1 again"), { id: `${run}-one` });
        await bus.stream.append(SUBJECTS.snapshots(run, "b"), bytes("2"), { id: `${run}-two` });
        const got: string[] = [];
        const seqs: number[] = [];
        const sub = bus.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, (m) => {
          got.push(text(m.data));
          seqs.push(m.seq);
          m.ack();
        });
        await eventually("two delivered", () => got.length >= 2);
        await bus.stream.append(SUBJECTS.snapshots(run, "a"), bytes("3"), { id: `${run}-three` });
        await eventually("marker delivered", () => got.includes("3"));
        assert.deepEqual(got, ["1", "2", "3"]);
        assert.ok(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0)), `increasing seqs: ${seqs.join(",")}`);
        sub.unsubscribe();
      });

      it("redelivers what was not acked, also to a resubscribed durable, and resumes after the last delivered", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        const subject = SUBJECTS.snapshots(run, "a");
        await bus.stream.append(subject, bytes("1"), { id: `${run}-1` });
        await bus.stream.append(subject, bytes("2"), { id: `${run}-2` });
        const first: StreamMessage[] = [];
        const sub = bus.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, (m) => void first.push(m));
        await eventually("both delivered", () => first.length >= 2);
        first.find((m) => text(m.data) === "1")?.ack(); // "2" stays unacked
        sub.unsubscribe();
        await bus.stream.append(subject, bytes("3"), { id: `${run}-3` });
        const second: string[] = [];
        const sub2 = bus.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, (m) => {
          second.push(text(m.data));
          m.ack();
        });
        await eventually("2 and 3 delivered to the resubscribed durable", () => second.includes("2") && second.includes("3"), options.redeliveryMs * 5 + 10_000);
        assert.deepEqual([...new Set(second)].sort(), ["2", "3"], "the acked 1 is not delivered again");
        sub2.unsubscribe();
      });

      it("offers a message again when its handler throws, and nothing after unsubscribe", async () => {
        const bus = await newBus();
        const run = uniqueRun();
        const subject = SUBJECTS.snapshots(run, "a");
        await bus.stream.append(subject, bytes("x"), { id: `${run}-x` });
        let calls = 0;
        const sub = bus.stream.consume(SUBJECTS.runSnapshots(run), `d${run}`, () => {
          calls++;
          throw new Error("handler bug");
        });
        await eventually("redelivered after the handler threw", () => calls >= 2, options.redeliveryMs * 5 + 10_000);
        sub.unsubscribe();
        const before = calls;
        await bus.stream.append(subject, bytes("y"), { id: `${run}-y` });
        // Another durable sees "y", so it was there to be delivered; give redelivery a chance too.
        const witness: string[] = [];
        const sub2 = bus.stream.consume(SUBJECTS.runSnapshots(run), `w${run}`, (m) => {
          witness.push(text(m.data));
          m.ack();
        });
        await eventually("witness saw y", () => witness.includes("y"));
        await sleep(options.redeliveryMs + 500);
        assert.equal(calls, before, "nothing reaches a handler after unsubscribe");
        sub2.unsubscribe();
      });

      it("purges by subject", async () => {
        const bus = await newBus();
        const run1 = uniqueRun();
        const run2 = uniqueRun();
        await bus.stream.append(SUBJECTS.snapshots(run1, "a"), bytes("a"), { id: `${run1}-a` });
        await bus.stream.append(SUBJECTS.snapshots(run2, "a"), bytes("b"), { id: `${run2}-b` });
        await bus.stream.purge(SUBJECTS.runSnapshots(run1));
        await bus.stream.append(SUBJECTS.snapshots(run1, "a"), bytes("after"), { id: `${run1}-after` });
        const got1: string[] = [];
        const got2: string[] = [];
        const s1 = bus.stream.consume(SUBJECTS.runSnapshots(run1), `d${run1}`, (m) => {
          got1.push(text(m.data));
          m.ack();
        });
        const s2 = bus.stream.consume(SUBJECTS.runSnapshots(run2), `d${run2}`, (m) => {
          got2.push(text(m.data));
          m.ack();
        });
        await eventually("both consumers caught up", () => got1.includes("after") && got2.includes("b"));
        assert.deepEqual(got1, ["after"], "purged messages are gone");
        assert.deepEqual(got2, ["b"], "other runs are untouched");
        s1.unsubscribe();
        s2.unsubscribe();
      });
    });

    describe("blobs", () => {
      it("stores copies, returns undefined for unknown keys, deletes", async () => {
        const bus = await newBus();
        const key = `k-${uniqueRun()}`;
        const data = bytes("bundle");
        await bus.blobs.put(key, data);
        data[0] = 0;
        assert.equal(text((await bus.blobs.get(key)) as Uint8Array), "bundle");
        assert.equal(await bus.blobs.get(`missing-${uniqueRun()}`), undefined);
        await bus.blobs.delete(key);
        assert.equal(await bus.blobs.get(key), undefined);
      });

      it("overwrites a key", async () => {
        const bus = await newBus();
        const key = `k-${uniqueRun()}`;
        await bus.blobs.put(key, bytes("one"));
        await bus.blobs.put(key, bytes("two"));
        assert.equal(text((await bus.blobs.get(key)) as Uint8Array), "two");
      });
    });
  });
}
