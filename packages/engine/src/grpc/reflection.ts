// A target's protos by gRPC server reflection, for when the user gives no --proto files.

import { InvalidInputError } from "@parallax/protocol";
import { Client, Metadata, status as Status, type ClientDuplexStream, type StatusObject } from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { channelFor } from "./channel.js";
import type { GrpcTlsOptions } from "./grpc-target.js";
import { ProtoRegistry } from "./protos.js";
import { decodeFileDescriptor, keepServices, rootFromDescriptors, type FileDescriptor } from "./reflection-descriptors.js";
import {
  REFLECTION_SERVICES,
  REFLECTION_V1,
  REFLECTION_V1ALPHA,
  decodeReflectionResponse,
  encodeReflectionRequest,
  reflectionPath,
  type ReflectionRequest,
  type ReflectionResponse,
} from "./reflection-protocol.js";
import { grpcStatusName } from "./status.js";

export interface ReflectionOptions {
  /** `grpc://host:port` or `grpcs://host:port`. */
  readonly url: string;
  /** The deadline of the whole exchange, both protocol versions included. */
  readonly timeoutMs: number;
  readonly tls?: GrpcTlsOptions;
  /** Connect only to these addresses, as the target would. */
  readonly addresses?: readonly string[];
  /** Sent with the reflection call, e.g. credentials. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Where errors point, e.g. "targets.production.url". */
  readonly location: string;
}

/** One response can carry a file and all it imports; grpc-js' default 4 MiB is tight for large APIs. */
const MAX_REFLECTION_MESSAGE_BYTES = 64 * 1024 * 1024;
const GIVE_PROTOS = "give the protos with --proto";

/**
 * Every service the server lists (except the reflection services themselves), with all their
 * files and dependencies, as a ProtoRegistry. Asks `grpc.reflection.v1`, then `v1alpha` when v1
 * is UNIMPLEMENTED, all within `timeoutMs`. Every failure (not reachable, no reflection, refused,
 * deadline, protos that do not resolve) is one `InvalidInputError` on `location` that says what
 * to do; the channel is closed in every case.
 */
export async function protosByReflection(options: ReflectionOptions): Promise<ProtoRegistry> {
  const { target, channelCredentials, channelOptions } = channelFor({ ...options, maxMessageBytes: MAX_REFLECTION_MESSAGE_BYTES });
  const metadata = metadataOf(options);
  const client = new Client(target, channelCredentials, channelOptions);
  const deadline = Date.now() + options.timeoutMs;
  try {
    let reflected: Reflected;
    try {
      reflected = await reflect(client, REFLECTION_V1, metadata, deadline, options);
    } catch (error) {
      if (!isStatus(error, Status.UNIMPLEMENTED)) throw error;
      reflected = await reflect(client, REFLECTION_V1ALPHA, metadata, deadline, options);
    }
    return registryOf(reflected, options);
  } catch (error) {
    throw explain(error, options);
  } finally {
    client.close();
  }
}

interface Reflected {
  readonly services: readonly string[];
  readonly files: readonly FileDescriptor[];
}

/** list_services, file_containing_symbol for each service, then file_by_filename for each import not yet received. */
async function reflect(client: Client, service: string, metadata: Metadata, deadline: number, options: ReflectionOptions): Promise<Reflected> {
  const stream = new ReflectionStream(client, service, metadata, deadline);
  const refused = (what: string, response: ReflectionResponse) => {
    const error = response.errorResponse;
    const code = error === undefined ? "it answered something else" : `${grpcStatusName(error.errorCode ?? Status.UNKNOWN)}: ${error.errorMessage ?? ""}`;
    return invalid(options, `server reflection on ${options.url} did not give ${what} (${code}); ${GIVE_PROTOS}`);
  };
  try {
    const listing = await stream.ask({ listServices: "*" });
    if (listing.listServicesResponse === undefined) throw refused("its list of services", listing);
    const services = [...new Set(listing.listServicesResponse.service.map((s) => s.name ?? ""))].filter((name) => name !== "" && !REFLECTION_SERVICES.has(name));
    if (services.length === 0) throw invalid(options, `${options.url} lists no services by server reflection; ${GIVE_PROTOS}`);

    // Files by name: a server may send a file again with each symbol that needs it.
    const files = new Map<string, FileDescriptor>();
    const keep = (what: string, response: ReflectionResponse) => {
      if (response.fileDescriptorResponse === undefined) throw refused(what, response);
      for (const bytes of response.fileDescriptorResponse.fileDescriptorProto) {
        let file: FileDescriptor;
        try {
          file = decodeFileDescriptor(bytes);
        } catch (error) {
          throw invalid(options, `server reflection on ${options.url} sent a file descriptor that does not decode (${messageOf(error)}); ${GIVE_PROTOS}`, error);
        }
        const name = file.name || `#${files.size}`;
        if (!files.has(name)) files.set(name, file);
      }
    };
    // Requests are pipelined: the protocol answers them in order.
    await Promise.all(services.map(async (name) => keep(`service ${name}`, await stream.ask({ fileContainingSymbol: name }))));
    // Servers that do not send imports along with a file are asked for each by name.
    const asked = new Set<string>();
    for (;;) {
      const missing = [...new Set([...files.values()].flatMap((file) => file.dependency))].filter((name) => !files.has(name) && !asked.has(name));
      if (missing.length === 0) break;
      for (const name of missing) asked.add(name);
      await Promise.all(
        missing.map(async (name) => {
          const response = await stream.ask({ fileByFilename: name });
          // A well-known import the server does not have: protobufjs has its own copy.
          if (response.errorResponse !== undefined && name.startsWith("google/protobuf/")) return;
          keep(`"${name}", which its protos import`, response);
        }),
      );
    }
    return { services, files: [...files.values()] };
  } finally {
    stream.close();
  }
}

