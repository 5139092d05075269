import { connect, type NatsConnection } from "@nats-io/transport-node";

export interface ConnectNatsOptions {
  /** Connection name shown by the server's monitoring (e.g. "unet-7f9c"). */
  name?: string;
  /** -1 (the default here) reconnects forever: services outlive NATS restarts. */
  maxReconnectAttempts?: number;
  /** Delay between reconnect attempts (default 1000 ms). */
  reconnectTimeWaitMs?: number;
  /** Default timeout of requests and JetStream API calls (default 5000 ms). */
  timeoutMs?: number;
}

/** Connects to `url` (e.g. nats://127.0.0.1:4222; a comma-separated list is accepted). */
export function connectNats(url: string, options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: url.split(",").map((s) => s.trim()).filter((s) => s.length > 0),
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
    timeout: options.timeoutMs ?? 5000,
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
