#!/usr/bin/env node
// Regenerates packages/proto/src/gen/ from proto/ with buf + protoc-gen-es (buf.gen.yaml).
// Both tools run offline from packages/proto/node_modules.
//   node scripts/gen-proto.mjs                 # rewrite the committed files (pnpm gen:proto)
//   node scripts/gen-proto.mjs --output <dir>  # write under <dir>/packages/proto/src/gen instead
//                                              # (the stale-codegen test uses this)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "packages/proto/node_modules/.bin");
const buf = join(bin, "buf");

for (const tool of [buf, join(bin, "protoc-gen-es")]) {
  if (!existsSync(tool)) {
    console.error(`gen-proto: ${tool} is missing; run \`pnpm install\` at the repository root`);
    process.exit(1);
  }
}

const args = ["generate", "--template", "buf.gen.yaml"];
const outIndex = process.argv.indexOf("--output");
if (outIndex !== -1) {
  const out = process.argv[outIndex + 1];
  if (!out) {
    console.error("gen-proto: --output needs a directory");
    process.exit(2);
  }
  args.push("--output", resolve(out));
}

const result = spawnSync(buf, args, { cwd: root, stdio: "inherit" });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
