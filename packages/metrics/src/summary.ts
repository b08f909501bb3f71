// Figures read from a histogram, in milliseconds. Always from one (merged) histogram: percentiles are never averaged.
import { hdrOf, type LatencyHistogram } from "./histogram.js";

/**
 * Same shape as `LatencySummaryMs` in @parallax/protocol (metrics imports nothing of ours, design.md §3);
 * structural typing makes the two interchangeable.
 */
export interface LatencySummaryMs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  readonly min: number;
}

/** Whole microseconds to milliseconds with 3 decimals (1 µs resolution). */
function toMs(micros: number): number {
  return Math.round(micros) / 1000;
}

/**
 * The value at percentile `p` (0..100) in ms: the highest value equivalent (same 3-digit bucket) to the
 * recorded value at that rank, as HdrHistogram reports it; 0 for an empty histogram.
 */
export function valueAtPercentileMs(h: LatencyHistogram, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  return toMs(hdrOf(h).getValueAtPercentile(p));
}

/** p50, p90, p99, p99.9, max, mean, min in ms (3 decimals); every field 0 for an empty histogram. */
export function latencySummaryMs(h: LatencyHistogram): LatencySummaryMs {
  const hdr = hdrOf(h);
  if (hdr.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 };
  return {
    p50: toMs(hdr.getValueAtPercentile(50)),
    p90: toMs(hdr.getValueAtPercentile(90)),
    p99: toMs(hdr.getValueAtPercentile(99)),
    p999: toMs(hdr.getValueAtPercentile(99.9)),
    // Bucket-equivalent bounds, so a histogram and its decoded copy report the same min and max.
    max: toMs(hdr.highestEquivalentValue(hdr.maxValue)),
    mean: toMs(hdr.mean),
    min: toMs(hdr.lowestEquivalentValue(hdr.minNonZeroValue)),
  };
}

/**
 * The classic HdrHistogram percentile distribution (`.hgrm`) in milliseconds: `Value Percentile TotalCount
 * 1/(1-Percentile)` rows, 5 ticks per half distance, then the `#[Mean = …]` footer.
 */
export function percentileDistribution(h: LatencyHistogram): string {
  return hdrOf(h).outputPercentileDistribution(5, 1000);
}
