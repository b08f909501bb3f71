// The gRPC side of a run's inputs: where the protos come from, and whether every recorded request
// has a target URL that speaks its protocol.
import { readTls } from "@parallax/agent";
import { loadProtos, protosByReflection, type ProtoRegistry } from "@parallax/engine";
import { InvalidInputError, TARGET_NAMES, type Issue, type RecordedRequest } from "@parallax/protocol";
import { targetProtocol, type Scenario } from "@parallax/scenario";

/** Server reflection is one short exchange; a target that has not answered in this long will not. */
const REFLECTION_TIMEOUT_MS = 10_000;

/**
 * The protos of a run: the files given (`--proto`, `grpc.protos`), else, when some target takes
 * gRPC calls, what the production target's server reflection describes (its schema is the one
 * the recording was made against). Undefined when nothing in the run speaks gRPC.
 */
export async function resolveProtos(scenario: Scenario): Promise<ProtoRegistry | undefined> {
  const { protos, importPaths, baseDir } = scenario.grpc;
  // Every problem loading them names the proto file (and line) at fault.
  if (protos.length > 0) return loadProtos({ files: protos, importPaths, baseDir });
  const name = TARGET_NAMES.find((n) => scenario.targets[n]?.grpcUrl !== undefined);
  const spec = name === undefined ? undefined : scenario.targets[name];
  if (name === undefined || spec?.grpcUrl === undefined) return undefined;
  return protosByReflection({
    url: spec.grpcUrl,
    timeoutMs: Math.min(spec.timeoutMs, REFLECTION_TIMEOUT_MS),
    metadata: spec.headers,
    location: `targets.${name}.${spec.grpcUrl === spec.url ? "url" : "grpcUrl"}`,
    ...(spec.tls === undefined ? {} : { tls: readTls(name, spec.tls) }),
  });
}

/**
 * A target's TLS settings apply to its grpcs:// URL, and their files must be readable here: the
 * agents read them again from their own disks, but a local run would otherwise fail only at
 * the start, as an agent refusing the run.
 */
export function checkTls(scenario: Scenario): void {
  const issues: Issue[] = [];
  for (const name of TARGET_NAMES) {
    const spec = scenario.targets[name];
    if (spec?.tls === undefined) continue;
    if (spec.grpcUrl === undefined || !spec.grpcUrl.startsWith("grpcs:")) {
      issues.push({ location: `targets.${name}.tls`, message: `tls applies to a grpcs:// URL, and ${name} has none (${spec.grpcUrl ?? spec.url}); use grpcs://, or https:// for HTTP, which trusts the system's roots` });
      continue;
    }
    try {
      readTls(name, spec.tls);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
}

/**
 * Every request needs a URL of its protocol on every target, and the closed model (autocannon)
 * drives HTTP only. One issue per target that lacks one, naming the first request concerned.
 */
export function checkProtocols(scenario: Scenario, requests: readonly RecordedRequest[]): void {
  const firstGrpc = requests.find((r) => r.protocol === "grpc");
  const firstHttp = requests.find((r) => r.protocol !== "grpc");
  const issues: Issue[] = [];
  const count = (grpc: boolean) => requests.filter((r) => (r.protocol === "grpc") === grpc).length;
  for (const name of TARGET_NAMES) {
    const spec = scenario.targets[name];
    if (spec === undefined) continue;
    if (firstGrpc !== undefined && spec.grpcUrl === undefined) {
      issues.push({
        location: `targets.${name}.url`,
        message: `the recording holds ${count(true)} gRPC calls (the first is request ${firstGrpc.index + 1}, ${firstGrpc.path.slice(1)}), but ${name} has no gRPC URL: give a grpc:// or grpcs:// URL, or grpcUrl beside its HTTP url`,
      });
    }
    if (firstHttp !== undefined && targetProtocol(spec.url) !== "http") {
      issues.push({
        location: `targets.${name}.url`,
        message: `the recording holds ${count(false)} HTTP requests (the first is request ${firstHttp.index + 1}, ${firstHttp.method} ${firstHttp.path}), but ${name}'s url ${spec.url} is gRPC: give its HTTP url, and the gRPC one as grpcUrl`,
      });
    }
  }
  if (firstGrpc !== undefined && scenario.load.model === "closed") {
    issues.push({ location: "load.model", message: "the closed model drives HTTP connections only; replay gRPC calls with an open model (constant, ramp, steps or replay)" });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
}
