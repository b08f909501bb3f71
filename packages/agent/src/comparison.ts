// What load runs and shadow jobs compare with: one Comparator per job, from the scenario, and the
// synthetic pair the warm-up pushes through it before the start.
import { Comparator, createTally, type Outcome } from "@parallax/diff";
import type { DiffTally, RecordedRequest } from "@parallax/protocol";
import type { Scenario } from "@parallax/scenario";

const MAX_EXEMPLAR_BODY_BYTES = 4096;

export function comparatorFor(scenario: Scenario): Comparator {
  return new Comparator({
    ignore: scenario.compare.ignore,
    tolerance: scenario.compare.tolerance,
    headers: scenario.compare.headers,
    exemplars: scenario.compare.exemplars,
    maxExemplarBodyBytes: MAX_EXEMPLAR_BODY_BYTES,
    rules: scenario.compare.rules,
  });
}

/** A tally of one synthetic pair at `endpoint`, compared by the job's own rules: compiles and warms comparing, encoding and validating. */
export function warmUpTally(comparator: Comparator, endpoint: string, request: RecordedRequest): DiffTally {
  const tally = createTally();
  const answer = (x: number): Outcome => ({
    ok: true,
    status: 200,
    headers: { "content-type": "application/json" },
    body: new TextEncoder().encode(JSON.stringify({ x, predictions: [{ label: `l${x}`, scores: [x, 1 - x] }], outputs: [] })),
    bodyTruncated: false,
  });
  comparator.compare({ endpoint, request, production: answer(0), candidate: answer(1), secondary: answer(0) }, tally);
  return tally;
}
