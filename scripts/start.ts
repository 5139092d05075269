// `pnpm start`: the whole system on the default model package, with prefixed logs.
// Ctrl-C (SIGINT) or SIGTERM stops it in order: the gateway drains (edits in flight finish),
// then the model services, then a nats-server started here. Exits 0 only when every service did.
import { findNatsServer, launchSystem, NatsServerNotFoundError } from "@emuedit/launcher";

const COLORS: Record<string, string> = { gateway: "\x1b[36m", unet: "\x1b[35m", vae: "\x1b[33m", "text-encoder": "\x1b[32m" };
const tty = process.stderr.isTTY;
const onLine = (service: string, line: string) => {
  const tag = `[${service}]`.padEnd(15);
  process.stderr.write(tty ? `${COLORS[service] ?? ""}${tag}\x1b[0m ${line}\n` : `${tag} ${line}\n`);
};

try {
  await findNatsServer();
} catch (err) {
  if (!process.env.NATS_URL && err instanceof NatsServerNotFoundError) {
    process.stderr.write(`note: ${err.message}\n(continuing: a NATS server at nats://127.0.0.1:4222 is used if one answers)\n`);
  }
}

/** EMUEDIT_<SERVICE>_REPLICAS: model service replicas to run (ports counted up from the service's port). */
const replicaCount = (env: string) => {
  const raw = process.env[env];
  if (raw === undefined || raw === "") return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    process.stderr.write(`emuedit failed to start: ${env} must be an integer within 1..16, got "${raw}"\n`);
    process.exit(1);
  }
  return n;
};
const replicas = {
  "text-encoder": replicaCount("EMUEDIT_TEXT_ENCODER_REPLICAS"),
  vae: replicaCount("EMUEDIT_VAE_REPLICAS"),
  unet: replicaCount("EMUEDIT_UNET_REPLICAS"),
};

const system = await launchSystem({
  replicas,
  ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
  ports: {
    http: Number(process.env.EMUEDIT_GATEWAY_HTTP_PORT ?? 8080),
    grpc: Number(process.env.EMUEDIT_GATEWAY_GRPC_PORT ?? 50051),
    textEncoder: Number(process.env.EMUEDIT_TEXT_ENCODER_PORT ?? 50061),
    vae: Number(process.env.EMUEDIT_VAE_PORT ?? 50062),
    unet: Number(process.env.EMUEDIT_UNET_PORT ?? 50063),
  },
  onLine,
  detached: true,
}).catch((err: unknown) => {
  process.stderr.write(`emuedit failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

const nats = system.natsStartedHere
  ? "(started here: no server answered there; temporary store, stopped with the rest)"
  : "(reused: a server already answered there; left running on exit)";
process.stdout.write(`
emuedit is ready.
  Web editor    ${system.httpUrl}/
  HTTP API      ${system.httpUrl}   (GET /v1/tasks, POST /v1/edits, /v1/sessions, /healthz, /readyz)
  gRPC Editor   ${system.grpcAddress}
  NATS          ${system.natsUrl} ${nats}
  model services text-encoder ${system.addresses["text-encoder"]}, vae ${system.addresses.vae}, unet ${system.addresses.unet}

Try an edit:
  curl -sS -F image=@examples/red-circle.png -F "instruction=make the circle blue" \\
       -o /tmp/edited.png -D - ${system.httpUrl}/v1/edits
Or with the CLI:
  pnpm emuedit edit examples/red-circle.png "make the circle blue" -o /tmp/edited.png --server ${system.grpcAddress}

Press Ctrl-C to stop.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const nats = system.natsStartedHere ? ", then NATS" : " (the reused NATS stays up)";
  process.stderr.write(`\nstopping: gateway first (edits in flight finish), then the model services${nats}...\n`);
  const codes = await system.stop();
  const failed = Object.entries(codes).filter(([, code]) => code !== 0);
  process.stderr.write(
    failed.length === 0
      ? "stopped: every service exited 0\n"
      : `stopped, but ${failed.map(([name, code]) => `${name} exited ${code}`).join(", ")}\n`,
  );
  process.exit(failed.length === 0 ? 0 : 1);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
