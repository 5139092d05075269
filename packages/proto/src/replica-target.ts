// Where a stage's replicas are: one address setting names them all, and a grpc-js resolver of
// our own turns it into the endpoint list a round_robin channel spreads calls over. grpc-js's
// own dns resolver looks a name up again only when a connection drops, so a replica added
// later (a scale-up behind a headless Service) would get no work until then; this resolver also
// looks every name up again on a fixed interval and hands grpc-js the new list when it changed.
//
// Accepted forms:
//   host:port                  one replica (a name gets every address it resolves to)
//   h1:p1,h2:p2                several replicas (local runs)
//   dns:///name:port           every A/AAAA record of name (a Kubernetes headless Service)
//   dns://server:port/name:port   the same, asking that DNS server (tests run their own)
import dns from "node:dns/promises";
import { isIP } from "node:net";
import { experimental, Metadata, status as GrpcStatusCode, type ChannelOptions } from "@grpc/grpc-js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ReplicaAddress {
  /** The setting's text, as given. */
  readonly text: string;
  readonly names: readonly HostPort[];
  /** `dns://server:port/...`: the DNS server asked instead of the system's resolver. */
  readonly dnsServer?: string;
}

const SCHEME = "emuedit-replicas";
/** Channel option: how often (ms) every name is looked up again. */
export const RESOLVE_INTERVAL_OPTION = "emuedit.resolve_interval_ms";
const DEFAULT_RESOLVE_INTERVAL_MS = 5000;
/** Lookups asked for by grpc-js (a connection dropped) come at most this often. */
const MIN_REQUESTED_RESOLVE_GAP_MS = 250;

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

function parseHostPort(text: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not host:port`);
  const [, host, portText] = m as unknown as [string, string, string];
  const port = Number(portText);
  if (!(port >= 1 && port <= 65535)) throw new Error(`port ${portText} of "${text}" is outside 1..65535`);
  if (text.startsWith("[") ? isIP(host) !== 6 : isIP(host) === 0 && !HOST_NAME.test(host)) throw new Error(`"${host}" is not a host name or IP address`);
  return { host, port };
}

/** Parses an address setting; throws an Error saying what is wrong (the caller names the setting). */
export function parseReplicaAddress(text: string): ReplicaAddress {
  const trimmed = text.trim();
  if (trimmed === "") throw new Error("empty address");
  const dnsForm = /^dns:\/\/([^/]*)\/(.+)$/.exec(trimmed);
  if (dnsForm) {
    const [, server, name] = dnsForm as unknown as [string, string, string];
    if (name.includes(",")) throw new Error(`a dns: address names one host:port, got "${name}"`);
    if (server !== "") parseHostPort(server);
    return { text, names: [parseHostPort(name)], ...(server !== "" ? { dnsServer: server } : {}) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw new Error(`unsupported scheme in "${trimmed}" (use host:port, h1:p1,h2:p2 or dns:///name:port)`);
  const parts = trimmed.split(",").map((p) => p.trim());
  if (parts.some((p) => p === "")) throw new Error(`empty entry in the list "${trimmed}"`);
  return { text, names: parts.map(parseHostPort) };
}

const formatHostPort = ({ host, port }: HostPort) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);

/** Every replica address the setting names right now ("ip:port"), deduplicated, in order. */
export async function resolveReplicas(address: ReplicaAddress): Promise<HostPort[]> {
  const resolver = address.dnsServer ? new dns.Resolver({ timeout: 2000, tries: 2 }) : null;
  resolver?.setServers([address.dnsServer!]);
  const lookups = await Promise.all(
    address.names.map(async ({ host, port }): Promise<HostPort[]> => {
      if (isIP(host)) return [{ host, port }];
      const ips = resolver ? await resolver.resolve4(host) : (await dns.lookup(host, { all: true })).map((a) => a.address);
      return ips.map((ip) => ({ host: ip, port }));
    }),
  );
  const seen = new Map<string, HostPort>();
  for (const hp of lookups.flat()) seen.set(formatHostPort(hp), hp);
  return [...seen.values()];
}

/** The grpc-js target for `address` (served by the resolver below). */
export function replicaTarget(address: ReplicaAddress): string {
  registerReplicaResolver();
  return `${SCHEME}://${address.dnsServer ?? ""}/${address.names.map(formatHostPort).join(",")}`;
}

function fromTarget(target: experimental.GrpcUri): ReplicaAddress {
  const names = target.path.split(",").map(parseHostPort);
  return { text: experimental.uriToString(target), names, ...(target.authority ? { dnsServer: target.authority } : {}) };
}

class ReplicaResolver implements experimental.Resolver {
  private readonly address: ReplicaAddress;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lookingUp = false;
  private lastLookupAt = 0;
  /** The endpoint list grpc-js last accepted; an unchanged list is not handed over again. */
  private delivered: string | undefined;
  private generation = 0;

  constructor(
    target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    this.address = fromTarget(target);
    const interval = Number(options[RESOLVE_INTERVAL_OPTION]);
    this.intervalMs = Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_RESOLVE_INTERVAL_MS;
  }

  updateResolution(): void {
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.lookUp(), this.intervalMs);
      this.timer.unref();
      this.lookUp();
    } else if (Date.now() - this.lastLookupAt >= MIN_REQUESTED_RESOLVE_GAP_MS) {
      // A connection dropped: the replica may be gone for good, or moved; ask again now.
      this.lookUp();
    }
  }

  destroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.delivered = undefined;
    this.generation++;
  }

  private lookUp(): void {
    if (this.lookingUp) return;
    this.lookingUp = true;
    this.lastLookupAt = Date.now();
    const generation = this.generation;
    resolveReplicas(this.address)
      .then(
        (found) => {
          if (generation !== this.generation) return;
          if (found.length === 0) return this.fail(`${this.address.names.map(formatHostPort).join(",")} resolved to no address`);
          const key = found.map(formatHostPort).join(",");
          if (key === this.delivered) return;
          const endpoints = found.map((hp) => ({ addresses: [hp] }));
          if (this.listener(experimental.statusOrFromValue(endpoints), {}, null, "")) this.delivered = key;
        },
        (err: unknown) => {
          if (generation !== this.generation) return;
          this.fail(`name resolution failed for ${this.address.names.map(formatHostPort).join(",")}: ${err instanceof Error ? err.message : String(err)}`);
        },
      )
      .finally(() => {
        this.lookingUp = false;
      });
  }

  private fail(details: string): void {
    this.delivered = undefined;
    this.listener(experimental.statusOrFromError({ code: GrpcStatusCode.UNAVAILABLE, details, metadata: new Metadata() }), {}, null, "");
  }

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return formatHostPort(fromTarget(target).names[0]!);
  }
}

let registered = false;
function registerReplicaResolver(): void {
  if (registered) return;
  experimental.registerResolver(SCHEME, ReplicaResolver);
  registered = true;
}
