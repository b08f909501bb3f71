import { MESSAGE_SCHEMAS, type Message, type MessageOf, type MessageType, type Payload } from "./messages.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMessage<T extends MessageType>(type: T, payload: Payload<T>): Uint8Array {
  return encoder.encode(JSON.stringify({ type, ...payload }));
}

export type DecodeResult =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly error: string; readonly type?: string };

/** Decode untrusted bytes once, at the edge. Unknown types and malformed payloads are reported, never thrown. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, error: "not JSON" };
  }
  if (typeof raw !== "object" || raw === null || typeof (raw as { type?: unknown }).type !== "string") {
    return { ok: false, error: "no message type" };
  }
  const type = (raw as { type: string }).type;
  if (!Object.hasOwn(MESSAGE_SCHEMAS, type)) return { ok: false, error: `unknown message type ${type}`, type };
  const schema = MESSAGE_SCHEMAS[type as MessageType];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: `invalid ${type}: ${parsed.error.issues[0]?.message ?? "?"}`, type };
  return { ok: true, message: { ...(parsed.data as object), type } as Message };
}

/** Decode and insist on one type (for request/reply exchanges). */
export function decodeExpected<T extends MessageType>(bytes: Uint8Array, ...types: T[]): MessageOf<T> {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`bad reply: ${result.error}`);
  if (!(types as string[]).includes(result.message.type)) throw new Error(`unexpected reply ${result.message.type}`);
  return result.message as MessageOf<T>;
}
