// Starts the whole system: NATS (the given one if it answers, else a nats-server of our own),
// the three model services (one or more replicas each, the gateway given the list of their
// addresses) and the gateway, and waits until the gateway reports ready. `pnpm start` and the
// end-to-end tests both use this, so the tests start what users start.
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
export type ModelServiceName = Exclude<ServiceName, "gateway">;
const MODEL_SERVICES: readonly ModelServiceName[] = ["text-encoder", "vae", "unet"];
/** The prefix of a model service's own settings (…_PORT, …_METRICS_PORT) and of its address. */
const ENV_PREFIX: Record<ModelServiceName, string> = { "text-encoder": "EMUEDIT_TEXT_ENCODER", vae: "EMUEDIT_VAE", unet: "EMUEDIT_UNET" };

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
  /**
   * Replicas per model service (default 1). Replica i listens on the service's port + i when a
   * port is given, else on a free port; the gateway gets the comma-separated list.
   */
  readonly replicas?: Partial<Record<ModelServiceName, number>>;
  /** The last N replicas of a service are in the gateway's list but not started (startReplica). */
  readonly unstarted?: Partial<Record<ModelServiceName, number>>;
  /** Every process gets a free Prometheus port (Replica.metricsPort, RunningSystem.gatewayMetricsPort). */
  readonly metrics?: boolean;
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
  /** What the gateway was given: each model service's address (a list when it has several replicas). */
  readonly addresses: Record<ModelServiceName, string>;
  /** The first replica of each model service (once started), and the gateway. */
  readonly processes: Record<ServiceName, ServiceProcess>;
  readonly replicas: Record<ModelServiceName, readonly Replica[]>;
  /** The gateway's Prometheus port with `metrics`, else 0. */
  readonly gatewayMetricsPort: number;
  /** Kills one service (its first replica; fault injection); restart() brings it back on the same port. */
  kill(name: ServiceName, sig?: NodeJS.Signals): Promise<void>;
  restart(name: ServiceName): Promise<void>;
  /** Starts (or, once it has exited, starts again) replica `index` of a model service; resolves once it is SERVING. */
  startReplica(name: ModelServiceName, index: number): Promise<void>;
  /**
   * Stops in dependency order: the gateway first (it drains, finishing edits in flight, while
   * the model services still answer), then the three model services, then our own nats-server.
   * Resolves with each process's exit code (0 when it drained cleanly), "nats" included when
   * this launcher started it.
   */
  stop(): Promise<Partial<Record<ServiceName | "nats", number | string>>>;
}

