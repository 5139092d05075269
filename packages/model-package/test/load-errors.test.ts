// Deliberately broken packages: each case copies a good package to a temp folder, breaks one
// thing, and asserts the error class and that the message names the file and the problem.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ComponentMismatchError,
  InvalidJsonError,
  MissingFileError,
  ModelPackageError,
  OnnxContractError,
  OnnxParseError,
  TaskTableError,
  UnknownSchedulerError,
  loadModelPackage,
} from "../src/index.js";
import { f32, i64, onnxBytes, type GraphSpec } from "./helpers/onnx-writer.js";
import { breakableCopy } from "./helpers/breakable-copy.js";
import { defaultGraphs } from "./helpers/synthetic-package.js";

type ErrorClass = new (...args: never[]) => ModelPackageError;

/** The intact package's sizes, so graphs written by a case differ from it in one thing only. */
interface Dims {
  C: number;
  D: number;
  E: number;
  T: number;
}

interface Case {
  name: string;
  breakIt: (dir: string, d: Dims) => Promise<unknown>;
  error: ErrorClass;
  /** Path of the file the message must start with, relative to the package. */
  file: string;
  message: (d: Dims) => RegExp;
}

const editJson = async (dir: string, rel: string, edit: (j: Record<string, unknown>) => void) => {
  const path = join(dir, rel);
  const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  edit(json);
  await writeFile(path, JSON.stringify(json));
};
type TaskJson = { id: number; name: string; embedding: number[] };
const editTasks = (edit: (tasks: TaskJson[], table: Record<string, unknown>) => void) => (dir: string) =>
  editJson(dir, "tasks/tasks.json", (j) => edit(j["tasks"] as TaskJson[], j));
const writeGraph = (rel: string, spec: (d: Dims) => GraphSpec) => (dir: string, d: Dims) =>
  writeFile(join(dir, rel), onnxBytes(spec(d)));

