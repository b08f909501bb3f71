export { addHistogram, createLatencyHistogram, HIGHEST_MICROS, LOWEST_MICROS, SIGNIFICANT_DIGITS, type LatencyHistogram } from "./histogram.js";
export { decodeHistogram, emptyHistogramEncoded, encodeHistogram } from "./encoding.js";
export { latencySummaryMs, percentileDistribution, valueAtPercentileMs, type LatencySummaryMs } from "./summary.js";
export { IntervalHistogram } from "./interval.js";
export { encodeInterval, formatIntervalLog, INTERVAL_LOG_MAX_VALUE_UNIT_RATIO, type EncodedInterval, type IntervalLogOptions, type LoggedInterval } from "./interval-log.js";
export { LatencyTimeline } from "./timeline.js";
export { compareLatency, LATENCY_COMPARISON_DEFAULTS, minSamplesFor, validateLatencyComparisonOptions, type LatencyComparison, type LatencyComparisonOptions, type LatencyQuantile, type QuantileComparison } from "./latency-comparison.js";
