export { renderJson } from "./json.js";
export { renderMarkdown } from "./markdown.js";
export { renderSummary, type SummaryOptions } from "./summary.js";
export { formatProgress } from "./progress.js";
export { writeReport, type ReportFiles, type ReportOptions } from "./write.js";
export { REPORT_JSON_SCHEMA } from "./schema.js";
export { LATENCY_BUCKETS_SECONDS, OTHER_ENDPOINT, escapeLabel, renderPrometheus } from "./prometheus.js";
