import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NatsServerStartError } from "./errors.js";
import { freePort, tempDir, type TempDir } from "./net.js";
import { findNatsServer } from "./nats-server-binary.js";

export interface NatsServerOptions {
  /** Server max_payload in bytes (nats-server default 1 MiB). Written to a config file. */
  maxPayload?: number;
  /** How long to wait for the server to accept clients (default 10000 ms). */
  startTimeoutMs?: number;
  /** Extra command line arguments, appended last. */
  extraArgs?: string[];
  /**
   * Owned by a long-running launcher rather than a test (default false): the server runs in its
   * own process group (a terminal's Ctrl-C reaches only the launcher, which stops services before
   * NATS) and no SIGINT/SIGTERM hook kills it early. It is still killed if this process exits.
   */
  managed?: boolean;
}

export interface NatsServerHandle {
  /** nats://127.0.0.1:<port> */
  url: string;
  port: number;
  /** JetStream store directory (removed by stop()). */
  storeDir: string;
  /** The nats-server process id of the current incarnation. */
  readonly pid: number | undefined;
  /**
   * SIGINT (nats-server's clean stop), wait for exit, remove the store dir. Resolves with the exit code (the signal's name
   * if it had to be killed), or null when it was already stopped. Idempotent.
   */
  stop(): Promise<number | string | null>;
  /** SIGKILL the server now, for fault tests; the store dir stays (restart() can resume it). */
  kill(): void;
  /** Stops (or reaps a killed) server and starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Everything the current server wrote to stdout/stderr (tail, at most 64 KiB). */
  output(): string;
}

const OUTPUT_LIMIT_CHARS = 64 * 1024;
/**
 * nats-server shuts down cleanly (JetStream flushed, "Server Exiting..") on SIGINT and SIGTERM
 * alike, but exits 1 after SIGTERM and 0 after SIGINT (v2.9): SIGINT, so a clean stop reads as one.
 */
export const CLEAN_STOP: NodeJS.Signals = "SIGINT";
const STOP_GRACE_MS = 5000;
/** freePort() then spawn is racy against other processes: tries before giving up. */
export const PORT_ATTEMPTS = 3;

/**
 * Servers still running, SIGKILLed when the test process exits, or is stopped by SIGTERM /
 * SIGINT (the test runner's file timeout, Ctrl-C), so none is orphaned. The signal handlers
 * exist only while a server runs and re-raise the signal, keeping its default effect.
 */
const live = new Map<ChildProcess, string>();
/** The subset of `live` that the signal hooks kill (servers started by tests). */
const signalled = new Set<ChildProcess>();
const killAll = () => {
  for (const [child, dir] of live) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
};
const TERMINATING_SIGNALS = ["SIGTERM", "SIGINT"] as const;
function onTerminatingSignal(signal: NodeJS.Signals): void {
  killAll();
  removeSignalHooks();
  process.off("exit", killAll);
  process.kill(process.pid, signal);
}
function removeSignalHooks(): void {
  for (const s of TERMINATING_SIGNALS) process.off(s, onTerminatingSignal);
}
function trackForExit(child: ChildProcess, dir: string, managed: boolean): void {
  if (live.size === 0) process.on("exit", killAll);
  if (!managed && signalled.size === 0) for (const s of TERMINATING_SIGNALS) process.on(s, onTerminatingSignal);
  live.set(child, dir);
  if (!managed) signalled.add(child);
  child.once("exit", () => {
    live.delete(child);
    if (signalled.delete(child) && signalled.size === 0) removeSignalHooks();
    if (live.size === 0) process.off("exit", killAll);
  });
}

/** Reads the server's first protocol line (INFO {...}) and returns its JSON, or null. */
export function readServerInfo(port: number): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let buffer = "";
    const done = (info: Record<string, unknown> | null) => {
      socket.destroy();
      resolve(info);
    };
    socket.setTimeout(1000, () => done(null));
    socket.once("error", () => done(null));
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      const end = buffer.indexOf("\r\n");
      if (end < 0) return;
      const line = buffer.slice(0, end);
      if (!line.startsWith("INFO ")) return done(null);
      try {
        done(JSON.parse(line.slice(5)) as Record<string, unknown>);
      } catch {
        done(null);
      }
    });
  });
}

