export { detectFormat, type TrafficFormat } from "./detect.js";
export { encodeJsonl, parseJsonl, toJsonlLine } from "./jsonl.js";
export { loadRecording, readRecording, type ReadOptions } from "./read.js";
// normalise and compileRedaction: the tap redacts captured traffic with exactly the rules recordings use.
export { isJson, normalise, type RawRequest, type RequestParts, type RequestValidator } from "./normalise.js";
export {
  DEFAULT_REDACTED_HEADERS,
  DEFAULT_REDACTED_QUERY,
  compileRedaction,
  createRedactor,
  type Redaction,
  type RedactionOptions,
  type Redactor,
} from "./redact.js";
