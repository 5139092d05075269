// EMUEDIT_EXECUTION_PROVIDER at the process edge: the real service started with a provider this
// onnxruntime-node cannot load must exit at start-up with a message naming it, never serve on
// the CPU behind the operator's back; a word that is no provider is a settings error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SERVICE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURE = path.resolve(SERVICE, "../../models/fixture-tiny");

/** Starts the service on a free port and resolves with its exit code and output. */
function runService(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: SERVICE,
    env: { ...process.env, EMUEDIT_MODEL_DIR: FIXTURE, EMUEDIT_TEXT_ENCODER_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  // A service that started anyway would run until stopped: end it so the assertion reports.
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

test("execution provider - cuda without onnxruntime's CUDA libraries stops the service at start-up, naming the provider", async () => {
  const { code, output } = await runService({ EMUEDIT_EXECUTION_PROVIDER: "cuda" });
  assert.notEqual(code, 0, output);
  assert.match(output, /ExecutionProviderError: text_encoder: the cuda execution provider is not available to onnxruntime-node here/);
  assert.doesNotMatch(output, / ready /);
});

test("execution provider - a value that is no provider is refused by the settings check", async () => {
  const { code, output } = await runService({ EMUEDIT_EXECUTION_PROVIDER: "gpu" });
  assert.notEqual(code, 0, output);
  assert.match(output, /EMUEDIT_EXECUTION_PROVIDER: must be one of cpu, cuda, got "gpu"/);
});
