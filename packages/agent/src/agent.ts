import { LoopDelaySampler, protosFromJSON, systemClock, warmUpHttpClient, type Clock } from "@parallax/engine";
import {
  PROTOCOL_VERSION,
  SUBJECTS,
  TARGET_NAMES,
  decodeBundle,
  decodeMessage,
  encodeMessage,
  isSubjectToken,
  type Logger,
  type MessageOf,
  type Payload,
  type TargetName,
} from "@parallax/protocol";
import { decodeHistogram } from "@parallax/metrics";
import { parseJsonl } from "@parallax/recording";
import { resolveShippedScenario, type Scenario } from "@parallax/scenario";
import type { Bus, BusMessage, Subscription } from "@parallax/transport";
import type { TargetDecision } from "./allowlist.js";
import { PreparedRun, targetFactory, type TargetFactory } from "./run.js";
import { ShadowRun, type ShadowInterval, type ShadowJob } from "./shadow-run.js";
import { assertTransition, type AgentState } from "./states.js";

/** Kept under NATS's default 1 MB message limit, with room for the envelope. */
export const MAX_SNAPSHOT_BYTES = 900 * 1024;

// Liveness, together: how often the agent speaks, and how often it checks its lease.
export const HEARTBEAT_MS = 1000;
export const SNAPSHOT_MS = 1000;
const LEASE_CHECK_MS = 100;

export interface AgentOptions {
  readonly bus: Bus;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly host: string;
  readonly pid: number;
  /** Decides whether this agent may send to a target; returns the refusal reason, or undefined when allowed. */
  readonly checkTarget?: (url: URL) => Promise<TargetDecision>;
  readonly createTarget?: TargetFactory;
  /** This agent's environment: target header templates (`${PROD_TOKEN}`) are filled from it, never from the coordinator's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Host load per core, for `parallax agents` (the CLI passes the OS's; absent: not reported). */
  readonly hostLoad?: () => number;
  /** CPU time this process has used, µs (the CLI passes `process.cpuUsage`); absent: not reported. */
  readonly cpuUsage?: () => { readonly user: number; readonly system: number };
  /**
   * A full garbage collection (the CLI passes V8's), run once a job is prepared: start-up and
   * warm-up leave tens of MB of garbage, and the major collection that would otherwise reclaim it
   * stops the event loop for 15–50 ms in the first seconds of the run, delaying the sends due then.
   */
  readonly collectGarbage?: () => void;
}

/** A share of a load run, or a shadow job: prepared, started, snapshotted and stopped alike. */
type Job = PreparedRun | ShadowRun;

/** Longest wait for a target's connection before answering ready: an unreachable one is the run's to count, not prepare's. */
const CONNECT_TIMEOUT_MS = 3000;

interface Active {
  readonly run: Job;
  readonly control: Subscription;
  readonly abort: AbortController;
  /** Checks the coordinator's lease from prepare on: an agent left `ready` by a vanished coordinator frees itself. */
  readonly leaseTimer: NodeJS.Timeout;
  lastLeaseAt: number;
  leaseMs: number;
  seq: number;
  /** Snapshots are appended strictly in order; each waits for the previous. */
  publishing: Promise<void>;
  started: boolean;
  /** The shared start instant on this agent's monotonic clock, and where the last snapshot's window ended. */
  startAt: number;
  windowFromMs: number;
  readonly loopDelay: LoopDelaySampler;
  cpu: { readonly at: number; readonly micros: number } | undefined;
}

/**
 * The agent: announces itself, prepares a share of a run when asked, starts at the shared
 * instant, ships a snapshot every second, and stops sending on its own when the coordinator's
 * lease runs out. Everything arrives through the `Bus`; nothing received is ever executed.
 */
