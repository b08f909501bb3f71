import { Argument, Command, CommanderError, Option } from "commander";
import { DEFAULT_TRAFFIC_RETAIN } from "@parallax/protocol";
import { REPORT_JSON_SCHEMA } from "@parallax/report";
import { scenarioJsonSchema } from "@parallax/scenario";
import { runCommand, type RunOptions } from "./commands/run.js";
import { agentCommand, type AgentCommandOptions } from "./commands/agent.js";
import { agentsCommand } from "./commands/agents.js";
import { tapCommand, type TapCommandOptions } from "./commands/tap.js";
import { shadowCommand, type ShadowCommandOptions } from "./commands/shadow.js";
import { validateCommand } from "./commands/validate.js";
import { withNatsFlags, type NatsFlags } from "./nats.js";
import { EXIT, describeFailure } from "./exit-codes.js";
import { collect, type RunFlags } from "./flags.js";
import { LOG_LEVELS, createLogger, type Io } from "./io.js";
import { VERSION } from "./version.js";

/** Adds the flags that describe a run; `run` and `validate` share them so they validate the same thing. */
function withRunFlags(command: Command): Command {
  return withCompareFlags(
    command
      .option("--traffic <file>", "recording to replay: HAR 1.2 or Parallax JSONL")
      .addOption(new Option("--format <format>", "recording format").choices(["auto", "har", "jsonl"]))
      .option("--production <url>", "production base URL: http(s)://host:port[/base], or grpc(s)://host:port for gRPC calls")
      .option("--candidate <url>", "candidate base URL (http(s):// or grpc(s)://)")
      .option("--secondary <url>", "second production instance, to measure noise")
      .option("--proto <file>", "a .proto file defining the gRPC services the recording calls (repeatable; default: the production target's server reflection)", collect)
      .option("--import-path <dir>", "where --proto files and their imports are looked up, like protoc -I (repeatable)", collect)
      .option("--timeout <duration>", "per-request timeout for every target (e.g. 10s)")
      .option("--load <model>", "load model: constant, ramp, steps, replay or closed (default: implied by the other load flags, else constant)")
      .option("--rate <n>", "constant: requests per second (open model); each recorded request once unless --duration")
      .option("--duration <duration>", "constant: run this long, looping the recording (e.g. 30s, 2m); closed: how long to run")
      .option("--stages <list>", "ramp: comma-separated RATE:DURATION stages the rate moves through linearly, e.g. 100:30s,500:1m")
      .option("--start-rate <n>", "ramp: rate at the start (default 0); steps: rate of the first step")
      .option("--step-rate <n>", "steps: requests per second added at each step")
      .option("--max-rate <n>", "steps: the highest rate a step may have (the last step is the highest start + k × step not above it)")
      .option("--step-duration <duration>", "steps: how long each step lasts (e.g. 30s)")
      .option("--slo-p99 <duration>", "steps: highest p99 latency a step may show (e.g. 100ms)")
      .option("--slo-error-rate <x>", "steps: highest error rate a step may show, 0..1")
      .option("--speed <x>", "replay at the recording's original timing, sped up x times")
      .option("--max-gap <duration>", "replay: cap idle gaps of the recording to this")
      .option("--connections <n>", "closed: concurrent connections per target (fixed concurrency, maximum throughput)")
      .option("--redact-header <name>", "also redact this header at ingest (repeatable)", collect)
      .option("--redact-query <name>", "also redact this query parameter at ingest (repeatable)", collect)
      .option("--abort <expr>", "stop the run early when this holds on the data so far, e.g. 'production.errors.rate > 5%' (repeatable; replaces the file's abort rules)", collect),
  );
}

/** How answers are compared and judged: `run`, `validate` and `shadow` share these. */
function withCompareFlags(command: Command): Command {
  return command
    .option("--ignore <jsonpath>", "ignore a body path in comparisons, e.g. '$.model_version' (repeatable)", collect)
    .option("--tolerance <abs>", "absolute numeric tolerance for comparisons")
    .option("--relative-tolerance <rel>", "relative numeric tolerance for comparisons")
    .option("--compare-header <name>", "response header to compare (repeatable; default content-type)", collect)
    .option("--allow-unsafe-production <rule>", "let 'METHOD /path-glob', or gRPC 'service/method-glob', reach production (repeatable)", collect)
    .option("--threshold <expr>", "verdict rule, e.g. 'candidate.p99 < 1.1 * production.p99', 'diff.rate < 0.5%' (repeatable; with --max-* it replaces the file's thresholds)", collect)
    .option("--endpoint <template>", "group results by this endpoint template, e.g. 'POST /v1/models/{model}:predict' (repeatable)", collect)
    .option("--compare <rule>", "ML-aware comparison KIND:PATH[:OPTIONS], e.g. 'label:$.predictions[*].label', 'scores:$.scores:topK=3,tolerance=0.001', 'tensor:$.outputs:abs=1e-5,rel=1e-3' (repeatable)", collect)
    .option("--noise-method <method>", "how noise is told from real differences with a secondary: mcnemar (default) or diffy")
    .option("--max-diff-rate <x>", "fail when different / compared pairs exceeds x (= --threshold 'diff.rate <= x')")
    .option("--max-error-rate <x>", "fail when candidate errors / requests exceeds x (= --threshold 'candidate.errors.rate <= x')")
    .option("--max-latency-ratio <x>", "fail when candidate p99 / production p99 exceeds x (= --threshold 'candidate.p99 <= x * production.p99')");
}

