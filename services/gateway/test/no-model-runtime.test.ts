// The gateway holds no model runtime: nothing its package needs at run time, however indirectly,
// is onnxruntime or the model stages (docs/architecture.md, "Who owns what"). Walks the installed
// dependency graph as Node resolves it, from the gateway's package.json.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const GATEWAY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The package folder `name` resolves to from `fromDir` (node_modules of it and its parents). */
function resolvePackage(fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}

/** Every package reachable through dependencies and optionalDependencies, by name. */
function runtimeClosure(root: string): Map<string, string[]> {
  const seen = new Map<string, string[]>(); // name -> the chain that reached it
  const queue: Array<{ dir: string; chain: string[] }> = [{ dir: root, chain: [] }];
  const visitedDirs = new Set<string>();
  while (queue.length > 0) {
    const { dir, chain } = queue.shift()!;
    if (visitedDirs.has(dir)) continue;
    visitedDirs.add(dir);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const here = [...chain, pkg.name];
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (!seen.has(dep)) seen.set(dep, [...here, dep]);
      const found = resolvePackage(dir, dep);
      if (found) queue.push({ dir: found, chain: here });
    }
  }
  return seen;
}

describe("gateway dependencies", () => {
  test("gateway - no dependency, direct or transitive, is a model runtime or the model stages", () => {
    const closure = runtimeClosure(GATEWAY);
    assert.ok(closure.has("@emuedit/edit-contract"), "the walk reaches the edit contract");
    assert.ok(closure.has("@grpc/grpc-js"), "the walk reaches third-party packages");
    for (const forbidden of ["onnxruntime-node", "onnxruntime-common", "@emuedit/stages", "@emuedit/onnx-runtime", "@emuedit/tokenizer", "@emuedit/diffusion"]) {
      assert.equal(closure.get(forbidden)?.join(" -> "), undefined, `${forbidden} reaches the gateway`);
    }
  });
});
