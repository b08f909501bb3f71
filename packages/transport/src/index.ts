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
