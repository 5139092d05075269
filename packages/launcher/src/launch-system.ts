// Starts the whole system: NATS (the given one if it answers, else a nats-server of our own),
// the three model services and the gateway, and waits until the gateway reports ready.
// `pnpm start` and the end-to-end tests both use this, so the tests start what users start.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { checkHealth } from "@emuedit/proto";
import { startNatsServer, type NatsServerHandle } from "./nats-server.js";
import { freePort } from "./net.js";
import { waitFor } from "./wait-for.js";
import { spawnService, type ServiceProcess } from "./service-process.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const SERVICE_NAMES = ["text-encoder", "vae", "unet", "gateway"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Who stops before whom: callers before the services they call. */
const STOP_ORDER: readonly (readonly ServiceName[])[] = [["gateway"], ["text-encoder", "vae", "unet"]];

export interface LaunchOptions {
  /** Model package folder; default: the services' own default (EMUEDIT_MODEL_DIR or models/...). */
  readonly modelDir?: string;
  /**
   * Tried first (one URL or a cluster's comma-separated list, passed on as NATS_URL); when no
   * server of it answers, a nats-server with JetStream is started on a free port.
   */
  readonly natsUrl?: string;
  /** Force a private nats-server even when natsUrl answers (tests). */
  readonly privateNats?: boolean;
  readonly host?: string;
  /** 0 or absent picks a free port. */
  readonly ports?: Partial<Record<"http" | "grpc" | "textEncoder" | "vae" | "unet", number>>;
  /** Extra environment for every service (settings such as EMUEDIT_MAX_STEPS). */
  readonly env?: Record<string, string>;
  readonly onLine?: (service: string, line: string) => void;
  readonly readyTimeoutMs?: number;
  /**
   * Run NATS and the services in their own process groups (pnpm start): a terminal's Ctrl-C then
   * reaches only the launcher, which stops the services first and NATS last. Tests leave it off
   * so a killed test run takes its children with it.
   */
  readonly detached?: boolean;
  /**
   * How each service starts; default its TypeScript source under tsx from the repository root.
   * A production bundle (scripts/bundle.mjs) is `{ cwd: bundleDir, entry: "main.mjs", nodeArgs: [] }`.
   */
  readonly serviceEntry?: (name: ServiceName) => ServiceEntry;
}

export interface ServiceEntry {
  readonly cwd: string;
  /** Script path, relative to cwd. */
  readonly entry: string;
  readonly nodeArgs?: readonly string[];
}

export interface RunningSystem {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly natsUrl: string;
  /** True when this launcher started its own nats-server; false when it reused one that answered. */
  readonly natsStartedHere: boolean;
  /** The nats-server this launcher started (fault tests kill and restart it), or null. */
  readonly natsServer: NatsServerHandle | null;
  readonly addresses: Record<Exclude<ServiceName, "gateway">, string>;
  readonly processes: Record<ServiceName, ServiceProcess>;
  /** Kills one service (fault injection); restart() brings it back on the same port. */
  kill(name: ServiceName, sig?: NodeJS.Signals): Promise<void>;
  restart(name: ServiceName): Promise<void>;
  /**
   * Stops in dependency order: the gateway first (it drains, finishing edits in flight, while
   * the model services still answer), then the three model services, then our own nats-server.
   * Resolves with each process's exit code (0 when it drained cleanly), "nats" included when
   * this launcher started it.
   */
  stop(): Promise<Partial<Record<ServiceName | "nats", number | string>>>;
}

