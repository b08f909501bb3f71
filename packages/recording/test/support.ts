// Helpers shared by the recording tests.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { InvalidInputError } from "@parallax/protocol";

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A temporary directory for this test file, made before its tests and removed after them. */
export function useTempDir(prefix: string): () => string {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `parallax-${prefix}-`));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** The issues of the InvalidInputError a promise must reject with. */
export async function issuesOf(promise: Promise<unknown>): Promise<unknown[]> {
  const error = await promise.then(
    () => assert.fail("expected an InvalidInputError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidInputError);
  return [...error.issues];
}
