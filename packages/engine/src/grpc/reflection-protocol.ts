// The messages of the gRPC server reflection protocol (grpc/reflection/v1/reflection.proto; v1alpha
// has the same messages under another package), as a protobufjs JSON descriptor: the build copies
// only .ts files, so nothing is read from a .proto at run time.

import protobuf from "protobufjs";

export const REFLECTION_V1 = "grpc.reflection.v1.ServerReflection";
export const REFLECTION_V1ALPHA = "grpc.reflection.v1alpha.ServerReflection";
export const REFLECTION_SERVICES: ReadonlySet<string> = new Set([REFLECTION_V1, REFLECTION_V1ALPHA]);

/** The bidi-streaming method, by its HTTP/2 path. */
export function reflectionPath(service: string): string {
  return `/${service}/ServerReflectionInfo`;
}

export type ReflectionRequest =
  | { readonly listServices: string }
  | { readonly fileContainingSymbol: string }
  | { readonly fileByFilename: string };

/** What we read of a `ServerReflectionResponse`; exactly one of the three is set by a well-behaved server. */
export interface ReflectionResponse {
  readonly fileDescriptorResponse?: { readonly fileDescriptorProto: readonly Uint8Array[] };
  readonly listServicesResponse?: { readonly service: ReadonlyArray<{ readonly name?: string }> };
  readonly errorResponse?: { readonly errorCode?: number; readonly errorMessage?: string };
}

const root = protobuf.Root.fromJSON({
  nested: {
    ServerReflectionRequest: {
      oneofs: { messageRequest: { oneof: ["fileByFilename", "fileContainingSymbol", "fileContainingExtension", "allExtensionNumbersOfType", "listServices"] } },
      fields: {
        host: { type: "string", id: 1 },
        fileByFilename: { type: "string", id: 3 },
        fileContainingSymbol: { type: "string", id: 4 },
        fileContainingExtension: { type: "ExtensionRequest", id: 5 },
        allExtensionNumbersOfType: { type: "string", id: 6 },
        listServices: { type: "string", id: 7 },
      },
    },
    ExtensionRequest: { fields: { containingType: { type: "string", id: 1 }, extensionNumber: { type: "int32", id: 2 } } },
    ServerReflectionResponse: {
      oneofs: { messageResponse: { oneof: ["fileDescriptorResponse", "allExtensionNumbersResponse", "listServicesResponse", "errorResponse"] } },
      fields: {
        validHost: { type: "string", id: 1 },
        originalRequest: { type: "ServerReflectionRequest", id: 2 },
        fileDescriptorResponse: { type: "FileDescriptorResponse", id: 4 },
        allExtensionNumbersResponse: { type: "ExtensionNumberResponse", id: 5 },
        listServicesResponse: { type: "ListServiceResponse", id: 6 },
        errorResponse: { type: "ErrorResponse", id: 7 },
      },
    },
    FileDescriptorResponse: { fields: { fileDescriptorProto: { rule: "repeated", type: "bytes", id: 1 } } },
    ExtensionNumberResponse: { fields: { baseTypeName: { type: "string", id: 1 }, extensionNumber: { rule: "repeated", type: "int32", id: 2 } } },
    ListServiceResponse: { fields: { service: { rule: "repeated", type: "ServiceResponse", id: 1 } } },
    ServiceResponse: { fields: { name: { type: "string", id: 1 } } },
    ErrorResponse: { fields: { errorCode: { type: "int32", id: 1 }, errorMessage: { type: "string", id: 2 } } },
  },
});
const Request = root.lookupType("ServerReflectionRequest");
const Response = root.lookupType("ServerReflectionResponse");

export function encodeReflectionRequest(request: ReflectionRequest): Buffer {
  const bytes = Request.encode(Request.fromObject(request)).finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Throws on bytes that are no `ServerReflectionResponse` (grpc-js then ends the call with INTERNAL). */
export function decodeReflectionResponse(bytes: Buffer): ReflectionResponse {
  // The schema fixes the shape: repeated fields are arrays, bytes stay bytes, absent fields are absent.
  return Response.toObject(Response.decode(bytes), { arrays: true }) as ReflectionResponse;
}
