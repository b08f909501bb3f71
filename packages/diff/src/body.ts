// Deciding how a response body is compared: as JSON or as bytes.

import { Buffer } from "node:buffer";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Returned by `parseJsonBody` when a body is not (valid) JSON. */
export const NOT_JSON: unique symbol = Symbol("not JSON");

function firstSignificantByte(body: Uint8Array): number | undefined {
  let i = 0;
  // A UTF-8 byte order mark is not content.
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) i = 3;
  for (; i < body.length; i++) {
    const b = body[i] as number;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}

/**
 * A body is tried as JSON when its content type mentions `json` (`application/json`,
 * `application/problem+json`, ...), or when it starts with `{` or `[` whatever its content type
 * (many services send JSON as text/plain). It then has to be valid UTF-8 and valid JSON; else it
 * is compared by bytes.
 */
export function parseJsonBody(body: Uint8Array, contentType: string | undefined): unknown {
  const first = firstSignificantByte(body);
  const looksJson = first === 0x7b || first === 0x5b || (contentType !== undefined && contentType.toLowerCase().includes("json"));
  if (!looksJson) return NOT_JSON;
  try {
    return JSON.parse(utf8.decode(body)) as unknown;
  } catch {
    return NOT_JSON;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
