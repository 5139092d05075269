// What the loader infers from graph metadata and configs, on synthetic graph-only packages
// (helpers/synthetic-package.ts) covering the variants user exports come in.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DIFFUSERS_DEFAULTS, loadModelPackage } from "../src/index.js";
import { f32, i32, i64 } from "./helpers/onnx-writer.js";
import { defaultGraphs, tempDir, writeSyntheticPackage } from "./helpers/synthetic-package.js";

const C = 4;
const D = 32;

describe("load inference", () => {
  test("load inference - Emu-style package reads emuedit.json, tasks and classifier", async () => {
    const dir = await writeSyntheticPackage(await tempDir("emu"), { E: 8, T: 3 });
    const p = await loadModelPackage(dir);
    assert.equal(p.dir, dir);
    assert.equal(p.name, "synthetic-emu");
    assert.equal(p.kind, "emu-edit");
    assert.equal(p.resolution, 64);
    assert.equal(p.scalingFactor, 0.9);
    assert.deepEqual(p.defaults, { steps: 20, guidanceScale: 2.5, imageGuidanceScale: 1.5 });
    assert.equal(p.schedulerConfig["_class_name"], "EulerAncestralDiscreteScheduler");
    assert.equal(p.tokenizer.vocabPath, join(dir, "tokenizer", "vocab.json"));
    assert.equal(p.tokenizer.config["model_max_length"], 77);
    assert.equal(p.tokenizer.specialTokensMap, null);
    assert.deepEqual(
      { ...p.textEncoder, inputs: undefined, outputs: undefined },
      {
        path: join(dir, "text_encoder", "model.onnx"),
        inputs: undefined,
        outputs: undefined,
        externalDataFiles: [],
        inputIdsDtype: "int64",
        sequenceLength: 77,
        hiddenDim: D,
        hasPooledOutput: true,
      },
    );
    assert.equal(p.unet.inChannels, 2 * C);
    assert.equal(p.unet.latentChannels, C);
    assert.equal(p.unet.timestepDtype, "int64");
    assert.equal(p.unet.timestepShape, "batch");
    assert.equal(p.unet.taskEmbeddingDim, 8);
    assert.equal(p.vaeEncoder.output, "latent_sample");
    assert.equal(p.tasks.length, 3);
    assert.equal(p.tasks[2]?.name, "task-2");
    assert.ok(p.tasks[2]?.embedding instanceof Float32Array);
    assert.equal(p.tasks[2]?.embedding.length, 8);
    assert.ok(Math.abs((p.tasks[2]?.embedding[7] ?? 0) - 0.24) < 1e-6);
    assert.equal(p.taskClassifier?.numTasks, 3);
    // Symbolic VAE shapes and no VAE config: the SD factor is assumed, and said so.
    assert.equal(p.vaeScaleFactor, DIFFUSERS_DEFAULTS.vaeScaleFactor);
    assert.deepEqual(p.notes, ["vaeScaleFactor: not stated; using the Stable Diffusion VAE's 8"]);
  });

  test("load inference - a decoder with source_sample reads the edit's source image; a plain one does not", async () => {
    const graphs = defaultGraphs(C, D, 8, 3);
    const plain = await loadModelPackage(await writeSyntheticPackage(await tempDir("dec-plain"), { E: 8, T: 3 }));
    assert.equal(plain.vaeDecoder.takesSource, false);
    const dir = await writeSyntheticPackage(await tempDir("dec-source"), {
      E: 8,
      T: 3,
      graphs: {
        vae_decoder: {
          inputs: [...graphs["vae_decoder"]!.inputs, f32("source_sample", ["batch", 3, "H", "W"])],
          outputs: graphs["vae_decoder"]!.outputs,
        },
      },
    });
    const p = await loadModelPackage(dir);
    assert.equal(p.vaeDecoder.takesSource, true);
    assert.deepEqual(p.vaeDecoder.inputs.map((i) => i.name), ["latent_sample", "source_sample"]);
  });

  test("load inference - plain InstructPix2Pix export gets diffusers defaults, each noted", async () => {
    const dir = await writeSyntheticPackage(await tempDir("ip2p"), { E: null });
    const p = await loadModelPackage(dir);
    assert.equal(p.kind, "instruct-pix2pix");
    assert.equal(p.unet.taskEmbeddingDim, null);
    assert.deepEqual(p.tasks, []);
    assert.equal(p.taskClassifier, null);
    assert.equal(p.scalingFactor, 0.18215);
    assert.equal(p.resolution, 512);
    assert.deepEqual(p.defaults, { steps: 100, guidanceScale: 7.5, imageGuidanceScale: 1.5 });
    assert.equal(p.notes.length, 6);
    assert.ok(p.notes.some((n) => n.startsWith("scalingFactor: ")));
  });

  test("load inference - diffusers/optimum component configs fill in what emuedit.json would", async () => {
    const dir = await writeSyntheticPackage(await tempDir("cfg"), {
      E: null,
      json: {
        "vae_decoder/config.json": { scaling_factor: 0.13025, block_out_channels: [128, 256, 512] },
        "unet/config.json": { sample_size: 32, in_channels: 2 * C },
        "tokenizer/special_tokens_map.json": { pad_token: "<|endoftext|>" },
      },
    });
    const p = await loadModelPackage(dir);
    assert.equal(p.scalingFactor, 0.13025);
    assert.equal(p.vaeScaleFactor, 4); // 2 ** (3 - 1)
    assert.equal(p.resolution, 128); // sample_size 32 x 4
    assert.deepEqual(p.tokenizer.specialTokensMap, { pad_token: "<|endoftext|>" });
  });

  test("load inference - static VAE shapes give the scale factor; int32 ids, scalar float timestep", async () => {
    const g = defaultGraphs(C, D, null, 0);
    const dir = await writeSyntheticPackage(await tempDir("static"), {
      E: null,
      graphs: {
        text_encoder: { inputs: [i32("input_ids", [1, 77])], outputs: [f32("last_hidden_state", [1, 77, D])] },
        unet: {
          inputs: [f32("sample", [1, 2 * C, 8, 8]), f32("timestep", []), f32("encoder_hidden_states", [1, 77, D])],
          outputs: g["unet"]!.outputs,
        },
        vae_decoder: { inputs: [f32("latent_sample", [1, C, 8, 8])], outputs: [f32("sample", [1, 3, 32, 32])] },
      },
    });
    const p = await loadModelPackage(dir);
    assert.equal(p.textEncoder.inputIdsDtype, "int32");
    assert.equal(p.textEncoder.hasPooledOutput, false);
    assert.equal(p.unet.timestepDtype, "float32");
    assert.equal(p.unet.timestepShape, "scalar");
    assert.equal(p.vaeScaleFactor, 4);
    assert.equal(p.resolution, 32); // static UNet height 8 x 4
  });

  test("load inference - timestep [1], latent_parameters, symbolic channels from unet/config.json", async () => {
    const dir = await writeSyntheticPackage(await tempDir("params"), {
      E: null,
      json: { "unet/config.json": { in_channels: 2 * C } },
      graphs: {
        unet: {
          inputs: [f32("sample", ["b", "c", "h", "w"]), i64("timestep", [1]), f32("encoder_hidden_states", ["b", 77, D])],
          outputs: [f32("out_sample", ["b", "c2", "h", "w"])],
        },
        vae_encoder: { inputs: [f32("sample", ["b", 3, "H", "W"])], outputs: [f32("latent_parameters", ["b", 2 * C, "h", "w"])] },
      },
    });
    const p = await loadModelPackage(dir);
    assert.equal(p.unet.timestepShape, "one");
    assert.equal(p.unet.inChannels, 2 * C);
    assert.equal(p.vaeEncoder.output, "latent_parameters");
  });

  test("load inference - text hidden dim falls back to the UNet's cross-attention dim", async () => {
    const dir = await writeSyntheticPackage(await tempDir("hidden"), {
      E: null,
      graphs: { text_encoder: { inputs: [i64("input_ids", ["b", "L"])], outputs: [f32("last_hidden_state", ["b", "L", "D"])] } },
    });
    const p = await loadModelPackage(dir);
    assert.equal(p.textEncoder.hiddenDim, D);
    assert.equal(p.textEncoder.sequenceLength, 77); // tokenizer_config.json model_max_length
  });

  test("load inference - external data files are resolved to absolute paths", async () => {
    const dir = await tempDir("external");
    const g = defaultGraphs(C, D, null, 0);
    await writeSyntheticPackage(dir, {
      E: null,
      graphs: { unet: { ...g["unet"]!, initializers: [{ name: "w", dims: [4], externalLocation: "model.onnx_data" }] } },
      json: { "unet/model.onnx_data": "0123456789abcdef" },
    });
    const p = await loadModelPackage(dir);
    assert.deepEqual(p.unet.externalDataFiles, [join(dir, "unet", "model.onnx_data")]);
  });
});
