import { connect, type NatsConnection } from "@nats-io/transport-node";

export interface ConnectNatsOptions {
  /** Connection name shown by the server's monitoring (e.g. "unet-7f9c"). */
  name?: string;
  /**
   * Reconnect attempts per server before the connection closes for good; -1 (the default here)
   * reconnects forever: services outlive NATS restarts and whole-cluster outages. Keep -1 with a
   * server list: nats.js 3.3.1, on a failed first connect with a bounded count, also drops
   * another server from the list (splice(-1)), so a list whose first pick is down can fail.
   */
  maxReconnectAttempts?: number;
  /**
   * Wait before trying a server again that was just tried (default 1000 ms). Another server of
   * the list is tried at once, so losing one node of a cluster costs no wait.
   */
  reconnectTimeWaitMs?: number;
  /** Default timeout of requests and JetStream API calls (default 5000 ms). */
  timeoutMs?: number;
  /**
   * Capture a stack trace when each request starts, for its error's context (nats.js's default).
   * Off here: every JetStream publish is a request, the unet publishes one per denoising step,
   * and the capture was ~5% of the unet's main-thread CPU (docs/benchmarks.md, per-edit overhead).
   */
  asyncTraces?: boolean;
}

/** The server URLs of NATS_URL: one URL, or a comma-separated list (a cluster's nodes). */
export function natsServers(url: string): string[] {
  return url.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Connects to one of the servers of `url` (nats://127.0.0.1:4222, or a comma-separated list of a
 * cluster's servers; nats.js picks one at random, so clients spread over the nodes). The client
 * also learns the cluster's other servers from the one it reached, and when its server goes
 * away it reconnects to a survivor, re-subscribing on its own.
 */
export function connectNats(url: string, options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: natsServers(url),
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
    timeout: options.timeoutMs ?? 5000,
    noAsyncTraces: !(options.asyncTraces ?? false),
  });
}

/**
 * Readiness probe: true when the connection is open and a PING round trip to the server
 * completes within `timeoutMs` (default 1000 ms). False while reconnecting or closed.
 */
export async function natsReady(nc: NatsConnection, options: { timeoutMs?: number } = {}): Promise<boolean> {
  if (nc.isClosed() || nc.isDraining()) return false;
  const timeoutMs = options.timeoutMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([nc.flush().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface ConnectionState {
  /** False from a disconnect until the next reconnect, and after close. */
  readonly connected: boolean;
}

/**
 * Follows the connection's status events, so hot paths can skip NATS work while it is down
 * instead of waiting out a timeout on every call (a JetStream publish waits `timeoutMs`).
 */
export function trackConnection(nc: NatsConnection): ConnectionState {
  const state = { connected: !nc.isClosed() };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "close") state.connected = false;
      else if (s.type === "reconnect") state.connected = true;
    }
  })().catch(() => undefined);
  void nc.closed().then(() => (state.connected = false));
  return state;
}
