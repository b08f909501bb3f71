import { createHash } from "node:crypto";

/**
 * What the coordinator ships to agents: the scenario as plain data, the redacted recording as
 * Parallax JSONL and, for gRPC calls, the resolved protos as protobufjs JSON (data that describes
 * messages; agents build codecs from it, never code).
 */
export interface Bundle {
  readonly scenario: unknown;
  readonly recording: string;
  readonly protos?: unknown;
}

const BUNDLE_TYPE = "parallax.v1.bundle";

export function encodeBundle(bundle: Bundle): { bytes: Uint8Array; digest: string } {
  const bytes = new TextEncoder().encode(JSON.stringify({ type: BUNDLE_TYPE, scenario: bundle.scenario, recording: bundle.recording, protos: bundle.protos }));
  return { bytes, digest: sha256(bytes) };
}

/** Verify the digest, then decode; throws on a mismatch or a foreign format. */
export function decodeBundle(bytes: Uint8Array, expectedDigest: string): Bundle {
  const digest = sha256(bytes);
  if (digest !== expectedDigest) throw new Error(`bundle digest mismatch: expected ${expectedDigest}, got ${digest}`);
  const raw = JSON.parse(new TextDecoder().decode(bytes)) as { type?: unknown; scenario?: unknown; recording?: unknown; protos?: unknown };
  if (raw.type !== BUNDLE_TYPE || typeof raw.recording !== "string") throw new Error(`not a ${BUNDLE_TYPE}`);
  return { scenario: raw.scenario, recording: raw.recording, ...(raw.protos === undefined ? {} : { protos: raw.protos }) };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