/** One run of a nats-server process (a handle restarts it as a new incarnation). Shared with nats-cluster.ts. */
export class Incarnation {
  readonly child: ChildProcess;
  output = "";
  exited = false;
  exitCode: number | string | null = null;
  readonly exitPromise: Promise<void>;

  /** `dir`: the handle's temp dir, removed if the test process dies with the server running. */
  constructor(bin: string, args: string[], dir: string, managed: boolean) {
    this.child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], detached: managed });
    trackForExit(this.child, dir, managed);
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT_CHARS);
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    this.exitPromise = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? signal;
        resolve();
      });
      this.child.once("error", (err) => {
        this.output += `\nspawn error: ${err.message}`;
        this.exited = true;
        resolve();
      });
    });
  }

  /** Resolves when the server says JetStream is on; rejects if it exits or times out. */
  async ready(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new NatsServerStartError(`nats-server exited early (code ${this.exitCode})`, this.output);
      }
      const info = await readServerInfo(port);
      if (info && info["jetstream"] === true) return;
      await sleep(25);
    }
    throw new NatsServerStartError(`nats-server did not accept connections on port ${port} within ${timeoutMs} ms`, this.output);
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.exited) return;
    this.child.kill(signal);
    const timer = sleep(STOP_GRACE_MS, undefined, { ref: false }).then(() => "timeout" as const);
    if ((await Promise.race([this.exitPromise.then(() => "exited" as const), timer])) === "timeout") {
      this.child.kill("SIGKILL");
      await this.exitPromise;
    }
  }
}

/**
 * Starts a private nats-server with JetStream on a free 127.0.0.1 port and a temp store dir
 * (`-js -sd <tmp> -a 127.0.0.1 -p <port>`), and waits until it reports JetStream enabled.
 * Never uses the shared server at 4222.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = await findNatsServer();
  const dir: TempDir = await tempDir("emuedit-nats-");
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const configArgs: string[] = [];
  if (options.maxPayload !== undefined) {
    const configPath = join(dir.path, "nats.conf");
    await writeFile(configPath, `max_payload: ${Math.floor(options.maxPayload)}\n`);
    configArgs.push("-c", configPath);
  }
  const storeDir = join(dir.path, "store");
  const argsFor = (port: number) => [
    ...configArgs,
    "-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(port),
    ...(options.extraArgs ?? []),
  ];

  let port = 0;
  let current: Incarnation | undefined;
  let lastError: unknown;
  // freePort() then spawn is racy against other processes; retry on another port.
  for (let attempt = 0; attempt < PORT_ATTEMPTS && current === undefined; attempt++) {
    port = await freePort();
    const inc = new Incarnation(bin, argsFor(port), dir.path, options.managed ?? false);
    try {
      await inc.ready(port, startTimeoutMs);
      current = inc;
    } catch (err) {
      lastError = err;
      await inc.stop("SIGKILL");
      if (!inc.output.includes("address already in use")) break;
    }
  }
  if (current === undefined) {
    await dir.cleanup();
    throw lastError;
  }

  let stopped = false;
  let incarnation: Incarnation = current;
  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return incarnation.child.pid;
    },
    async stop() {
      if (stopped) return null;
      stopped = true;
      await incarnation.stop(CLEAN_STOP);
      await dir.cleanup();
      return incarnation.exitCode;
    },
    kill() {
      if (!incarnation.exited) incarnation.child.kill("SIGKILL");
    },
    async restart() {
      if (stopped) throw new Error("restart() after stop(): the store dir is gone");
      await incarnation.stop(CLEAN_STOP);
      incarnation = new Incarnation(bin, argsFor(port), dir.path, options.managed ?? false);
      await incarnation.ready(port, startTimeoutMs);
    },
    output: () => incarnation.output,
  };
  return handle;
}