export class Agent {
  readonly #o: AgentOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #subscriptions: Subscription[] = [];
  #state: AgentState = "idle";
  #active: Active | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Settles when the current prepare or run has fully ended; never rejects. */
  #busy: Promise<void> = Promise.resolve();
  /** The latest prepare asked for, so a retried request gets the same answer. */
  #preparing: { readonly runId: string; readonly epoch: number; readonly reply: Promise<Uint8Array> } | undefined;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ component: "agent", agentId: options.id });
  }

  get state(): AgentState {
    return this.#state;
  }

  start(): void {
    const { bus } = this.#o;
    this.#subscriptions.push(
      bus.subscribe(SUBJECTS.agentControl(this.#o.id), (m) => this.#onControl(m)),
      bus.subscribe(SUBJECTS.discover, () => this.#hello()),
    );
    this.#hello();
    this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Stop any run (final snapshot included) and leave the bus. */
  async close(): Promise<void> {
    this.#active?.abort.abort();
    await this.#busy;
    if (this.#state === "ready") await this.#release();
    clearInterval(this.#heartbeat);
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
  }

  #to(next: AgentState): void {
    assertTransition(this.#state, next);
    this.#state = next;
  }

  #hello(): void {
    const o = this.#o;
    this.#o.bus.publish(
      SUBJECTS.hello,
      encodeMessage("parallax.v1.hello", { agentId: o.id, name: o.name, version: o.version, protocol: PROTOCOL_VERSION, host: o.host, pid: o.pid }),
    );
    // The state travels in heartbeats; one right behind the hello tells a new coordinator at once whether we are free.
    this.#beat();
  }

  #beat(): void {
    const run = this.#active?.run;
    const o = this.#o;
    const who = { agentId: o.id, state: this.#state, name: o.name, version: o.version, host: o.host, ...(o.hostLoad ? { load: o.hostLoad() } : {}) };
    const payload: Payload<"parallax.v1.heartbeat"> = run ? { ...who, runId: run.runId, epoch: run.epoch } : who;
    this.#o.bus.publish(SUBJECTS.heartbeat(this.#o.id), encodeMessage("parallax.v1.heartbeat", payload));
  }

  #onControl(message: BusMessage): void {
    const decoded = decodeMessage(message.data);
    if (!decoded.ok) {
      this.#log.warn({ error: decoded.error }, "ignored control message");
      return;
    }
    const m = decoded.message;
    switch (m.type) {
      case "parallax.v1.prepare": {
        // The same run and epoch asked again (the coordinator retried): the same answer, not "busy".
        const same = this.#preparing?.runId === m.runId && this.#preparing.epoch === m.epoch ? this.#preparing.reply : undefined;
        const reply = same ?? this.#prepare(m);
        if (!same) this.#preparing = { runId: m.runId, epoch: m.epoch, reply };
        this.#track(reply.then((bytes) => message.respond?.(bytes)), "prepare failed");
        return;
      }
      default:
        this.#log.warn({ type: m.type }, "ignored unexpected control message");
    }
  }

  /** Background work must never become an unhandled rejection: log it instead. */
  #settled(work: Promise<unknown>, what: string): Promise<void> {
    return work.then(
      () => undefined,
      (error: unknown) => this.#log.error({ err: error }, what),
    );
  }

  /** `close()` waits for all of it, not only for the latest piece. */
  #track(work: Promise<unknown>, what: string): void {
    this.#busy = Promise.all([this.#busy, this.#settled(work, what)]).then(() => undefined);
  }

  async #prepare(m: MessageOf<"parallax.v1.prepare">): Promise<Uint8Array> {
    const refuse = (reason: string) => {
      this.#log.warn({ runId: m.runId, reason }, "refused run");
      return encodeMessage("parallax.v1.refused", { runId: m.runId, epoch: m.epoch, agentId: this.#o.id, reason });
    };
    if (this.#state !== "idle") return refuse(`busy (${this.#state} run ${this.#active?.run.runId ?? "?"})`);
    this.#to("preparing");
    try {
      const bytes = await this.#o.bus.blobs.get(m.bundle.key);
      if (!bytes) throw new Error(`bundle ${m.bundle.key} not found`);
      const bundle = decodeBundle(bytes, m.bundle.digest);
      const scenario = await resolveShippedScenario(bundle.scenario, this.#o.env ?? {});
      const problem = m.shadow ? shadowJobProblem(m.shadow) : undefined;
      // A shadow job never sends to production: its answers were captured by the tap.
      const checked = problem ?? (await this.#checkTargets(scenario, m.shadow ? SHADOW_TARGETS : TARGET_NAMES));
      if (typeof checked === "string") {
        this.#to("idle");
        return refuse(checked);
      }
      await warmUpHttpClient();
      const protos = bundle.protos === undefined ? undefined : protosFromJSON(bundle.protos);
      const createTarget = this.#o.createTarget ?? targetFactory;
      const run: Job = m.shadow
        ? new ShadowRun({ runId: m.runId, epoch: m.epoch, scenario, job: m.shadow, bus: this.#o.bus, clock: this.#clock, logger: this.#log, createTarget, pinnedAddresses: checked, protos })
        : new PreparedRun(m.runId, m.epoch, scenario, parseJsonl(bundle.recording, `bundle ${m.bundle.digest.slice(0, 12)}`), m.segment, createTarget, checked, protos);
      warmUpSnapshots(run, this.#o.id);
      // A gRPC channel connects on its first call: connected now, the first second is not a handshake's.
      await run.connect(Math.min(CONNECT_TIMEOUT_MS, ...Object.values(scenario.targets).map((t) => t?.timeoutMs ?? CONNECT_TIMEOUT_MS)));
      const control = this.#o.bus.subscribe(SUBJECTS.runControl(m.runId), (c) => this.#onRunControl(c));
      this.#o.collectGarbage?.();
      const leaseTimer = setInterval(() => this.#checkLease(), LEASE_CHECK_MS);
      leaseTimer.unref();
      this.#active = {
        run,
        control,
        abort: new AbortController(),
        leaseTimer,
        lastLeaseAt: this.#clock.now(),
        leaseMs: m.leaseMs,
        seq: 0,
        publishing: Promise.resolve(),
        started: false,
        startAt: 0,
        windowFromMs: 0,
        loopDelay: new LoopDelaySampler(this.#clock),
        cpu: undefined,
      };
      this.#to("ready");
      this.#log.info({ runId: m.runId, planned: run.planned, ...(m.shadow ? { shadow: m.shadow } : {}) }, "ready");
      return encodeMessage("parallax.v1.ready", { runId: m.runId, epoch: m.epoch, agentId: this.#o.id, planned: run.planned });
    } catch (error) {
      this.#to("idle");
      return refuse(`could not prepare: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Every target URL against this agent's own rules: the refusal reason, or the addresses each
   * URL may be reached at (pinned, so a changed DNS answer cannot redirect the load later).
   */
  async #checkTargets(scenario: Scenario, names: readonly TargetName[]): Promise<string | Map<string, readonly string[]>> {
    const pinned = new Map<string, readonly string[]>();
    if (!this.#o.checkTarget) return pinned;
    for (const name of names) {
      const spec = scenario.targets[name];
      if (!spec) continue;
      for (const url of new Set([spec.url, spec.grpcUrl ?? spec.url])) {
        const decision = await this.#o.checkTarget(new URL(url));
        if (!decision.allowed) return `target ${name} ${url} not allowed: ${decision.reason}`;
        pinned.set(url, decision.addresses);
      }
    }
    return pinned;
  }

  #onRunControl(message: BusMessage): void {
    const active = this.#active;
    const decoded = decodeMessage(message.data);
    if (!active || !decoded.ok) return;
    const m = decoded.message;
    switch (m.type) {
      case "parallax.v1.start":
        if (m.epoch !== active.run.epoch || active.started) return;
        active.started = true;
        active.lastLeaseAt = this.#clock.now();
        this.#track(this.#run(active, m.startAt), "run failed");
        return;
      case "parallax.v1.lease":
        // Fencing: a lease for another epoch is not ours to renew.
        if (m.epoch === active.run.epoch) active.lastLeaseAt = this.#clock.now();
        return;
      case "parallax.v1.stop":
        if (m.epoch !== active.run.epoch) return;
        this.#log.info({ runId: m.runId, reason: m.reason }, "stop requested");
        if (active.started) active.abort.abort();
        else this.#track(this.#release(), "release failed");
        return;
      default:
        return;
    }
  }

  async #run(active: Active, startAtWall: number): Promise<void> {
    this.#to("running");
    const { run, abort } = active;
    // A shadow job has no schedule: it starts consuming at once, and its windows count from then.
    const startAt = run instanceof ShadowRun ? this.#clock.now() : this.#clock.now() + (startAtWall - this.#clock.wallNow());
    active.startAt = startAt;
    active.loopDelay.start();
    active.cpu = this.#cpuNow();
    const snapshots = setInterval(() => this.#snapshot(active, false), SNAPSHOT_MS);
    try {
      if (run instanceof ShadowRun) {
        const result = await run.run(abort.signal);
        this.#log.info({ runId: run.runId, done: result.done, notStarted: result.notSent }, "shadow job stopped");
      } else {
        const result = await run.run(this.#clock, startAt, abort.signal);
        this.#log.info({ runId: run.runId, done: result.done, notSent: result.notSent }, "segment finished");
      }
    } catch (error) {
      this.#log.error({ runId: run.runId, err: error }, "run failed");
    } finally {
      clearInterval(snapshots);
      this.#to("finishing");
      this.#snapshot(active, true);
      active.loopDelay.stop();
      await active.publishing;
      await this.#release();
    }
  }

  #cpuNow(): { readonly at: number; readonly micros: number } | undefined {
    const usage = this.#o.cpuUsage?.();
    return usage ? { at: this.#clock.now(), micros: usage.user + usage.system } : undefined;
  }

  /** The generator's own health over the interval: event-loop delay and the CPU time it burnt. */
  #generator(active: Active): Payload<"parallax.v1.snapshot">["generator"] {
    const eventLoopDelay = active.loopDelay.takeDelta();
    const previous = active.cpu;
    const now = this.#cpuNow();
    active.cpu = now;
    if (!previous || !now) return { eventLoopDelay, cpuMicros: 0, wallMs: 0 };
    return { eventLoopDelay, cpuMicros: now.micros - previous.micros, wallMs: now.at - previous.at };
  }

  #checkLease(): void {
    const active = this.#active;
    if (!active || this.#clock.now() - active.lastLeaseAt <= active.leaseMs || active.abort.signal.aborted) return;
    this.#log.warn({ runId: active.run.runId, leaseMs: active.leaseMs }, "coordinator silent past the lease: stopping");
    if (active.started) active.abort.abort();
    else this.#track(this.#release(), "release failed");
  }

  #snapshot(active: Active, final: boolean): void {
    const { run } = active;
    const data = run.sink.take();
    const seq = active.seq++;
    const toMs = this.#clock.now() - active.startAt;
    const window = { fromMs: active.windowFromMs, toMs };
    active.windowFromMs = toMs;
    const generator = this.#generator(active);
    // Taken in the same turn as the sink's data: an exchange is in the snapshot that holds its counts.
    const shadow: ShadowInterval | undefined = run instanceof ShadowRun ? run.takeInterval() : undefined;
    const payload: Payload<"parallax.v1.snapshot"> = {
      runId: run.runId,
      agentId: this.#o.id,
      epoch: run.epoch,
      seq,
      final,
      done: data.done,
      planned: run.planned,
      targets: data.targets,
      diff: data.diff,
      skipped: data.skipped,
      scheduler: data.scheduler,
      window,
      ...(Object.keys(data.phases).length ? { phases: data.phases } : {}),
      ...(Object.keys(data.endpoints).length ? { endpoints: data.endpoints } : {}),
      ...(generator ? { generator } : {}),
      ...(shadow ? { shadow: shadow.section } : {}),
    };
    const bytes = withinMessageLimit(payload);
    const subject = SUBJECTS.snapshots(run.runId, this.#o.id);
    const id = `${run.runId}.${this.#o.id}.${run.epoch}.${seq}`;
    // A shadow job's messages are acked once the snapshot counting them is stored; nak'd if it is lost.
    active.publishing = active.publishing.then(async () => {
      const stored = await this.#appendWithRetry(subject, bytes, id);
      shadow?.settle(stored);
    });
  }

  /**
   * The stream dedupes by id, so retrying a snapshot whose ack was lost can never count it twice.
   * Resolves with whether it was stored.
   */
  async #appendWithRetry(subject: string, bytes: Uint8Array, id: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#o.bus.stream.append(subject, bytes, { id });
        return true;
      } catch (error) {
        if (attempt >= 30) {
          this.#log.error({ id, err: error }, "snapshot lost after retries");
          return false;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async #release(): Promise<void> {
    const active = this.#active;
    if (!active) return;
    this.#active = undefined;
    clearInterval(active.leaseTimer);
    active.control.unsubscribe();
    await active.run.close();
    if (this.#state !== "idle") this.#to("idle");
  }
}

/**
 * The first snapshot pays for compiling its code paths (schema validation, histogram encoding and,
 * in a local run, the coordinator's decoding in this same process): some 15 ms that would delay
 * the sends due at that moment. Pay it before the start instant instead, on an empty interval.
 */
function warmUpSnapshots(run: Job, agentId: string): void {
  const data = run.sink.take();
  const payload: Payload<"parallax.v1.snapshot"> = {
    runId: run.runId,
    agentId,
    epoch: run.epoch,
    seq: 0,
    final: false,
    done: 0,
    planned: run.planned,
    targets: data.targets,
    diff: run.warmUpTally(),
    skipped: data.skipped,
    scheduler: data.scheduler,
    window: { fromMs: 0, toMs: 0 },
  };
  const decoded = decodeMessage(encodeMessage("parallax.v1.snapshot", payload));
  if (decoded.ok && decoded.message.type === "parallax.v1.snapshot") {
    for (const t of Object.values(decoded.message.targets)) if (t) decodeHistogram(t.histogram);
  }
}

/** The shadow job's targets: production's answers come from the stream, never from production. */
const SHADOW_TARGETS: readonly TargetName[] = ["candidate", "secondary"];

/** What the schema cannot say about a shadow job: its names become subject tokens. */
function shadowJobProblem(job: ShadowJob): string | undefined {
  if (!isSubjectToken(job.stream)) return `invalid traffic stream name ${JSON.stringify(job.stream)}: use letters, digits, "_" and "-" only`;
  if (!isSubjectToken(job.durable)) return `invalid durable consumer name ${JSON.stringify(job.durable)}: use letters, digits, "_" and "-" only`;
  return undefined;
}

/**
 * A snapshot's counts always fit; its exemplars may not (many signatures, each with bodies).
 * Over the limit they are left out of this interval: counts are never dropped, examples may be.
 */
function withinMessageLimit(payload: Payload<"parallax.v1.snapshot">): Uint8Array {
  const bytes = encodeMessage("parallax.v1.snapshot", payload);
  if (bytes.length <= MAX_SNAPSHOT_BYTES) return bytes;
  const signatures = Object.fromEntries(Object.entries(payload.diff.signatures).map(([key, tally]) => [key, { ...tally, exemplars: [], exemplarsSeen: 0 }]));
  return encodeMessage("parallax.v1.snapshot", { ...payload, diff: { ...payload.diff, signatures } });
}
