// A JetStream cluster of nats-servers on 127.0.0.1 (tests, benchmarks): each node has its own
// client, route and monitoring port and its own store dir; routes join every node to the others.
// JetStream clustering needs a `server_name` per node and a named `cluster` block with routes.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { NatsServerStartError } from "./errors.js";
import { findNatsServer } from "./nats-server-binary.js";
import { CLEAN_STOP, Incarnation, PORT_ATTEMPTS } from "./nats-server.js";
import { freePort, tempDir } from "./net.js";

export interface NatsClusterOptions {
  /** Nodes (default 3: the smallest cluster that keeps an R3 stream writable with one node down). */
  nodes?: number;
  /** The cluster block's name (default "emuedit"). */
  clusterName?: string;
  /** Server max_payload in bytes (nats-server default 1 MiB). */
  maxPayload?: number;
  /** How long to wait for every node and the JetStream meta leader (default 30000 ms). */
  startTimeoutMs?: number;
}

export interface NatsClusterNode {
  /** server_name: n1, n2, ... */
  readonly name: string;
  /** nats://127.0.0.1:<client port> */
  readonly url: string;
  readonly port: number;
  readonly clusterPort: number;
  /** HTTP monitoring port (/varz, /connz, /jsz). */
  readonly monitorPort: number;
  readonly storeDir: string;
  readonly pid: number | undefined;
  /** True from kill() until restart() has the node serving again. */
  readonly down: boolean;
  /** SIGKILL (fault tests), resolving once the process is gone; the store dir stays, so restart() rejoins with its data. */
  kill(): Promise<void>;
  /**
   * Stops (or reaps a killed) node and starts it again on the same ports and store; resolves once
   * the meta group counts it a current peer again (the whole cluster can place streams).
   */
  restart(): Promise<void>;
  output(): string;
}

export interface NatsClusterHandle {
  /** Every node's client URL, comma-separated: what NATS_URL takes. */
  readonly url: string;
  readonly urls: readonly string[];
  readonly clusterName: string;
  readonly nodes: readonly NatsClusterNode[];
  /** Stops every node cleanly and removes the store dirs; resolves with each exit code. Idempotent. */
  stop(): Promise<(number | string | null)[]>;
}

interface NodePorts {
  port: number;
  clusterPort: number;
  monitorPort: number;
}

function nodeConfig(name: string, ports: NodePorts, all: readonly NodePorts[], storeDir: string, opts: Required<Pick<NatsClusterOptions, "clusterName">> & NatsClusterOptions): string {
  const routes = all.map((p) => `nats-route://127.0.0.1:${p.clusterPort}`);
  return [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${ports.port}`,
    `http: 127.0.0.1:${ports.monitorPort}`,
    ...(opts.maxPayload !== undefined ? [`max_payload: ${Math.floor(opts.maxPayload)}`] : []),
    `jetstream {`,
    `  store_dir: ${JSON.stringify(storeDir)}`,
    `}`,
    `cluster {`,
    `  name: ${opts.clusterName}`,
    `  listen: 127.0.0.1:${ports.clusterPort}`,
    // Every node lists every route, itself included (a server ignores the route to itself), so
    // all nodes share one configuration shape, as a StatefulSet's pods do.
    `  routes: [`,
    ...routes.map((r) => `    ${r}`),
    `  ]`,
    `}`,
    "",
  ].join("\n");
}

/**
 * True once the JetStream API answers through `url`: the meta group has a leader, so streams can
 * be created. Before that the API answers 503 "JetStream system temporarily unavailable".
 */
async function jetStreamAnswers(url: string): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 1000, reconnect: false }).catch(() => null);
  if (nc === null) return false;
  try {
    const reply = await nc.request("$JS.API.INFO", undefined, { timeout: 1000 });
    const body = JSON.parse(new TextDecoder().decode(reply.data)) as { error?: unknown };
    return body.error === undefined;
  } catch {
    return false;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

interface MetaCluster {
  leader?: string;
  replicas?: { name: string; current: boolean; offline?: boolean }[];
}

/** A node's view of the JetStream meta group (its /jsz monitoring endpoint), or null. */
async function metaCluster(monitorPort: number): Promise<MetaCluster | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { meta_cluster?: MetaCluster }).meta_cluster ?? null;
  } catch {
    return null;
  }
}

/**
 * True when every node knows the meta leader and the leader counts every other node a current
 * peer: only then can a stream be placed on all nodes (else "no suitable peers for placement").
 */
async function metaGroupWhole(names: readonly string[], ports: readonly NodePorts[]): Promise<boolean> {
  const views = await Promise.all(ports.map((p) => metaCluster(p.monitorPort)));
  const leader = views[0]?.leader;
  if (leader === undefined || views.some((v) => v?.leader !== leader)) return false;
  const peers = views[names.indexOf(leader)]?.replicas ?? [];
  return names.every((n) => n === leader || peers.some((p) => p.name === n && p.current && !p.offline));
}

/**
 * Waits until the meta group is whole and the JetStream API answers through every node, or
 * throws NatsServerStartError with the nodes' output.
 */
async function clusterReady(names: readonly string[], ports: readonly NodePorts[], deadline: number, output: () => string): Promise<void> {
  while (!(await metaGroupWhole(names, ports))) {
    if (Date.now() > deadline) throw new NatsServerStartError("the JetStream meta group of the cluster did not form in time", output());
    await sleep(100);
  }
  for (const p of ports) {
    const url = `nats://127.0.0.1:${p.port}`;
    while (!(await jetStreamAnswers(url))) {
      if (Date.now() > deadline) throw new NatsServerStartError(`JetStream of the cluster did not answer at ${url} in time`, output());
      await sleep(100);
    }
  }
}

