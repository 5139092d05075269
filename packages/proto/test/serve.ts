// Test harness: a real grpc-js server on 127.0.0.1, an ephemeral port.
import { Server, ServerCredentials, type ChannelOptions } from "@grpc/grpc-js";

export async function startServer(
  register: (server: Server) => void,
  options: ChannelOptions = {},
): Promise<{ server: Server; address: string; stop: () => void }> {
  const server = new Server(options);
  register(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** A promise plus its resolver, for observing what a handler saw. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
