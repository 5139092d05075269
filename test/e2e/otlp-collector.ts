// A minimal OTLP/HTTP traces receiver for tests: decodes just enough of the protobuf
// ExportTraceServiceRequest (resource service.name; span trace id, span id, parent, name and
// its string, bool, int and double attributes).
import http from "node:http";
import { gunzipSync } from "node:zlib";

export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) (yield { no, wire, value: buf.subarray(i, i + 8) }, (i += 8));
    else if (wire === 5) (yield { no, wire, value: buf.subarray(i, i + 4) }, (i += 4));
    else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, value: buf.subarray(i, i + len) };
      i += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const sub = (buf: Uint8Array, no: number) => [...fields(buf)].filter((f) => f.no === no && f.wire === 2).map((f) => f.value as Uint8Array);
const str = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("utf8") : "");
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "");

/** An AnyValue's scalar: 1 string, 2 bool, 3 int, 4 double (arrays and maps are not decoded). */
function anyValue(b: Uint8Array): string | number | boolean | undefined {
  for (const f of fields(b)) {
    if (f.no === 1 && f.wire === 2) return str(f.value as Uint8Array);
    if (f.no === 2 && f.wire === 0) return f.value !== 0n;
    if (f.no === 3 && f.wire === 0) return Number(BigInt.asIntN(64, f.value as bigint));
    if (f.no === 4 && f.wire === 1) return Buffer.from(f.value as Uint8Array).readDoubleLE(0);
  }
  return undefined;
}

function attributes(span: Uint8Array): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of sub(span, 9)) {
    const value = anyValue(sub(kv, 2)[0] ?? new Uint8Array());
    if (value !== undefined) out[str(sub(kv, 1)[0])] = value;
  }
  return out;
}

export function decodeTraces(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of sub(body, 1)) {
    let service = "";
    for (const resource of sub(rs, 1)) {
      for (const kv of sub(resource, 1)) {
        if (str(sub(kv, 1)[0]) === "service.name") service = str(sub(sub(kv, 2)[0] ?? new Uint8Array(), 1)[0]);
      }
    }
    for (const ss of sub(rs, 2)) {
      for (const span of sub(ss, 2)) {
        out.push({
          service,
          traceId: hex(sub(span, 1)[0]),
          spanId: hex(sub(span, 2)[0]),
          parentSpanId: hex(sub(span, 4)[0]),
          name: str(sub(span, 5)[0]),
          attributes: attributes(span),
        });
      }
    }
  }
  return out;
}

export async function startOtlpCollector(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      try {
        spans.push(...decodeTraces(body));
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