function registryOf(reflected: Reflected, options: ReflectionOptions): ProtoRegistry {
  let root: protobuf.Root;
  try {
    root = rootFromDescriptors(reflected.files);
  } catch (error) {
    throw invalid(options, `server reflection on ${options.url} gave protos that do not load (${messageOf(error)}); ${GIVE_PROTOS}`, error);
  }
  // Only what the server lists: a file may also define services it does not serve.
  const undescribed = keepServices(root, reflected.services);
  if (undescribed.length > 0) throw invalid(options, `server reflection on ${options.url} lists ${undescribed.join(", ")} but gave no file that defines it; ${GIVE_PROTOS}`);
  return new ProtoRegistry(root.files, root);
}

/**
 * One bidi-streaming ServerReflectionInfo call; `ask` resolves with the response to its request
 * (the protocol answers in order), or rejects with the call's status once the call ends.
 */
class ReflectionStream {
  readonly #call: ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
  readonly #waiting: Array<{ resolve: (response: ReflectionResponse) => void; reject: (error: unknown) => void }> = [];
  #ended: StatusObject | undefined;

  constructor(client: Client, service: string, metadata: Metadata, deadline: number) {
    this.#call = client.makeBidiStreamRequest(reflectionPath(service), encodeReflectionRequest, decodeReflectionResponse, metadata, { deadline });
    this.#call.on("data", (response: ReflectionResponse) => this.#waiting.shift()?.resolve(response));
    // Every ending comes as a status too; "error" only repeats a non-OK one.
    this.#call.on("error", () => {});
    this.#call.on("status", (status: StatusObject) => {
      this.#ended = status;
      for (const waiting of this.#waiting.splice(0)) waiting.reject(status);
    });
  }

  ask(request: ReflectionRequest): Promise<ReflectionResponse> {
    if (this.#ended !== undefined) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#call.write(request);
    });
  }

  /** Ends the call now, whatever it is doing: nothing is left waiting on the server. */
  close(): void {
    if (this.#ended === undefined) this.#call.cancel();
  }
}

function metadataOf(options: ReflectionOptions): Metadata {
  const metadata = new Metadata();
  try {
    for (const [name, value] of Object.entries(options.metadata ?? {})) metadata.add(name.toLowerCase(), value);
  } catch (error) {
    throw invalid(options, `metadata for server reflection: ${messageOf(error)}`, error);
  }
  return metadata;
}

function isStatus(error: unknown, code?: number): error is StatusObject {
  const candidate = error as Partial<StatusObject> | null;
  return typeof candidate === "object" && candidate !== null && typeof candidate.code === "number" && typeof candidate.details === "string" && (code === undefined || candidate.code === code);
}

/** A call's final status as something the user can act on. */
function explain(error: unknown, options: ReflectionOptions): InvalidInputError {
  if (error instanceof InvalidInputError) return error;
  const url = options.url;
  if (!isStatus(error)) return invalid(options, `server reflection on ${url} failed: ${messageOf(error)}; ${GIVE_PROTOS}`, error);
  const { code, details } = error;
  // What grpc-js makes of an HTTP answer that is not gRPC: a web server, or a proxy that does not route the call.
  const http = /^Received HTTP status code (\d+)/.exec(details);
  if (http !== null) return invalid(options, `${url} answered server reflection with HTTP ${http[1]}, not gRPC (no gRPC server there, or a proxy that does not route reflection); ${GIVE_PROTOS}`);
  switch (code) {
    case Status.UNIMPLEMENTED:
      return invalid(options, `${url} does not offer server reflection (UNIMPLEMENTED); ${GIVE_PROTOS}`);
    case Status.DEADLINE_EXCEEDED:
      return invalid(options, `server reflection on ${url} did not finish within ${options.timeoutMs} ms; ${GIVE_PROTOS}`);
    case Status.UNAUTHENTICATED:
    case Status.PERMISSION_DENIED:
      return invalid(options, `${url} refused server reflection (${grpcStatusName(code)}: ${details}); check the metadata sent to it, or ${GIVE_PROTOS}`);
    case Status.UNAVAILABLE: {
      // grpc-js' own UNAVAILABLE when no connection was made, as opposed to one the server sent.
      const noConnection = /^(No connection established|Name resolution failed|Connection dropped|Failed to connect)/.exec(details);
      if (noConnection === null) break;
      const reason = details.startsWith("Name resolution failed") ? "ENOTFOUND" : (/\b(E[A-Z][A-Z0-9_]{2,})\b/.exec(details)?.[1] ?? details);
      return invalid(options, `could not reach ${url}: ${reason} (server reflection needs the target up; or give --proto)`);
    }
  }
  return invalid(options, `server reflection on ${url} failed (${grpcStatusName(code)}: ${details}); ${GIVE_PROTOS}`);
}

function invalid(options: ReflectionOptions, message: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError([{ location: options.location, message }], cause === undefined ? undefined : { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
