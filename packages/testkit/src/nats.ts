// A real nats-server child process for tests: random port, private storage dir, stop/restart.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./net.js";

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port with the same storage dir. */
  restart(): Promise<void>;
  /** Stops and removes the storage dir. */
  close(): Promise<void>;
}

export interface StartNatsServerOptions {
  /** Default true: `-js -sd <tmp dir>`. */
  readonly jetstream?: boolean;
  /** Passed as `-c`; the command-line host, port and store dir still win. */
  readonly configFile?: string;
  /** Where `NATS_SERVER_BIN` and `PATH` are looked up. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const READY_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 5_000;
const START_ATTEMPTS = 3;

/** `NATS_SERVER_BIN`, else `nats-server` found on `PATH`, else undefined. */
export function natsServerBinary(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const explicit = env["NATS_SERVER_BIN"];
  if (explicit) return explicit;
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "nats-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts a nats-server on 127.0.0.1 and a free port, and resolves once it accepts connections. */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServerHandle> {
  const env = options.env ?? {};
  const binary = natsServerBinary(env);
  if (!binary) throw new Error("nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH");
  const jetstream = options.jetstream ?? true;
  const storeDir = jetstream ? await mkdtemp(join(tmpdir(), "parallax-nats-")) : undefined;

  const argsFor = (port: number): string[] => [
    ...(options.configFile ? ["-c", options.configFile] : []),
    "-a",
    "127.0.0.1",
    "-p",
    String(port),
    ...(storeDir ? ["-js", "-sd", storeDir] : []),
  ];

  // freePort is racy (another process may take the port before nats-server binds it): retry.
  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS && !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(binary, argsFor(port), port);
    } catch (error) {
      lastError = error;
    }
  }
  if (!child) {
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  let current: ChildProcess | undefined = child;
  const stop = async (): Promise<void> => {
    const running = current;
    current = undefined;
    if (running) await terminate(running);
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => {
      await stop();
      current = await launch(binary, argsFor(port), port);
    },
    close: async () => {
      await stop();
      if (storeDir) await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** Spawns the server and waits until its port accepts a TCP connection; rejects if it exits first. */
async function launch(binary: string, args: readonly string[], port: number): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited: string | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exited = `exited with ${code ?? signal}`;
  };
  child.once("exit", onExit);
  child.once("error", (error) => {
    exited = error.message;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`nats-server ${args.join(" ")} ${exited}: ${stderr.trim()}`);
    if (await accepts(port)) {
      child.off("exit", onExit);
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await terminate(child);
  throw new Error(`nats-server did not accept connections on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
