// Real packages exported by training/: the committed Emu-style fixture, the committed
// InstructPix2Pix-style variant (external data), and — when /usr/bin/python3 has torch and onnx —
// more variants generated at test time.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadModelPackage, type ModelPackage } from "../src/index.js";
import { tempDir } from "./helpers/synthetic-package.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fixtureTiny = join(repoRoot, "models", "fixture-tiny");
const ip2pTiny = fileURLToPath(new URL("./fixtures/ip2p-tiny", import.meta.url));
const run = promisify(execFile);

describe("load fixture", () => {
  test("load fixture - fixture-tiny is an Emu-style package with 16 tasks", async () => {
    const p = await loadModelPackage(fixtureTiny);
    assert.equal(p.name, "fixture-tiny");
    assert.equal(p.kind, "emu-edit");
    assert.equal(p.resolution, 64);
    assert.ok(p.scalingFactor > 0);
    assert.deepEqual(p.defaults, { steps: 20, guidanceScale: 2.5, imageGuidanceScale: 1.5 });
    assert.equal(p.schedulerConfig["_class_name"], "EulerAncestralDiscreteScheduler");
    assert.equal(p.maxSteps, 1000, "the scheduler's num_train_timesteps");
    assert.equal(p.tokenizer.config["model_max_length"], 77);
    assert.equal(p.textEncoder.inputIdsDtype, "int64");
    assert.equal(p.textEncoder.hiddenDim, 32);
    assert.equal(p.textEncoder.hasPooledOutput, true);
    assert.deepEqual(
      [p.unet.inChannels, p.unet.latentChannels, p.unet.timestepDtype, p.unet.timestepShape, p.unet.taskEmbeddingDim],
      [8, 4, "float32", "batch", 16],
    );
    assert.equal(p.vaeEncoder.output, "latent_sample");
    // like the default model's, its decoder also reads the edit's source image
    assert.equal(p.vaeDecoder.takesSource, true);
    assert.equal(p.vaeScaleFactor, 4);
    assert.equal(p.vaeScaleFactor, 4); // 64 px / 16 latent cells, from the static VAE decoder shapes
    assert.equal(p.tasks.length, 16);
    assert.deepEqual(p.tasks.map((t) => t.id), [...Array(16).keys()]);
    assert.ok(p.tasks.every((t) => t.embedding.length === 16 && t.examples.length > 0));
    assert.equal(p.taskClassifier?.numTasks, 16);
    assert.deepEqual(p.notes, []);
  });

  test("load fixture - committed ip2p variant: latent_parameters, timestep [1] int64, int32 ids, external data", async () => {
    const p = await loadModelPackage(ip2pTiny);
    assert.equal(p.kind, "instruct-pix2pix");
    assert.equal(p.textEncoder.inputIdsDtype, "int32");
    assert.equal(p.unet.timestepDtype, "int64");
    assert.equal(p.unet.timestepShape, "one");
    assert.equal(p.unet.taskEmbeddingDim, null);
    assert.equal(p.vaeEncoder.output, "latent_parameters");
    assert.equal(p.scalingFactor, 0.18215); // from vae_decoder/config.json
    assert.deepEqual(p.tasks, []);
    assert.equal(p.taskClassifier, null);
    assert.deepEqual(p.unet.externalDataFiles, [join(ip2pTiny, "unet", "model.onnx_data")]);
    assert.ok(p.notes.some((n) => n.startsWith("defaults.steps: ")));
  });

});

// training.fixture exports with torch and writes with onnx: the optional part (training/README.md,
// Debian's python3-torch and python3-onnx) is both, so a python with one of them skips too.
const exporterMissing = await run("/usr/bin/python3", ["-c", "import torch, onnx"]).then(
  () => null,
  (err: { stderr?: string }) => (err.stderr ?? "").trim().split("\n").at(-1) ?? "import failed",
);

describe("load fixture variants", { skip: exporterMissing ? `/usr/bin/python3 cannot import torch and onnx (${exporterMissing}); apt-get install -y python3-torch python3-onnx` : false }, () => {
  // Each export takes ~2 s; three variants cover the options the committed ones do not.
  const variants: Array<{ args: string[]; expect: Partial<ModelPackage["unet"]> & { ids?: string } }> = [
    { args: ["--layout", "ip2p", "--timestep-shape", "scalar", "--timestep-dtype", "float32", "--input-ids-dtype", "int64"], expect: { timestepShape: "scalar", timestepDtype: "float32", ids: "int64" } },
    { args: ["--layout", "ip2p", "--timestep-shape", "batch", "--fp16-weights"], expect: { timestepShape: "batch", timestepDtype: "int64", ids: "int32" } },
    { args: ["--timestep-shape", "one", "--timestep-dtype", "int64", "--external-data"], expect: { timestepShape: "one", timestepDtype: "int64", taskEmbeddingDim: 16, ids: "int64" } },
  ];
  for (const { args, expect } of variants) {
    test(`load fixture variants - training.fixture ${args.join(" ")}`, async () => {
      const out = join(await tempDir("variant"), "pkg");
      await run("/usr/bin/python3", ["-m", "training.fixture", "--out", out, ...args], { cwd: repoRoot });
      const p = await loadModelPackage(out);
      const { ids, ...unet } = expect;
      for (const [k, v] of Object.entries(unet)) assert.equal(p.unet[k as keyof typeof unet], v, k);
      assert.equal(p.textEncoder.inputIdsDtype, ids);
    });
  }
});
