// Shared builders for the diff tests (not a test file itself).

import type { RecordedRequest } from "@parallax/protocol";
import type { CompareOptions, Outcome, PairInput } from "../src/index.js";

const encoder = new TextEncoder();

export function ok(status: number, body: string | object, headers: Record<string, string> = {}, bodyTruncated = false): Outcome {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return { ok: true, status, headers, body: encoder.encode(text), bodyTruncated };
}

export function failed(error = "timeout"): Outcome {
  return { ok: false, error };
}

export function request(overrides: Partial<RecordedRequest> = {}): RecordedRequest {
  return { index: 0, offsetMs: 0, method: "POST", path: "/v1/models/m:predict", headers: [["content-type", "application/json"]], ...overrides };
}

export const ENDPOINT = "POST /v1/models/m:predict";

export function pair(production: Outcome, candidate: Outcome, secondary?: Outcome, endpoint = ENDPOINT): PairInput {
  const base = { endpoint, request: request(), production, candidate };
  return secondary === undefined ? base : { ...base, secondary };
}

/** mulberry32: a small seeded generator so sampling tests are deterministic. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function options(overrides: Partial<CompareOptions> = {}): CompareOptions {
  return { ignore: [], tolerance: { absolute: 0, relative: 0 }, headers: [], exemplars: 3, maxExemplarBodyBytes: 1024, random: seeded(1), ...overrides };
}
