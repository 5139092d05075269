// One service as a child process with its output prefixed line by line, so four services can
// share one terminal and a test can read each one's log.
import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** The last lines it printed (stdout and stderr), newest last. */
  readonly recentLines: readonly string[];
  signal(sig: NodeJS.Signals): void;
}

const RECENT_LINES = 200;

export function spawnService(
  name: string,
  entry: string,
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    onLine: (name: string, line: string) => void;
    detached?: boolean;
    /** Node's flags before the entry; default `--import tsx` (TypeScript sources). A bundle needs none. */
    nodeArgs?: readonly string[];
  },
): ServiceProcess {
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? ["--import", "tsx"]), entry], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.detached ?? false,
  });
  // Never outlive the launcher, even when it exits without stopping us.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const recent: string[] = [];
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    opts.onLine(name, line);
  };
  for (const stream of [child.stdout!, child.stderr!]) readline.createInterface({ input: stream }).on("line", onLine);
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, sig) => resolve(code ?? sig ?? "unknown"));
    child.on("error", (err) => {
      onLine(`spawn failed: ${err.message}`);
      resolve("spawn-error");
    });
  });
  return {
    name,
    pid: child.pid,
    exited,
    recentLines: recent,
    signal(sig) {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}
