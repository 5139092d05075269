// One service's production bundle, exactly as deploy/Dockerfile copies it into the image:
//
//   node scripts/bundle.mjs <gateway|text-encoder|vae|unet> [out-dir]     (default dist/<service>)
//   pnpm bundle <service> [out-dir]
//
//   out-dir/main.mjs               the service: its code and every @emuedit/* package it imports,
//                                  compiled from TypeScript and bundled by esbuild (source map beside)
//   out-dir/worker-bootstrap.mjs   model services: the onnxruntime session worker, compiled, under
//                                  the name packages/onnx-runtime starts its workers by, so no
//                                  TypeScript loader (tsx) is needed at run time
//   out-dir/web/                   gateway: the web editor's files (services/gateway/web)
//   out-dir/package.json           the npm packages main.mjs imports, at the versions the
//                                  workspace resolved
//   out-dir/node_modules/          those packages and their production dependencies (a flat npm
//                                  layout, no symlinks), from pnpm's store, offline
//
// npm packages stay outside the bundle on purpose: native addons (onnxruntime-node, sharp) must,
// and OpenTelemetry instruments @grpc/grpc-js by hooking its require(), which a copy inlined in
// main.mjs would escape. Run it with `node main.mjs` in out-dir (EMUEDIT_MODEL_DIR names the model).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SERVICES = ["gateway", "text-encoder", "vae", "unet"];
const MODEL_SERVICES = new Set(["text-encoder", "vae", "unet"]);
/** The repository's install-script policy (pnpm-workspace.yaml), applied to the bundle's install. */
const ALLOW_BUILDS = { "onnxruntime-node": false, sharp: true, protobufjs: false };

const [service, outArg] = process.argv.slice(2);
if (!SERVICES.includes(service)) {
  process.stderr.write(`usage: node scripts/bundle.mjs <${SERVICES.join("|")}> [out-dir]\n`);
  process.exit(2);
}
const out = path.resolve(outArg ?? path.join(ROOT, "dist", service));
const builtins = new Set(builtinModules);

/** "@scope/name/sub" -> "@scope/name"; "name/sub" -> "name". */
const packageName = (spec) => spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/");

/** The version of `name` that Node resolves from `fromDir` (walking up node_modules folders). */
function resolvedVersion(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "node_modules", name, "package.json");
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")).version;
    if (dir === path.dirname(dir)) throw new Error(`${name} is imported from ${fromDir} but not installed`);
  }
}

// 1. Compile and bundle the workspace code; every npm package stays an import.
const externalNpm = {
  name: "external-npm",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@emuedit/") ? undefined : { path: args.path, external: true }));
  },
};
rmSync(out, { recursive: true, force: true });
const entryPoints = { main: path.join(ROOT, "services", service, "src", "main.ts") };
if (MODEL_SERVICES.has(service)) entryPoints["worker-bootstrap"] = path.join(ROOT, "packages", "onnx-runtime", "src", "session-worker.ts");
const result = await build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
  plugins: [externalNpm],
});

// 2. The npm packages it imports, each at the one version the workspace resolved.
const dependencies = {};
for (const [file, input] of Object.entries(result.metafile.inputs)) {
  for (const imp of input.imports) {
    if (!imp.external || imp.path.startsWith("node:") || builtins.has(imp.path)) continue;
    const name = packageName(imp.path);
    const version = resolvedVersion(name, path.dirname(path.join(ROOT, file)));
    if (dependencies[name] !== undefined && dependencies[name] !== version) {
      throw new Error(`${name} is imported at two versions (${dependencies[name]} and ${version}); one bundle can hold one`);
    }
    dependencies[name] = version;
  }
}
const sorted = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));
const manifest = { name: `emuedit-${service}`, private: true, type: "module", main: "main.mjs", engines: { node: ">=20.9" }, dependencies: sorted };
writeFileSync(path.join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
// Its own workspace root, so pnpm installs here and not into the repository's workspace.
writeFileSync(
  path.join(out, "pnpm-workspace.yaml"),
  `nodeLinker: hoisted\nallowBuilds:\n${Object.entries(ALLOW_BUILDS).map(([k, v]) => `  ${k}: ${v}`).join("\n")}\n`,
);

// 3. Production dependencies only, from the store the workspace install filled (no network).
// Copies, not the store's hard links: an image layer or a later edit must not share inodes with the store.
execFileSync("pnpm", ["install", "--prod", "--offline", "--config.confirm-modules-purge=false", "--config.package-import-method=copy"], { cwd: out, stdio: ["ignore", "inherit", "inherit"] });
rmSync(path.join(out, "pnpm-workspace.yaml"));
rmSync(path.join(out, "node_modules", ".pnpm"), { recursive: true, force: true });

// The gateway serves the web editor's files from web/ beside main.mjs (static-site.ts).
if (service === "gateway") cpSync(path.join(ROOT, "services", "gateway", "web"), path.join(out, "web"), { recursive: true });

// 4. onnxruntime-node ships binaries for every platform (~250 MB); keep this one's.
const ortBin = path.join(out, "node_modules", "onnxruntime-node", "bin", "napi-v6");
if (existsSync(ortBin)) {
  for (const platform of ["darwin", "win32", "linux"]) {
    const dir = path.join(ortBin, platform);
    if (platform !== process.platform) rmSync(dir, { recursive: true, force: true });
    else for (const arch of ["x64", "arm64"]) if (arch !== process.arch) rmSync(path.join(dir, arch), { recursive: true, force: true });
  }
}
process.stdout.write(`bundle: ${service} -> ${path.relative(process.cwd(), out) || "."} (${Object.keys(sorted).length} npm packages)\n`);
