// A DNS server on 127.0.0.1 answering A queries from records the test changes while it runs, so
// a `dns://127.0.0.1:<port>/name:port` address can gain or lose replicas the way a Kubernetes
// headless Service does. Only what a resolver asking for A records needs: one question per
// query, A answers (TTL 0), NXDOMAIN for unknown names, no answer for other types.
import dgram from "node:dgram";
import { once } from "node:events";

export interface DnsServer {
  /** "127.0.0.1:<port>", for the authority of a dns:// address. */
  readonly address: string;
  /** Replaces the A records of `name` (an empty list: the name is unknown). */
  setRecords(name: string, ips: readonly string[]): void;
  /** A queries answered so far, by name. */
  queries(name: string): number;
  close(): Promise<void>;
}

const TYPE_A = 1;
const CLASS_IN = 1;

/** The question's name and type, and where the question ends. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } | null {
  let at = 12;
  const labels: string[] = [];
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) break;
    if (len > 63) return null; // no compression in a question we accept
    labels.push(msg.toString("ascii", at + 1, at + 1 + len));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return null;
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

export async function startDnsServer(records: Record<string, readonly string[]> = {}): Promise<DnsServer> {
  const table = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), [...v]]));
  const asked = new Map<string, number>();
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, peer) => {
    if (msg.length < 12) return;
    const q = readQuestion(msg);
    if (!q) return;
    const ips = table.get(q.name);
    const answers = q.type === TYPE_A ? (ips ?? []) : [];
    if (q.type === TYPE_A) asked.set(q.name, (asked.get(q.name) ?? 0) + 1);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    header.writeUInt16BE(0x8180 | (ips === undefined || ips.length === 0 ? 3 : 0), 2); // response, RD+RA, NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(answers.length, 6);
    const rr = answers.map((ip) => {
      const b = Buffer.alloc(16);
      b.writeUInt16BE(0xc00c, 0); // the question's name
      b.writeUInt16BE(TYPE_A, 2);
      b.writeUInt16BE(CLASS_IN, 4);
      b.writeUInt32BE(0, 6); // TTL 0: never cached
      b.writeUInt16BE(4, 10);
      ip.split(".").forEach((octet, i) => b.writeUInt8(Number(octet), 12 + i));
      return b;
    });
    socket.send(Buffer.concat([header, msg.subarray(12, q.end), ...rr]), peer.port, peer.address);
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return {
    address: `127.0.0.1:${socket.address().port}`,
    setRecords: (name, ips) => void table.set(name.toLowerCase(), [...ips]),
    queries: (name) => asked.get(name.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