const cases: Case[] = [
  {
    name: "a deleted component model",
    breakIt: (dir) => rm(join(dir, "unet/model.onnx")),
    error: MissingFileError,
    file: "unet/model.onnx",
    message: () => /missing \(unet component\)/,
  },
  {
    name: "a deleted model_index.json",
    breakIt: (dir) => rm(join(dir, "model_index.json")),
    error: MissingFileError,
    file: "model_index.json",
    message: () => /missing/,
  },
  {
    name: "a deleted tokenizer merges file",
    breakIt: (dir) => rm(join(dir, "tokenizer/merges.txt")),
    error: MissingFileError,
    file: "tokenizer/merges.txt",
    message: () => /missing \(CLIP BPE merges\)/,
  },
  {
    name: "corrupt scheduler JSON",
    breakIt: (dir) => writeFile(join(dir, "scheduler/scheduler_config.json"), '{"_class_name": '),
    error: InvalidJsonError,
    file: "scheduler/scheduler_config.json",
    message: () => /invalid JSON/,
  },
  {
    name: "an emuedit.json field of the wrong type",
    breakIt: (dir) => editJson(dir, "emuedit.json", (j) => (j["resolution"] = "large")),
    error: InvalidJsonError,
    file: "emuedit.json",
    message: () => /"resolution" must be an integer >= 1, got "large"/,
  },
  {
    name: "an unknown scheduler class",
    breakIt: (dir) => editJson(dir, "scheduler/scheduler_config.json", (j) => (j["_class_name"] = "LCMScheduler")),
    error: UnknownSchedulerError,
    file: "scheduler/scheduler_config.json",
    message: () => /"LCMScheduler" is not a known scheduler/,
  },
  {
    name: "a corrupt ONNX file",
    breakIt: (dir) => writeFile(join(dir, "vae_decoder/model.onnx"), "not a protobuf at all"),
    error: OnnxParseError,
    file: "vae_decoder/model.onnx",
    message: () => /not a readable ONNX model/,
  },
  {
    name: "a UNet without encoder_hidden_states (the VAE decoder in its place)",
    breakIt: (dir) => cp(join(dir, "vae_decoder/model.onnx"), join(dir, "unet/model.onnx")),
    error: OnnxContractError,
    file: "unet/model.onnx",
    // the fixture's decoder also has "source_sample", the synthetic package's does not
    message: () => /input "sample" \[B,2C,h,w\] missing \(inputs: "latent_sample"(, "source_sample")?\)/,
  },
  {
    name: "input_ids of the wrong rank",
    breakIt: writeGraph("text_encoder/model.onnx", (d) => ({
      inputs: [i64("input_ids", ["b", 77, 1])],
      outputs: [f32("last_hidden_state", ["b", 77, d.D])],
    })),
    error: OnnxContractError,
    file: "text_encoder/model.onnx",
    message: () => /input "input_ids" has rank 3 \[b,77,1\], expected 2 \[B,L\]/,
  },
  {
    name: "float input_ids",
    breakIt: writeGraph("text_encoder/model.onnx", (d) => ({
      inputs: [f32("input_ids", ["b", 77])],
      outputs: [f32("last_hidden_state", ["b", 77, d.D])],
    })),
    error: OnnxContractError,
    file: "text_encoder/model.onnx",
    message: () => /input "input_ids" is float32, expected int32 or int64/,
  },
  {
    name: "a VAE encoder without a latent output",
    breakIt: writeGraph("vae_encoder/model.onnx", () => ({ inputs: [f32("sample", ["b", 3, "H", "W"])], outputs: [f32("mean", null)] })),
    error: OnnxContractError,
    file: "vae_encoder/model.onnx",
    message: () => /needs output "latent_sample" \[B,C,h,w\] or "latent_parameters" \[B,2C,h,w\] \(outputs: "mean"\)/,
  },
  {
    name: "UNet in-channels != 2 x VAE latent channels",
    breakIt: writeGraph("vae_decoder/model.onnx", (d) => ({
      inputs: [f32("latent_sample", ["b", d.C + 1, "h", "w"])],
      outputs: [f32("sample", ["b", 3, "H", "W"])],
    })),
    error: ComponentMismatchError,
    file: "unet/model.onnx",
    message: (d) =>
      new RegExp(`UNet in-channels ${2 * d.C} must be 2 x the VAE latent channels, but .*vae_decoder/model\\.onnx "latent_sample" has C = ${d.C + 1}`),
  },
  {
    name: "a decoder's source_sample with 4 channels",
    breakIt: writeGraph("vae_decoder/model.onnx", (d) => ({
      inputs: [f32("latent_sample", ["b", d.C, "h", "w"]), f32("source_sample", ["b", 4, "H", "W"])],
      outputs: [f32("sample", ["b", 3, "H", "W"])],
    })),
    error: OnnxContractError,
    file: "vae_decoder/model.onnx",
    message: () => /input "source_sample" \[b,4,H,W\] axis 1 is 4, expected 3 \(RGB\)/,
  },
  {
    name: "a decoder input the contract does not know",
    breakIt: writeGraph("vae_decoder/model.onnx", (d) => ({
      inputs: [f32("latent_sample", ["b", d.C, "h", "w"]), f32("mask", ["b", 1, "H", "W"])],
      outputs: [f32("sample", ["b", 3, "H", "W"])],
    })),
    error: OnnxContractError,
    file: "vae_decoder/model.onnx",
    message: () => /unexpected input\(s\) "mask"; the contract allows "latent_sample", "source_sample"/,
  },
  {
    name: "text hidden dim != UNet cross-attention dim",
    breakIt: writeGraph("text_encoder/model.onnx", (d) => ({
      inputs: [i64("input_ids", ["b", 77])],
      outputs: [f32("last_hidden_state", ["b", 77, d.D + 16]), f32("pooler_output", ["b", d.D + 16])],
    })),
    error: ComponentMismatchError,
    file: "unet/model.onnx",
    message: (d) => new RegExp(`"encoder_hidden_states" dim ${d.D} != text encoder hidden dim ${d.D + 16}`),
  },
  {
    name: "task table dim != UNet task_embedding dim",
    breakIt: (dir, d) => editTasks((tasks, table) => {
      table["embedding_dim"] = d.E + 1;
      for (const t of tasks) t.embedding.push(0);
    })(dir),
    error: ComponentMismatchError,
    file: "tasks/tasks.json",
    message: (d) => new RegExp(`task embeddings have dim ${d.E + 1}, the UNet's "task_embedding" takes ${d.E}`),
  },
  {
    name: "emuedit.json task_embedding_dim != UNet's",
    breakIt: (dir, d) => editJson(dir, "emuedit.json", (j) => (j["task_embedding_dim"] = 2 * d.E)),
    error: ComponentMismatchError,
    file: "emuedit.json",
    message: (d) => new RegExp(`"task_embedding_dim" ${2 * d.E} != UNet "task_embedding" dim ${d.E}`),
  },
  {
    name: "task ids out of order",
    breakIt: editTasks((tasks) => {
      tasks[1]!.id = 2;
      tasks[2]!.id = 1;
    }),
    error: TaskTableError,
    file: "tasks/tasks.json",
    message: () => /tasks\[1\]\.id must be 1 \(ids are 0\.\.T-1 in order\), got 2/,
  },
  {
    name: "a task embedding of the wrong length",
    breakIt: editTasks((tasks) => tasks[2]!.embedding.pop()),
    error: TaskTableError,
    file: "tasks/tasks.json",
    message: (d) => new RegExp(`tasks\\[2\\]\\.embedding has ${d.E - 1} values, embedding_dim is ${d.E}`),
  },
  {
    name: "duplicate task names",
    breakIt: editTasks((tasks) => (tasks[2]!.name = tasks[0]!.name)),
    error: TaskTableError,
    file: "tasks/tasks.json",
    message: () => /tasks\[2\]\.name "[^"]+" duplicates tasks\[0\]\.name/,
  },
  {
    name: "a task classifier with T != number of tasks",
    breakIt: editTasks((tasks) => tasks.pop()),
    error: ComponentMismatchError,
    file: "task_classifier/model.onnx",
    message: (d) => new RegExp(`"logits" has T = ${d.T} classes but .*tasks\\.json has ${d.T - 1} tasks`),
  },
  {
    name: "a UNet with task_embedding but no task table",
    breakIt: async (dir) => {
      await rm(join(dir, "tasks"), { recursive: true });
      await rm(join(dir, "task_classifier"), { recursive: true });
      await rm(join(dir, "emuedit.json"));
    },
    error: ComponentMismatchError,
    file: "unet/model.onnx",
    message: () => /has a "task_embedding" input but the package has no task table/,
  },
  {
    name: "a missing external data file",
    breakIt: writeGraph("unet/model.onnx", (d) => ({
      ...defaultGraphs(d.C, d.D, d.E, d.T)["unet"]!,
      initializers: [{ name: "conv.weight", dims: [4], externalLocation: "model.onnx_data" }],
    })),
    error: MissingFileError,
    file: "unet/model.onnx_data",
    message: () => /missing \(external weights referenced by .*unet\/model\.onnx\)/,
  },
  {
    name: "emuedit.json naming a missing task classifier",
    breakIt: (dir) => rm(join(dir, "task_classifier/model.onnx")),
    error: MissingFileError,
    file: "task_classifier/model.onnx",
    message: () => /missing \(task classifier, named by emuedit\.json "task_classifier"\)/,
  },
];

describe("load errors", () => {
  for (const source of ["fixture", "synthetic"] as const) {
    for (const c of cases) {
      test(`load errors - ${c.name} (${source})`, async () => {
        const { dir, dims } = await breakableCopy(source);
        await c.breakIt(dir, dims);
        await assert.rejects(loadModelPackage(dir), (e: Error) => {
          assert.ok(e instanceof c.error, `expected ${c.error.name}, got ${e.name}: ${e.message}`);
          assert.ok(e instanceof ModelPackageError);
          assert.equal(e.name, c.error.name);
          assert.equal((e as ModelPackageError).file, join(dir, c.file));
          assert.ok(e.message.startsWith(`${join(dir, c.file)}: `), e.message);
          assert.match(e.message, c.message(dims));
          return true;
        });
      });
    }
  }

  test("load errors - a folder that does not exist", async () => {
    await assert.rejects(loadModelPackage("/nonexistent/package"), (e: Error) => {
      assert.ok(e instanceof MissingFileError);
      assert.match(e.message, /^\/nonexistent\/package: model package folder does not exist$/);
      return true;
    });
  });
});
