// The capturing reverse proxy (`parallax tap`).
export { BoundedCapture } from "./capture.js";
export { upstreamErrorKind } from "./errors.js";
export { HOP_BY_HOP } from "./headers.js";
export { TAP_DEFAULTS, startTap, validateTapOptions, type Tap, type TapOptions, type TapStats } from "./proxy.js";
export {
  PUBLISHER_DEFAULTS,
  createPublisher,
  fitExchange,
  validatePublisherOptions,
  type PublishFunction,
  type Publisher,
  type PublisherOptions,
  type PublisherStats,
} from "./publisher.js";
export { RECORDER_DEFAULTS, createRecorder, type Recorder, type RecorderOptions, type RecorderStats } from "./recorder.js";
export { createExchangeRedactor, type ExchangeRedactor } from "./redact.js";
export type { ExchangeSink } from "./sink.js";
