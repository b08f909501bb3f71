// Lint rules, including the dependency direction of design.md §3: each package may import
// only the packages below it, and only `transport` may import NATS.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** What each package may import of ours (design.md §3). */
const ALLOWED = {
  protocol: [],
  metrics: [],
  recording: ["protocol"],
  scenario: ["protocol"],
  diff: ["protocol"],
  engine: ["protocol", "metrics", "scenario", "diff", "recording"],
  transport: ["protocol"],
  agent: ["protocol", "transport", "engine", "scenario", "metrics", "recording", "diff"],
  coordinator: ["protocol", "transport", "metrics", "scenario", "diff", "recording"],
  report: ["protocol", "metrics"],
  tap: ["protocol", "transport", "recording"],
  testkit: ["protocol"],
  cli: ["protocol", "transport", "agent", "coordinator", "report", "scenario", "recording", "metrics", "engine", "diff", "tap"],
};
const PACKAGES = Object.keys(ALLOWED);

const boundaries = PACKAGES.map((pkg) => ({
  files: [`packages/${pkg}/src/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: PACKAGES.filter((p) => p !== pkg && !ALLOWED[pkg].includes(p)).map((p) => `@parallax/${p}`),
            message: `design.md §3: @parallax/${pkg} may import only ${ALLOWED[pkg].join(", ") || "nothing of ours"}.`,
          },
          { group: ["@parallax/*/*", "../../*/src/*"], message: "Import other packages through their public index only." },
          ...(pkg === "transport" ? [] : [{ group: ["@nats-io/*", "nats"], message: "Only @parallax/transport may import NATS." }]),
        ],
      },
    ],
    // Only the CLI touches the process (argv, env, exit, stdio); packages receive what they need.
    "no-restricted-globals": pkg === "cli" ? "off" : ["error", { name: "process", message: "Only @parallax/cli touches the process; pass what you need in." }],
    "no-console": pkg === "cli" ? "off" : "error",
  },
}));

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/results/**", "parallax-report/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", queueMicrotask: "readonly", URL: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", AbortController: "readonly", AbortSignal: "readonly", performance: "readonly", structuredClone: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  ...boundaries,
);
