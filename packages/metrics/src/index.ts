export { addHistogram, createLatencyHistogram, HIGHEST_MICROS, LOWEST_MICROS, SIGNIFICANT_DIGITS, type LatencyHistogram } from "./histogram.js";
export { decodeHistogram, emptyHistogramEncoded, encodeHistogram } from "./encoding.js";
export { latencySummaryMs, percentileDistribution, valueAtPercentileMs, type LatencySummaryMs } from "./summary.js";
export { IntervalHistogram } from "./interval.js";
