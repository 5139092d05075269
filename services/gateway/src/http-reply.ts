// Writing a JSON reply: the one way every HTTP handler of the gateway answers with JSON; and the
// shape of the route tables the HTTP server asks by path (jobs, sessions, the web page).
import type { IncomingMessage, ServerResponse } from "node:http";

export type PathHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** Routes the HTTP server asks by path: the handlers by method, with the route's name for the log line. */
export interface PathRoutes {
  match(path: string): { route: string; methods: Readonly<Record<string, PathHandler>> } | undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
