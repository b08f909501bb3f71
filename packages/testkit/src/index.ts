export {
  GROUND_TRUTH_DEFAULTS,
  GROUND_TRUTH_RULES,
  HEADERS_CAP,
  expectedCounts,
  groundTruthCase,
  groundTruthLabel,
  groundTruthRecording,
  groundTruthScore,
  startGroundTruthTarget,
  type ExpectedCounts,
  type GroundTruthCase,
  type GroundTruthLabel,
  type GroundTruthOptions,
  type GroundTruthRole,
  type ReceivedTally,
  type RunningTarget,
} from "./ground-truth.js";
export { closeServer, freePort, onceListening } from "./net.js";
export { natsServerBinary, startNatsServer, type NatsServerHandle, type StartNatsServerOptions } from "./nats.js";
