// `pnpm test`: every suite of the repository, each in its own process, whether or not an earlier
// one failed, then one summary of what passed, failed and skipped (with the reason a suite
// gives). Exits 1 when anything failed. Order: the compile check, the workspace packages lowest
// layer first (the order of tsconfig.json's references), the end-to-end suite, training/.
//
//   pnpm test                      everything
//   pnpm test -- tensors gateway   only suites whose name contains one of the words
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const filters = process.argv.slice(2).filter((a) => a !== "--");

/** The suites: [name, cwd, command, args]. */
function suites() {
  const list = [["typecheck", ROOT, "pnpm", ["run", "typecheck"]]];
  const { references } = JSON.parse(readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
  for (const { path: rel } of references) {
    const dir = path.join(ROOT, rel);
    const pkgFile = path.join(dir, "package.json");
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    if (pkg.scripts?.test) list.push([rel.replace(/^\.\//, ""), dir, "pnpm", ["run", "--silent", "test"]]);
  }
  list.push(["training", ROOT, process.execPath, [path.join(ROOT, "scripts", "test-training.mjs")]]);
  return filters.length === 0 ? list : list.filter(([name]) => filters.some((f) => name.includes(f)));
}

/** Counts from node:test's summary lines (ℹ tests N ...) or unittest's (Ran N tests, OK / FAILED (...)). */
function counts(output) {
  const sum = (re, text = output) => {
    const all = [...text.matchAll(re)];
    return all.length === 0 ? undefined : all.reduce((s, m) => s + Number(m[1]), 0);
  };
  const unittest = output.match(/^(?:OK|FAILED)(?: \(([^)]*)\))?$/m)?.[1] ?? "";
  const tests = sum(/^ℹ tests (\d+)$/gm) ?? sum(/^Ran (\d+) tests? in/gm);
  const failed = sum(/^ℹ fail (\d+)$/gm) ?? sum(/(?:failures|errors)=(\d+)/g, unittest) ?? 0;
  const skipped = sum(/^ℹ skipped (\d+)$/gm) ?? sum(/skipped=(\d+)/g, unittest) ?? 0;
  const reasons = [...new Set([...output.matchAll(/# SKIP (.+)$/gm), ...output.matchAll(/\bSKIPPED: (.+)$/gm)].map((m) => m[1].trim()))];
  return { tests, failed, skipped, reasons };
}

function run([name, cwd, cmd, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    process.stdout.write(`\n=== ${name} ===\n`);
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk) => {
        output += chunk;
        process.stdout.write(chunk);
      });
    }
    child.on("error", (err) => {
      output += String(err);
      resolve({ name, code: 127, seconds: (Date.now() - started) / 1000, ...counts(output) });
    });
    child.on("close", (code, signal) => resolve({ name, code: code ?? (signal ? 128 : 1), seconds: (Date.now() - started) / 1000, ...counts(output) }));
  });
}

const results = [];
for (const suite of suites()) results.push(await run(suite));

const line = (r) => {
  const allSkipped = r.tests === undefined ? r.reasons.length > 0 : r.tests === 0 || r.skipped === r.tests;
  const verdict = r.code !== 0 ? "FAILED" : allSkipped ? "SKIPPED" : "passed";
  const detail = r.tests === undefined ? "" : `${r.tests} tests, ${r.failed} failed, ${r.skipped} skipped`;
  const why = r.reasons.length > 0 ? `\n      skipped because: ${r.reasons.join("; ")}` : "";
  return `  ${verdict.padEnd(8)} ${r.name.padEnd(24)} ${detail.padEnd(36)} ${r.seconds.toFixed(1).padStart(6)} s${r.code !== 0 ? `  (exit ${r.code})` : ""}${why}`;
};
const failed = results.filter((r) => r.code !== 0);
process.stdout.write(`\n=== summary ===\n${results.map(line).join("\n")}\n`);
process.stdout.write(
  failed.length === 0
    ? `\nall ${results.length} suites passed\n`
    : `\n${failed.length} of ${results.length} suites FAILED: ${failed.map((r) => r.name).join(", ")}\n`,
);
process.exit(failed.length === 0 ? 0 : 1);
