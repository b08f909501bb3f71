/** Base of every error Parallax raises on purpose; the CLI maps `code` to an exit code. */
export class ParallaxError extends Error {
  override readonly name: string = "ParallaxError";
  readonly code: "invalid-input" | "infrastructure" | "interrupted" | "internal" = "internal";
}

export interface Issue {
  /** File the problem is in, when it comes from one. */
  readonly file?: string;
  /** `line:col`, 1-based, when known; or a path such as `load.rate` or `entries[3]`. */
  readonly location?: string;
  readonly message: string;
}

export function formatIssue(issue: Issue): string {
  const where = [issue.file, issue.location].filter(Boolean).join(":");
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** Bad user input (scenario, recording, flags): exit 2, every problem listed. */
export class InvalidInputError extends ParallaxError {
  override readonly name: string = "InvalidInputError";
  override readonly code = "invalid-input" as const;
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[], options?: { cause?: unknown }) {
    super(issues.map(formatIssue).join("\n"), options);
    this.issues = issues;
  }
}

/** NATS, agents or targets' infrastructure failed: exit 3, with whatever partial result exists. */
export class InfrastructureError extends ParallaxError {
  override readonly name: string = "InfrastructureError";
  override readonly code = "infrastructure" as const;
}