/**
 * Starts `nodes` clustered nats-servers with JetStream on free 127.0.0.1 ports and waits until
 * every node serves and the JetStream API answers through each (a meta leader is elected).
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`nodes must be a positive integer, got ${count}`);
  const opts = { ...options, clusterName: options.clusterName ?? "emuedit" };
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const bin = await findNatsServer();
  const dir = await tempDir("emuedit-nats-cluster-");
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);

  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const ports: NodePorts[] = [];
    for (let i = 0; i < count; i++) ports.push({ port: await freePort(), clusterPort: await freePort(), monitorPort: await freePort() });
    const configs = await Promise.all(
      names.map(async (name, i) => {
        const path = join(dir.path, `${name}.conf`);
        await writeFile(path, nodeConfig(name, ports[i]!, ports, join(dir.path, name), opts));
        return path;
      }),
    );
    const spawnNode = (i: number) => new Incarnation(bin, ["-c", configs[i]!], dir.path, false);
    const incarnations = names.map((_, i) => spawnNode(i));
    const outputs = () => incarnations.map((inc, i) => `[${names[i]}] ${inc.output}`).join("\n");
    try {
      const deadline = Date.now() + startTimeoutMs;
      await Promise.all(incarnations.map((inc, i) => inc.ready(ports[i]!.port, startTimeoutMs)));
      await clusterReady(names, ports, deadline, outputs);
    } catch (err) {
      lastError = err;
      await Promise.all(incarnations.map((inc) => inc.stop("SIGKILL")));
      if (!incarnations.some((inc) => inc.output.includes("address already in use"))) break;
      continue;
    }
    return clusterHandle(names, ports, incarnations, spawnNode, dir, opts.clusterName, startTimeoutMs);
  }
  await dir.cleanup();
  throw lastError;
}

function clusterHandle(
  names: readonly string[],
  ports: readonly NodePorts[],
  incarnations: Incarnation[],
  spawnNode: (i: number) => Incarnation,
  dir: { path: string; cleanup(): Promise<void> },
  clusterName: string,
  startTimeoutMs: number,
): NatsClusterHandle {
  let stopped = false;
  const urls = ports.map((p) => `nats://127.0.0.1:${p.port}`);
  const nodes: NatsClusterNode[] = names.map((name, i) => {
    let down = false;
    return {
      name,
      url: urls[i]!,
      ...ports[i]!,
      storeDir: join(dir.path, name),
      get pid() {
        return incarnations[i]!.child.pid;
      },
      get down() {
        return down;
      },
      async kill() {
        down = true;
        await incarnations[i]!.stop("SIGKILL");
      },
      async restart() {
        if (stopped) throw new Error("restart() after stop(): the store dirs are gone");
        await incarnations[i]!.stop(CLEAN_STOP);
        incarnations[i] = spawnNode(i);
        await incarnations[i]!.ready(ports[i]!.port, startTimeoutMs);
        const live = names.map((n, j) => ({ n, j })).filter(({ j }) => j === i || !nodes[j]!.down);
        await clusterReady(
          live.map(({ n }) => n),
          live.map(({ j }) => ports[j]!),
          Date.now() + startTimeoutMs,
          () => incarnations[i]!.output,
        );
        down = false;
      },
      output: () => incarnations[i]!.output,
    };
  });
  return {
    url: urls.join(","),
    urls,
    clusterName,
    nodes,
    async stop() {
      if (stopped) return incarnations.map(() => null);
      stopped = true;
      await Promise.all(incarnations.map((inc) => inc.stop(CLEAN_STOP)));
      await dir.cleanup();
      return incarnations.map((inc) => inc.exitCode);
    },
  };
}