/** How long a service may take to drain after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 20_000;

/** True when a server of `url` (one URL or a comma-separated list, as NATS_URL) answers. */
async function natsAnswers(url: string): Promise<boolean> {
  try {
    const servers = url.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    const nc = await connect({ servers, timeout: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

export async function launchSystem(opts: LaunchOptions = {}): Promise<RunningSystem> {
  const host = opts.host ?? "127.0.0.1";
  const onLine = opts.onLine ?? ((s, l) => process.stderr.write(`[${s}] ${l}\n`));
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;

  // 1. NATS.
  let nats: NatsServerHandle | null = null;
  let natsUrl = opts.natsUrl ?? "nats://127.0.0.1:4222";
  if (opts.privateNats || !(await natsAnswers(natsUrl))) {
    nats = await startNatsServer({ managed: opts.detached ?? false });
    natsUrl = nats.url;
  }

  // 2. Ports and addresses.
  const port = async (p: number | undefined) => (p ? p : await freePort());
  const ports = {
    http: await port(opts.ports?.http),
    grpc: await port(opts.ports?.grpc),
    textEncoder: await port(opts.ports?.textEncoder),
    vae: await port(opts.ports?.vae),
    unet: await port(opts.ports?.unet),
  };
  const addresses = {
    "text-encoder": `${host}:${ports.textEncoder}`,
    vae: `${host}:${ports.vae}`,
    unet: `${host}:${ports.unet}`,
  };
  const env: NodeJS.ProcessEnv = {
    // No load balancer to move away from: the gateway is stopped before the services it calls.
    EMUEDIT_SHUTDOWN_DELAY_MS: "0",
    ...process.env,
    ...(opts.modelDir ? { EMUEDIT_MODEL_DIR: opts.modelDir } : {}),
    NATS_URL: natsUrl,
    EMUEDIT_TEXT_ENCODER_HOST: host,
    EMUEDIT_TEXT_ENCODER_PORT: String(ports.textEncoder),
    EMUEDIT_VAE_HOST: host,
    EMUEDIT_VAE_PORT: String(ports.vae),
    EMUEDIT_UNET_HOST: host,
    EMUEDIT_UNET_PORT: String(ports.unet),
    EMUEDIT_GATEWAY_HOST: host,
    EMUEDIT_GATEWAY_HTTP_PORT: String(ports.http),
    EMUEDIT_GATEWAY_GRPC_HOST: host,
    EMUEDIT_GATEWAY_GRPC_PORT: String(ports.grpc),
    EMUEDIT_TEXT_ENCODER_ADDRESS: addresses["text-encoder"],
    EMUEDIT_VAE_ADDRESS: addresses.vae,
    EMUEDIT_UNET_ADDRESS: addresses.unet,
    ...opts.env,
  };

  // 3. Services.
  const entryOf = opts.serviceEntry ?? ((name: ServiceName): ServiceEntry => ({ cwd: REPO_ROOT, entry: path.join("services", name, "src", "main.ts") }));
  const start = (name: ServiceName) => {
    const { cwd, entry, nodeArgs } = entryOf(name);
    return spawnService(name, entry, { cwd, env, onLine, detached: opts.detached ?? false, ...(nodeArgs ? { nodeArgs } : {}) });
  };
  const processes = Object.fromEntries(SERVICE_NAMES.map((n) => [n, start(n)])) as Record<ServiceName, ServiceProcess>;
  const httpUrl = `http://${host}:${ports.http}`;

  const system: RunningSystem = {
    httpUrl,
    grpcAddress: `${host}:${ports.grpc}`,
    natsUrl,
    natsStartedHere: nats !== null,
    natsServer: nats,
    addresses,
    processes,
    async kill(name, sig = "SIGKILL") {
      processes[name].signal(sig);
      await processes[name].exited;
    },
    async restart(name) {
      processes[name].signal("SIGTERM");
      await processes[name].exited;
      processes[name] = start(name);
      await waitReady(name, processes[name]);
    },
    async stop() {
      const codes: Partial<Record<ServiceName | "nats", number | string>> = {};
      for (const group of STOP_ORDER) {
        await Promise.all(
          group.map(async (name) => {
            const proc = processes[name];
            proc.signal("SIGTERM");
            const timer = setTimeout(() => proc.signal("SIGKILL"), STOP_TIMEOUT_MS);
            codes[name] = await proc.exited;
            clearTimeout(timer);
          }),
        );
      }
      const natsCode = await nats?.stop();
      if (natsCode !== undefined && natsCode !== null) codes.nats = natsCode;
      return codes;
    },
  };

  async function waitReady(name: ServiceName, proc: ServiceProcess): Promise<void> {
    const check =
      name === "gateway"
        ? () => fetch(`${httpUrl}/readyz`).then((r) => r.status === 200, () => false)
        : () => checkHealth(addresses[name], "", 1000).then((s) => s === "SERVING", () => false);
    const died = proc.exited.then((code) => {
      throw new Error(`${name} exited (${code}) during start-up:\n${proc.recentLines.slice(-20).join("\n")}`);
    });
    const ready = waitFor(check, { timeoutMs: readyTimeoutMs, intervalMs: 200, description: `${name} ready` }).catch((err: unknown) => {
      throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${proc.recentLines.slice(-20).join("\n")}`, { cause: err });
    });
    await Promise.race([ready, died]);
    died.catch(() => undefined); // a later exit is the caller's business, not an unhandled rejection
  }

  try {
    await Promise.all(SERVICE_NAMES.map((n) => waitReady(n, processes[n])));
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}
