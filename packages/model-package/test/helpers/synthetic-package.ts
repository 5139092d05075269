// A complete model package of graph-only ONNX files (see onnx-writer.ts) in a temp folder, with
// knobs for every metadata variant the loader infers. Sizes follow the contract's symbols:
// C latent channels, D text hidden dim, E task embedding dim, T tasks, L = 77 tokens.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { f32, i64, onnxBytes, type GraphSpec } from "./onnx-writer.js";

export interface SyntheticOptions {
  C?: number;
  D?: number;
  /** null: a plain InstructPix2Pix package (no task_embedding, no tasks, no emuedit.json). */
  E?: number | null;
  T?: number;
  /** Replace one component's graph. */
  graphs?: Partial<Record<"text_encoder" | "unet" | "vae_encoder" | "vae_decoder" | "task_classifier", GraphSpec>>;
  /** Replace/extra JSON files, path -> value (undefined deletes the default one). */
  json?: Record<string, unknown>;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `emuedit-${prefix}-`));
}

export function defaultGraphs(C: number, D: number, E: number | null, T: number): Record<string, GraphSpec> {
  const graphs: Record<string, GraphSpec> = {
    text_encoder: {
      inputs: [i64("input_ids", ["batch", 77])],
      outputs: [f32("last_hidden_state", ["batch", 77, D]), f32("pooler_output", ["batch", D])],
    },
    unet: {
      inputs: [
        f32("sample", ["batch", 2 * C, "height", "width"]),
        i64("timestep", ["batch"]),
        f32("encoder_hidden_states", ["batch", 77, D]),
        ...(E === null ? [] : [f32("task_embedding", ["batch", E])]),
      ],
      outputs: [f32("out_sample", ["batch", C, "height", "width"])],
    },
    vae_encoder: {
      inputs: [f32("sample", ["batch", 3, "H", "W"])],
      outputs: [f32("latent_sample", ["batch", C, "h", "w"])],
    },
    vae_decoder: {
      inputs: [f32("latent_sample", ["batch", C, "h", "w"])],
      outputs: [f32("sample", ["batch", 3, "H", "W"])],
    },
  };
  if (E !== null) {
    graphs["task_classifier"] = { inputs: [f32("pooled_output", ["batch", D])], outputs: [f32("logits", ["batch", T])] };
  }
  return graphs;
}

export function taskTable(E: number, T: number): unknown {
  const groups = ["region", "freeform", "vision"];
  return {
    embedding_dim: E,
    tasks: Array.from({ length: T }, (_, id) => ({
      id,
      name: `task-${id}`,
      group: groups[id % 3],
      description: `task number ${id}`,
      examples: [`do thing ${id}`],
      embedding: Array.from({ length: E }, (_, k) => (id + 1) * 0.01 * (k + 1)),
    })),
  };
}

export async function writeSyntheticPackage(dir: string, opts: SyntheticOptions = {}): Promise<string> {
  const { C = 4, D = 32, T = 3 } = opts;
  const E = opts.E === undefined ? 8 : opts.E;
  const json: Record<string, unknown> = {
    "model_index.json": {
      _class_name: E === null ? "StableDiffusionInstructPix2PixPipeline" : "EmuEditPipeline",
      _diffusers_version: "0.30.0",
      scheduler: ["diffusers", "EulerAncestralDiscreteScheduler"],
    },
    "scheduler/scheduler_config.json": {
      _class_name: "EulerAncestralDiscreteScheduler",
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: "scaled_linear",
    },
    "tokenizer/vocab.json": { "<|startoftext|>": 0, "<|endoftext|>": 1 },
    "tokenizer/tokenizer_config.json": { model_max_length: 77, pad_token: "<|endoftext|>", do_lower_case: true },
    ...(E === null
      ? {}
      : {
          "emuedit.json": {
            name: "synthetic-emu",
            resolution: 64,
            vae_scaling_factor: 0.9,
            task_embedding_dim: E,
            default_steps: 20,
            default_guidance_scale: 2.5,
            default_image_guidance_scale: 1.5,
            tasks: "tasks/tasks.json",
            task_classifier: "task_classifier/model.onnx",
          },
          "tasks/tasks.json": taskTable(E, T),
        }),
    ...opts.json,
  };
  for (const [rel, value] of Object.entries(json)) {
    if (value === undefined) continue;
    await put(dir, rel, typeof value === "string" ? value : JSON.stringify(value, null, 1));
  }
  await put(dir, "tokenizer/merges.txt", "#version: 0.2\n");
  const graphs = { ...defaultGraphs(C, D, E, T), ...opts.graphs };
  for (const [name, spec] of Object.entries(graphs)) await put(dir, `${name}/model.onnx`, onnxBytes(spec));
  return dir;
}

async function put(dir: string, rel: string, data: string | Uint8Array): Promise<void> {
  const path = join(dir, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}