export function buildProgram(io: Io, signal: AbortSignal, run: (action: () => Promise<number>) => Promise<void>): Command {
  const program = new Command("parallax")
    .description("Replay recorded traffic to production and candidate at the same instant; report how the candidate differs.")
    .version(VERSION)
    .addOption(new Option("--log-level <level>", "log level (logs are JSON lines on stderr)").choices(LOG_LEVELS).default(io.env["PARALLAX_LOG_LEVEL"] ?? "warn"))
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  withNatsFlags(
    withRunFlags(
      program
        .command("run")
        .description("run a shadow test: a scenario file, flags, or both (flags win)")
        .argument("[scenario]", "scenario file (YAML or JSON)"),
    ),
    false,
  )
    .option("--agents <n>", "agents sharing the load (in process, or `parallax agent`s with --nats)", "1")
    .option("--agents-timeout <duration>", "with --nats: how long to wait for the agents to be available and ready", "30s")
    .addOption(new Option("--on-agent-loss <policy>", "with --nats: when an agent is lost mid-run, continue (run ends degraded) or abort (exit 3)").choices(["continue", "abort"]).default("continue"))
    .option("--out <dir>", "write report.json, report.md and histograms here")
    .option("--json", "print report.json on stdout")
    .option("--run-id <id>", "run id (default: generated)")
    .option("--no-progress", "no live progress line on stderr")
    .exitOverride()
    .action((file: string | undefined, options: RunOptions, command: Command) =>
      run(() => runCommand(file, options, io, createLogger(command.optsWithGlobals<{ logLevel: string }>().logLevel), signal)),
    );

  withRunFlags(
    program
      .command("validate")
      .description("check a scenario and its recording: every problem at once; exit 0 or 2")
      .argument("[scenario]", "scenario file (YAML or JSON)"),
  )
    .option("--json", "print the summary as JSON on stdout")
    .exitOverride()
    .action((file: string | undefined, options: RunFlags & { json?: boolean }) => run(() => validateCommand(file, options, io)));

  withNatsFlags(program.command("agent").description("run a load agent: serves one distributed run after another until stopped"), true)
    .option("--name <name>", "agent name, unique among agents (default: host-pid)")
    .option("--allow-target <rule>", "origin (http://10.1.2.3:8080), address or CIDR block this agent may send to (repeatable; default: loopback only)", collect)
    .exitOverride()
    .action((options: AgentCommandOptions, command: Command) =>
      run(() => agentCommand(options, io, createLogger(command.optsWithGlobals<{ logLevel: string }>().logLevel), signal)),
    );

  withNatsFlags(program.command("agents").description("list the agents connected to a NATS server"), true)
    .option("--json", "print the list as JSON on stdout")
    .exitOverride()
    .action((options: NatsFlags & { json?: boolean }, command: Command) =>
      run(() => agentsCommand(options, io, createLogger(command.optsWithGlobals<{ logLevel: string }>().logLevel))),
    );

  withNatsFlags(
    program
      .command("tap")
      .description("a reverse proxy in front of production: forwards each request once, returns production's answer unchanged, and publishes request + answer (redacted) to a JetStream stream for `parallax shadow`"),
    true,
  )
    .option("--listen <host:port>", "address to listen on (e.g. 0.0.0.0:8080)", "127.0.0.1:8080")
    .option("--upstream <url>", "production: http(s)://host:port[/base-path] (required)")
    .option("--stream <name>", "traffic stream to publish to", "traffic")
    .option("--retain <duration>", `how long the stream keeps exchanges nobody consumed (default ${DEFAULT_TRAFFIC_RETAIN} for a stream this creates; given, it also changes an existing stream's)`)
    .option("--out <file>", "also record the captured requests to this Parallax JSONL file (must not exist)")
    .option("--max-body <bytes>", "capture at most this much of each body (e.g. 65536, 256KiB); longer bodies are forwarded whole but captured truncated, and never compared", "1MiB")
    .option("--max-message <bytes>", "largest message the NATS server takes (its max_payload, less room for headers): bodies are cut to fit", "1020KiB")
    .option("--timeout <duration>", "how long production may take to connect, to start answering, and between two pieces of its answer", "30s")
    .option("--preserve-host", "send production the client's Host header (default: the upstream URL's host; the client's goes in x-forwarded-host)")
    .option("--redact-header <name>", "also redact this header at ingest (repeatable)", collect)
    .option("--redact-query <name>", "also redact this query parameter or JSON/form member at ingest (repeatable)", collect)
    .exitOverride()
    .action((options: TapCommandOptions, command: Command) =>
      run(() => tapCommand(options, io, createLogger(command.optsWithGlobals<{ logLevel: string }>().logLevel), signal)),
    );

  withNatsFlags(
    withCompareFlags(
      program
        .command("shadow")
        .description("continuous shadow comparison: agents consume the traffic a `parallax tap` captured, send each request to the candidate (and secondary), compare with production's captured answer; rolling windows until stopped")
        .argument("[scenario]", "scenario file for compare rules and thresholds (its production target and traffic are the tap's, and ignored)")
        .option("--candidate <url>", "candidate base URL")
        .option("--secondary <url>", "second production instance, to measure noise")
        .option("--timeout <duration>", "per-request timeout for the candidate and secondary (e.g. 10s)"),
    ),
    true,
  )
    .option("--stream <name>", "traffic stream the tap publishes to", "traffic")
    .option("--durable <name>", "the durable consumer the agents share (one per stream)", "parallax-shadow")
    .option("--window <duration>", "length of a rolling window: each gets its verdict and windows/<start>.json", "1m")
    .option("--retain <duration>", `how long the stream keeps exchanges nobody consumed (default ${DEFAULT_TRAFFIC_RETAIN} for a stream this creates; given, it also changes an existing stream's)`)
    .option("--sample <share>", "compare this share of the exchanges, e.g. 10% (chosen by exchange id; the rest are acked unread)", "100%")
    .option("--ack-wait <duration>", "an exchange an agent holds this long without acking goes to another agent", "30s")
    .option("--max-in-flight <n>", "exchanges one agent holds at once", "64")
    .option("--agents <n>", "`parallax agent`s to enlist (more are enlisted as they appear while fewer run)", "1")
    .option("--agents-timeout <duration>", "how long to wait for the agents at the start", "30s")
    .option("--out <dir>", "rewrite report.json, report.md and windows/<start>.json here at each window")
    .option("--metrics <host:port>", "serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 0.0.0.0:9464)")
    .option("--json", "print the final report.json on stdout")
    .option("--run-id <id>", "job id (default: generated)")
    .exitOverride()
    .action((file: string | undefined, options: ShadowCommandOptions, command: Command) =>
      run(() => shadowCommand(file, options, io, createLogger(command.optsWithGlobals<{ logLevel: string }>().logLevel), signal)),
    );

  program
    .command("schema")
    .description("print a JSON Schema: of the scenario file (for editors) or of report.json")
    .addArgument(new Argument("[which]", "scenario or report").choices(["scenario", "report"]).default("scenario"))
    .exitOverride()
    .action((which: string) =>
      run(async () => {
        io.stdout.write(`${JSON.stringify(which === "report" ? REPORT_JSON_SCHEMA : scenarioJsonSchema(), null, 2)}\n`);
        return EXIT.pass;
      }),
    );
  return program;
}

