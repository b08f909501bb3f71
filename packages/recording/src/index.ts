export { detectFormat, type TrafficFormat } from "./detect.js";
export { encodeJsonl, parseJsonl, toJsonlLine } from "./jsonl.js";
export { loadRecording, readRecording, type ReadOptions } from "./read.js";
export type { RequestParts, RequestValidator } from "./normalise.js";
export {
  DEFAULT_REDACTED_HEADERS,
  DEFAULT_REDACTED_QUERY,
  createRedactor,
  type RedactionOptions,
  type Redactor,
} from "./redact.js";
