// The web editor's files (services/gateway/web/: plain HTML, CSS and JavaScript modules, no
// build step), read once at start and served with their content types, caching and a strict CSP.
//
// Caching: the assets live under /web/<version>/, where <version> is a hash of every file, so
// they are immutable (cached for a year) and a new release is a new URL; the page itself (/)
// is revalidated on each load (ETag) and names the current version.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PathHandler, PathRoutes } from "../http-reply.js";

/** services/gateway/web: beside main.mjs in a bundle (scripts/bundle.mjs copies it), else in the source tree. */
export const WEB_DIR = webDir(path.dirname(fileURLToPath(import.meta.url)));

function webDir(here: string): string {
  const bundled = path.join(here, "web");
  return existsSync(path.join(bundled, "index.html")) ? bundled : path.resolve(here, "../../web");
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/**
 * Scripts and styles only from this origin (no inline code), images also from data: URLs (the
 * step previews) and blob: URLs (the picked file); requests only to this origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The page's placeholder for the assets' folder. */
const VERSION_MARK = "{{assets}}";

export function staticSite(dir = WEB_DIR): PathRoutes & { readonly version: string } {
  const files = new Map<string, StaticFile>();
  const all = readdirSync(dir).filter((f) => CONTENT_TYPES[path.extname(f)] !== undefined).sort();
  const hash = createHash("sha256");
  for (const name of all) hash.update(name).update(readFileSync(path.join(dir, name)));
  const version = hash.digest("hex").slice(0, 12);
  const assets = `/web/${version}`;
  for (const name of all) {
    let body = readFileSync(path.join(dir, name));
    if (name === "index.html") body = Buffer.from(body.toString("utf8").replaceAll(VERSION_MARK, assets));
    files.set(name, { body, type: CONTENT_TYPES[path.extname(name)]!, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` });
  }
  const page = files.get("index.html");
  if (!page) throw new Error(`${dir}: no index.html`);

  const serve = (file: StaticFile, cacheControl: string): PathHandler =>
    async (req: IncomingMessage, res: ServerResponse) => {
      const headers = { ...SECURITY_HEADERS, "cache-control": cacheControl, etag: file.etag };
      if (req.headers["if-none-match"] === file.etag) return void res.writeHead(304, headers).end();
      res.writeHead(200, { ...headers, "content-type": file.type, "content-length": file.body.length });
      res.end(req.method === "HEAD" ? undefined : file.body);
    };
  const index = serve(page, "no-cache");
  const immutable = new Map([...files].filter(([n]) => n !== "index.html").map(([n, f]) => [n, serve(f, "public, max-age=31536000, immutable")]));

  return {
    version,
    match(p): ReturnType<PathRoutes["match"]> {
      if (p === "/" || p === "/index.html") return { route: "/", methods: { GET: index, HEAD: index } };
      if (!p.startsWith(`${assets}/`)) return undefined;
      const handler = immutable.get(p.slice(assets.length + 1));
      return handler ? { route: "/web/{asset}", methods: { GET: handler, HEAD: handler } } : undefined;
    },
  };
}
