export {
  RequestTimeoutError,
  type BlobStore,
  type Bus,
  type BusMessage,
  type DurableStream,
  type StreamMessage,
  type Subscription,
  type TrafficBacklog,
  type TrafficMessage,
  type TrafficStreams,
} from "./bus.js";
export { MemoryBus } from "./memory-bus.js";
export { subjectMatches } from "./subject-match.js";
export { BUNDLE_BUCKET, BusUnavailableError, NatsBus, SNAPSHOT_STREAM, type NatsBusOptions } from "./nats-bus.js";
export { TRAFFIC_MAX_ACK_PENDING, TRAFFIC_STREAM_PREFIX, trafficStreamName } from "./nats-traffic.js";
export { TRAFFIC_DEDUPE_WINDOW_MS, TrafficStreamNotFoundError } from "./traffic.js";
