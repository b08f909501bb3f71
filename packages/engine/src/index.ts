export { sleep, systemClock, type Clock } from "./clock.js";
export type { PreparedRequest, Target } from "./target.js";
export { HttpTarget, errorKind, type HttpTargetOptions } from "./http-target.js";
export { endpointNamer, heldBackReason, prepareRequest, prepareRequests, type PrepareOptions } from "./prepare.js";
export { IntervalSink, LATE_THRESHOLD_MS, MAX_ENDPOINTS, OTHER_ENDPOINTS, type IntervalData, type Sink } from "./interval-sink.js";
export { runOpenLoop, type OpenLoopOptions, type OpenLoopResult } from "./open-loop.js";
export { runClosedLoop, type ClosedLoopOptions, type ClosedTarget } from "./closed-loop.js";
export { LoopDelaySampler } from "./loop-delay.js";
export { warmUpHttpClient } from "./warm-up.js";
// gRPC (issue 6, first step): unary calls on grpc-js; not yet reachable from scenarios or the CLI.
export { GrpcTarget, type GrpcTargetOptions, type GrpcTlsOptions } from "./grpc/grpc-target.js";
export { loadProtos, ProtoRegistry, type GrpcMethod, type GrpcMethodKind, type GrpcMethodLookup, type IdempotencyLevel, type ProtoSources } from "./grpc/protos.js";
export { prepareGrpcCall, preparedGrpcRequest, type GrpcPreparedRequest, type PreparedGrpcCall, type RecordedGrpcCall } from "./grpc/call.js";
export { GRPC_STATUS_NAMES, grpcStatusFromOutcome, grpcStatusName, isServerFault, outcomeStatusOf, type GrpcStatusName } from "./grpc/status.js";
