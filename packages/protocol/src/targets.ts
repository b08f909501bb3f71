/** The roles a target can play in a run. */
export const TARGET_NAMES = ["production", "candidate", "secondary"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** Methods production and secondary receive without an explicit allowance. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
