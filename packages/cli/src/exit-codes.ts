import { InfrastructureError, InvalidInputError, formatIssue } from "@parallax/protocol";

/** design.md §8. */
export const EXIT = {
  pass: 0,
  verdictFailed: 1,
  invalidInput: 2,
  infrastructure: 3,
  interrupted: 130,
} as const;

/** Map an error to what the user sees (one message, no stack for expected failures) and the exit code. */
export function describeFailure(error: unknown): { readonly message: string; readonly code: number } {
  if (error instanceof InvalidInputError) {
    const lines = error.issues.map((i) => `  ${formatIssue(i)}`);
    return { message: `parallax: invalid input\n${lines.join("\n")}`, code: EXIT.invalidInput };
  }
  if (error instanceof InfrastructureError) return { message: `parallax: ${error.message}`, code: EXIT.infrastructure };
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { message: `parallax: internal error (a bug; please report it)\n${detail}`, code: EXIT.infrastructure };
}
