import { Comparator, createTally } from "@parallax/diff";
import { HttpTarget, IntervalSink, prepareRequests, runClosedLoop, runOpenLoop, type ClosedTarget, type Clock, type PreparedRequest, type Target } from "@parallax/engine";
import { TARGET_NAMES, type DiffTally, type RecordedRequest, type TargetName } from "@parallax/protocol";
import { planForRecording, segmentSize, type Plan, type Scenario, type Segment, type TargetSpec } from "@parallax/scenario";

/** Bodies kept for comparison per response; larger ones are marked truncated and not compared by content. */
export const MAX_COMPARED_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_EXEMPLAR_BODY_BYTES = 4096;

/** `addresses`: when the agent checked the target, the only addresses it may connect to. */
export type TargetFactory = (name: TargetName, spec: TargetSpec, scenario: Scenario, addresses: readonly string[] | undefined) => Target;

export const httpTargetFactory: TargetFactory = (name, spec, scenario, addresses) =>
  new HttpTarget({
    name,
    url: spec.url,
    timeoutMs: spec.timeoutMs,
    headers: spec.headers,
    keepHeaders: scenario.compare.headers,
    maxBodyBytes: MAX_COMPARED_BODY_BYTES,
    ...(addresses ? { addresses } : {}),
  });

/** One prepared share of a run: everything built before the start instant. */
export class PreparedRun {
  readonly plan: Plan;
  readonly planned: number;
  readonly sink: IntervalSink;
  readonly #targets: Target[];
  readonly #closedTargets: ClosedTarget[];
  readonly #requests: PreparedRequest[];
  readonly #comparator: Comparator;

  constructor(
    readonly runId: string,
    readonly epoch: number,
    readonly scenario: Scenario,
    recording: readonly RecordedRequest[],
    readonly segment: Segment,
    createTarget: TargetFactory,
    pinnedAddresses: ReadonlyMap<string, readonly string[]>,
  ) {
    this.plan = planForRecording(scenario.load, recording);
    this.planned = segmentSize(segment, this.plan.total);
    this.#requests = prepareRequests(recording, { runId, allowUnsafeProduction: scenario.compare.allowUnsafeProduction, endpoints: scenario.compare.endpoints });
    this.#targets = [];
    this.#closedTargets = [];
    for (const name of TARGET_NAMES) {
      const spec = scenario.targets[name];
      if (!spec) continue;
      const addresses = pinnedAddresses.get(name);
      // The closed model drives its own connections (autocannon); the open model sends through Targets.
      if (this.plan.kind === "closed") {
        this.#closedTargets.push({ name, url: spec.url, timeoutMs: spec.timeoutMs, headers: spec.headers, ...(addresses ? { addresses } : {}) });
      } else this.#targets.push(createTarget(name, spec, scenario, addresses));
    }
    this.#comparator = new Comparator({
      ignore: scenario.compare.ignore,
      tolerance: scenario.compare.tolerance,
      headers: scenario.compare.headers,
      exemplars: scenario.compare.exemplars,
      maxExemplarBodyBytes: MAX_EXEMPLAR_BODY_BYTES,
      rules: scenario.compare.rules,
    });
    this.sink = new IntervalSink(
      this.#comparator,
      TARGET_NAMES.filter((name) => scenario.targets[name] !== undefined),
    );
  }

  /**
   * A tally of one synthetic pair per recorded endpoint shape, compared by this run's own rules:
   * what the warm-up pushes through comparing, encoding and validating before the start instant.
   */
  warmUpTally(): DiffTally {
    const tally = createTally();
    const request = this.#requests.find((r) => r.heldBack === undefined) ?? this.#requests[0];
    if (!request) return tally;
    const body = (text: string) => new TextEncoder().encode(text);
    const answer = (x: number) => ({ ok: true as const, status: 200, headers: { "content-type": "application/json" }, body: body(JSON.stringify({ x, predictions: [{ label: `l${x}`, scores: [x, 1 - x] }], outputs: [] })), bodyTruncated: false });
    this.#comparator.compare({ endpoint: request.endpoint, request: request.source, production: answer(0), candidate: answer(1), secondary: answer(0) }, tally);
    return tally;
  }

  run(clock: Clock, startAt: number, signal: AbortSignal) {
    if (this.plan.kind === "closed") {
      return runClosedLoop({
        // The connections are split exactly like the request sequence: the shares add up to the whole.
        connections: segmentSize(this.segment, this.plan.connections),
        durationMs: this.plan.durationMs,
        requests: this.#requests,
        segment: this.segment,
        targets: this.#closedTargets,
        sink: this.sink,
        clock,
        startAt,
        signal,
      });
    }
    return runOpenLoop({
      plan: this.plan,
      segment: this.segment,
      requests: this.#requests,
      targets: this.#targets,
      sink: this.sink,
      clock,
      startAt,
      signal,
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#targets.map((t) => t.close()));
  }
}