export interface Replica {
  readonly index: number;
  /** host:port of its gRPC server. */
  readonly address: string;
  /** Its Prometheus port, 0 when none. */
  readonly metricsPort: number;
  /** null until started (unstarted replicas). */
  readonly process: ServiceProcess | null;
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
  // The kernel may hand the same free port out twice once it is closed again: each is taken once.
  const taken = new Set<number>();
  const freshPort = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return taken.add(p), p;
    }
  };
  const port = async (p: number | undefined) => (p ? p : await freshPort());
  const metricsPort = async (base: string | undefined, i: number) => (opts.metrics ? await freshPort() : base && Number(base) > 0 ? Number(base) + i : 0);
  const given = { "text-encoder": opts.ports?.textEncoder, vae: opts.ports?.vae, unet: opts.ports?.unet };
  const ports = { http: await port(opts.ports?.http), grpc: await port(opts.ports?.grpc) };
  const gatewayMetricsPort = opts.metrics ? await freshPort() : 0;
  const replicas = {} as Record<ModelServiceName, { index: number; address: string; metricsPort: number; process: ServiceProcess | null }[]>;
  for (const name of MODEL_SERVICES) {
    const count = Math.max(1, opts.replicas?.[name] ?? 1);
    const metricsBase = opts.env?.[`${ENV_PREFIX[name]}_METRICS_PORT`] ?? process.env[`${ENV_PREFIX[name]}_METRICS_PORT`];
    replicas[name] = [];
    for (let i = 0; i < count; i++) {
      const p = given[name] ? given[name] + i : await freshPort();
      replicas[name].push({ index: i, address: `${host}:${p}`, metricsPort: await metricsPort(metricsBase, i), process: null });
    }
  }
  const addresses = Object.fromEntries(MODEL_SERVICES.map((n) => [n, replicas[n].map((r) => r.address).join(",")])) as Record<ModelServiceName, string>;
  const env: NodeJS.ProcessEnv = {
    // No load balancer to move away from: the gateway is stopped before the services it calls.
    EMUEDIT_SHUTDOWN_DELAY_MS: "0",
    ...process.env,
    ...(opts.modelDir ? { EMUEDIT_MODEL_DIR: opts.modelDir } : {}),
    NATS_URL: natsUrl,
    EMUEDIT_TEXT_ENCODER_HOST: host,
    EMUEDIT_VAE_HOST: host,
    EMUEDIT_UNET_HOST: host,
    EMUEDIT_GATEWAY_HOST: host,
    EMUEDIT_GATEWAY_HTTP_PORT: String(ports.http),
    EMUEDIT_GATEWAY_GRPC_HOST: host,
    EMUEDIT_GATEWAY_GRPC_PORT: String(ports.grpc),
    EMUEDIT_TEXT_ENCODER_ADDRESS: addresses["text-encoder"],
    EMUEDIT_VAE_ADDRESS: addresses.vae,
    EMUEDIT_UNET_ADDRESS: addresses.unet,
    ...opts.env,
    ...(opts.metrics ? { EMUEDIT_GATEWAY_METRICS_PORT: String(gatewayMetricsPort) } : {}),
  };

  // 3. Services.
  const entryOf = opts.serviceEntry ?? ((name: ServiceName): ServiceEntry => ({ cwd: REPO_ROOT, entry: path.join("services", name, "src", "main.ts") }));
  const spawn = (label: string, name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}) => {
    const { cwd, entry, nodeArgs } = entryOf(name);
    return spawnService(label, entry, { cwd, env: { ...env, ...extraEnv }, onLine, detached: opts.detached ?? false, ...(nodeArgs ? { nodeArgs } : {}) });
  };
  const startModel = (name: ModelServiceName, i: number) => {
    const r = replicas[name][i]!;
    r.process = spawn(i === 0 ? name : `${name}#${i + 1}`, name, {
      [`${ENV_PREFIX[name]}_PORT`]: r.address.slice(r.address.lastIndexOf(":") + 1),
      [`${ENV_PREFIX[name]}_METRICS_PORT`]: String(r.metricsPort),
    });
    return r.process;
  };
  const startsNow = (name: ModelServiceName, i: number) => i < replicas[name].length - (opts.unstarted?.[name] ?? 0);
  for (const name of MODEL_SERVICES) replicas[name].forEach((_, i) => startsNow(name, i) && startModel(name, i));
  const gateway = spawn("gateway", "gateway");
  const processes = {
    get "text-encoder"() {
      return replicas["text-encoder"][0]!.process!;
    },
    get vae() {
      return replicas.vae[0]!.process!;
    },
    get unet() {
      return replicas.unet[0]!.process!;
    },
    gateway,
  } as Record<ServiceName, ServiceProcess>;
  const httpUrl = `http://${host}:${ports.http}`;

  const system: RunningSystem = {
    httpUrl,
    grpcAddress: `${host}:${ports.grpc}`,
    natsUrl,
    natsStartedHere: nats !== null,
    natsServer: nats,
    addresses,
    processes,
    replicas,
    gatewayMetricsPort,
    async kill(name, sig = "SIGKILL") {
      processes[name].signal(sig);
      await processes[name].exited;
    },
    async restart(name) {
      processes[name].signal("SIGTERM");
      await processes[name].exited;
      if (name === "gateway") {
        processes.gateway = spawn("gateway", "gateway");
        await waitReady(processes.gateway, null);
      } else {
        await system.startReplica(name, 0);
      }
    },
    async startReplica(name, index) {
      const r = replicas[name][index];
      if (!r) throw new Error(`${name} has no replica ${index} (it has ${replicas[name].length})`);
      await waitReady(startModel(name, index), r.address);
    },
    async stop() {
      const codes: Partial<Record<ServiceName | "nats", number | string>> = {};
      const stopOne = async (proc: ServiceProcess) => {
        proc.signal("SIGTERM");
        const timer = setTimeout(() => proc.signal("SIGKILL"), STOP_TIMEOUT_MS);
        const code = await proc.exited;
        clearTimeout(timer);
        return code;
      };
      codes.gateway = await stopOne(processes.gateway);
      await Promise.all(
        MODEL_SERVICES.map(async (name) => {
          const results = await Promise.all(replicas[name].flatMap((r) => (r.process ? [stopOne(r.process)] : [])));
          // The service's code: the first nonzero one among its replicas (a replica killed on purpose included).
          if (results.length > 0) codes[name] = results.find((c) => c !== 0) ?? 0;
        }),
      );
      const natsCode = await nats?.stop();
      if (natsCode !== undefined && natsCode !== null) codes.nats = natsCode;
      return codes;
    },
  };

  /** `address`: a model service's, checked with grpc.health.v1; null: the gateway's /readyz. */
  async function waitReady(proc: ServiceProcess, address: string | null): Promise<void> {
    const check =
      address === null
        ? () => fetch(`${httpUrl}/readyz`).then((r) => r.status === 200, () => false)
        : () => checkHealth(address, "", 1000).then((s) => s === "SERVING", () => false);
    const died = proc.exited.then((code) => {
      throw new Error(`${proc.name} exited (${code}) during start-up:\n${proc.recentLines.slice(-20).join("\n")}`);
    });
    const ready = waitFor(check, { timeoutMs: readyTimeoutMs, intervalMs: 200, description: `${proc.name} ready` }).catch((err: unknown) => {
      throw new Error(`${proc.name} not ready after ${readyTimeoutMs} ms:\n${proc.recentLines.slice(-20).join("\n")}`, { cause: err });
    });
    await Promise.race([ready, died]);
    died.catch(() => undefined); // a later exit is the caller's business, not an unhandled rejection
  }

  try {
    await Promise.all([
      ...MODEL_SERVICES.flatMap((n) => replicas[n].flatMap((r) => (r.process ? [waitReady(r.process, r.address)] : []))),
      waitReady(gateway, null),
    ]);
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}
