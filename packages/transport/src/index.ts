export {
  RequestTimeoutError,
  type BlobStore,
  type Bus,
  type BusMessage,
  type DurableStream,
  type StreamMessage,
  type Subscription,
} from "./bus.js";
export { MemoryBus } from "./memory-bus.js";
export { subjectMatches } from "./subject-match.js";
export { BUNDLE_BUCKET, BusUnavailableError, NatsBus, SNAPSHOT_STREAM, type NatsBusOptions } from "./nats-bus.js";
