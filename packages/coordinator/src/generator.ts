// Was the load generator, not the target, the bottleneck? Judged per agent from what it measured.
import { valueAtPercentileMs, type LatencyHistogram } from "@parallax/metrics";
import type { GeneratorHealth, PercentilesMs } from "@parallax/protocol";
import type { GeneratorProgress } from "./merge.js";

/** More late sends than this share means the schedule was not kept. */
export const MAX_LATE_SHARE = 0.01;
/**
 * Fewer late sends than this are an incident (one garbage-collection pause, one page fault), not
 * a generator that could not keep up: they are counted and shown, not judged. Without it one late
 * send of a ten-request run would be 10 % of sends and condemn the whole run.
 */
export const MIN_LATE_SENDS = 3;
/** An event loop this delayed at p99 delayed responses' timestamps too, not only sends. */
export const MAX_LOOP_DELAY_P99_MS = 50;

/**
 * CPU is reported, not judged: the scheduler spins through the last 1.5 ms before each send, so a
 * busy CPU at a high rate is the scheduler doing its job. Lag and event-loop delay are what show
 * that the generator could not keep up.
 */
export function generatorHealth(g: GeneratorProgress, late: number, dropped: number): GeneratorHealth {
  const schedulerLagMs = percentiles(g.lag);
  const eventLoopDelayMs = percentiles(g.loopDelay);
  const reasons: string[] = [];
  // Below MIN_LATE_SENDS an incident, not a pattern: `late` and the lag histogram still show it.
  // (A lag p99 over 10 ms is the same test: it means more than 1 % of sends over 10 ms late.)
  if (late >= MIN_LATE_SENDS && late / g.dispatched > MAX_LATE_SHARE) reasons.push(`${late} of ${g.dispatched} sends left more than 10 ms late`);
  if (eventLoopDelayMs.p99 > MAX_LOOP_DELAY_P99_MS) reasons.push(`event-loop delay p99 ${eventLoopDelayMs.p99} ms`);
  return {
    schedulerLagMs,
    eventLoopDelayMs,
    ...(g.wallMs > 0 ? { cpu: { mean: round(g.cpuMicros / 1000 / g.wallMs), peak: round(g.cpuPeak) } } : {}),
    late,
    dropped,
    bottleneck: reasons.length > 0,
    reasons,
  };
}

function percentiles(h: LatencyHistogram): PercentilesMs {
  return { p50: valueAtPercentileMs(h, 50), p90: valueAtPercentileMs(h, 90), p99: valueAtPercentileMs(h, 99), max: valueAtPercentileMs(h, 100) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
