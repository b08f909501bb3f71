// gRPC status codes, and how a gRPC status is encoded in the HTTP-shaped `Outcome` the diff and
// the sink understand today.
//
// Encoding (lossless, and right for today's `status >= 500 → error` rule of the sink):
//   OK                                   → 200
//   server faults (issue 6: UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE, DATA_LOSS)
//                                        → 560 + code   (562, 564, 573, 574, 575)
//   every other status (the caller's or the application's answer: INVALID_ARGUMENT, NOT_FOUND, ...)
//                                        → 460 + code   (463 INVALID_ARGUMENT … 476 UNAUTHENTICATED)
// Not answers, so never encoded by GrpcTarget (which reports them as `{ ok: false, error }`, not
// compared; the numbers below stay defined so the table is total):
//   CANCELLED (461)                      → "cancelled": Parallax cancels no call but by its deadline
//                                          ("timeout"), so it is grpc-js' (or a proxy's) word for a
//                                          connection lost mid-call, e.g. a target killed mid-run
//   RESOURCE_EXHAUSTED that grpc-js makes up for a response above the target's maxMessageBytes
//                                        → "response too large" (a server's own RESOURCE_EXHAUSTED
//                                          stays 468)
//   DEADLINE_EXCEEDED at our deadline    → "timeout" (a server's own stays 564)
//   UNAVAILABLE without a connection     → the errno, or "UNAVAILABLE" (a server's own stays 574)
// The 46x/56x ranges are unassigned in the HTTP status registry, so no number reads as a
// different HTTP meaning (plain 500+code would make INVALID_ARGUMENT a "503" and count it as a
// server error; the usual gRPC→HTTP table folds several codes into 400/409/500, so a status diff
// between, say, INVALID_ARGUMENT and FAILED_PRECONDITION would be lost). The status name is also
// in the `grpc-status` header of every gRPC outcome.
//
// The sink keys `statusCodes` by `Outcome.statusName` (the name), and counts 56x as errors.

/** Index = numeric code (grpc/doc/statuscodes.md). */
export const GRPC_STATUS_NAMES = Object.freeze([
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const);

export type GrpcStatusName = (typeof GRPC_STATUS_NAMES)[number];

export const GRPC_OK = 0;
const UNKNOWN = 2;

/** Statuses that count as errors (issue 6): the server, not the request, is at fault. */
const SERVER_FAULTS: ReadonlySet<number> = new Set([2, 4, 13, 14, 15]);

const OK_STATUS = 200;
const CALLER_BASE = 460;
const SERVER_FAULT_BASE = 560;

/** A code outside 0..16 is read as UNKNOWN, as the gRPC spec tells clients to. */
export function normalizeGrpcCode(code: number): number {
  return Number.isInteger(code) && code >= 0 && code < GRPC_STATUS_NAMES.length ? code : UNKNOWN;
}

export function grpcStatusName(code: number): GrpcStatusName {
  return GRPC_STATUS_NAMES[normalizeGrpcCode(code)] as GrpcStatusName;
}

export function isServerFault(code: number): boolean {
  return SERVER_FAULTS.has(normalizeGrpcCode(code));
}

/** The `Outcome.status` a gRPC status is reported as (see the table at the top of the file). */
export function outcomeStatusOf(code: number): number {
  const c = normalizeGrpcCode(code);
  if (c === GRPC_OK) return OK_STATUS;
  return (SERVER_FAULTS.has(c) ? SERVER_FAULT_BASE : CALLER_BASE) + c;
}