/** Entry point: parse argv, run one command, return the exit code. Never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  const controller = new AbortController();
  let code: number = EXIT.pass;
  let interrupts = 0;
  let interruptCode: number = EXIT.interrupted;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    // 128 + signal number, as shells report it: 130 for Ctrl-C, 143 for SIGTERM.
    interruptCode = signal === "SIGTERM" ? 143 : EXIT.interrupted;
    if (interrupts > 1) process.exit(interruptCode);
    io.stderr.write(`\nparallax: ${signal === "SIGTERM" ? "terminated" : "interrupted"}; stopping cleanly (${signal === "SIGTERM" ? "signal" : "Ctrl-C"} again to quit now)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const program = buildProgram(io, controller.signal, async (action) => {
    try {
      code = await action();
      if (code === EXIT.interrupted) code = interruptCode;
    } catch (error) {
      const failure = describeFailure(error);
      io.stderr.write(`${failure.message}\n`);
      // Whatever failed after Ctrl-C (waiting for agents, say) failed because of it.
      code = controller.signal.aborted ? interruptCode : failure.code;
    }
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help" ? EXIT.pass : EXIT.invalidInput;
    } else {
      const failure = describeFailure(error);
      io.stderr.write(`${failure.message}\n`);
      code = failure.code;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return code;
}
