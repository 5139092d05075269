// loadModelPackage: find every component of a model package, read its settings and graph I/O,
// and check the contract before any service spends time loading weights.
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  inspectTaskClassifier,
  inspectTextEncoder,
  inspectUnet,
  inspectVaeDecoder,
  inspectVaeEncoder,
} from "./components.js";
import { ComponentMismatchError, InvalidJsonError, MissingFileError, UnknownSchedulerError } from "./errors.js";
import { JsonFields, fileExists, readJsonObject, readOptionalJsonObject, requireFile } from "./json-files.js";
import { readOnnxMetadata } from "./onnx-metadata.js";
import {
  editDefaults,
  packageName,
  resolution,
  scalingFactor,
  vaeScaleFactor,
  type ComponentConfigs,
} from "./package-settings.js";
import { readTaskTable, type TaskTable } from "./task-table.js";
import { PackageKind, type LoadModelPackageOptions, type ModelPackage, type TokenizerFiles } from "./types.js";

/** Scheduler classes a package may name (docs/model-package.md). */
export const KNOWN_SCHEDULERS: readonly string[] = [
  "EulerAncestralDiscreteScheduler",
  "EulerDiscreteScheduler",
  "DDIMScheduler",
  "DPMSolverMultistepScheduler",
];

export async function loadModelPackage(dir: string, opts: LoadModelPackageOptions = {}): Promise<ModelPackage> {
  const root = resolve(dir);
  const at = (...parts: string[]) => join(root, ...parts);
  const notes: string[] = [];

  // 0. The folder exists.
  const isDir = await stat(root).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new MissingFileError(root, "model package folder does not exist");

  // 1. Index and Emu Edit settings.
  const indexFile = at("model_index.json");
  const index = new JsonFields(indexFile, await readJsonObject(indexFile, "diffusers model index"));
  const pipelineClass = index.string("_class_name");
  if (pipelineClass === undefined) throw new InvalidJsonError(indexFile, `"_class_name" is missing`);
  const emuFile = at("emuedit.json");
  const emuJson = await readOptionalJsonObject(emuFile, "Emu Edit settings");
  const emu = emuJson === null ? null : new JsonFields(emuFile, emuJson);

  // 2. Scheduler.
  const schedulerFile = at("scheduler", "scheduler_config.json");
  const schedulerConfig = await readJsonObject(schedulerFile, "scheduler config");
  const schedulerFields = new JsonFields(schedulerFile, schedulerConfig);
  const schedulerClass = schedulerFields.string("_class_name");
  // diffusers' default; the schedulers cannot take more inference steps than training timesteps.
  const maxSteps = schedulerFields.count("num_train_timesteps") ?? 1000;
  const known = opts.knownSchedulers ?? KNOWN_SCHEDULERS;
  if (schedulerClass === undefined || !known.includes(schedulerClass)) {
    throw new UnknownSchedulerError(
      schedulerFile,
      `"_class_name" ${JSON.stringify(schedulerClass ?? null)} is not a known scheduler (${known.join(", ")})`,
    );
  }

  // 3. Tokenizer files.
  const tokenizerDir = at("tokenizer");
  const tokenizer = await readTokenizer(tokenizerDir);

  // 4. Task table and classifier locations (emuedit.json names them; else the default places).
  const tasksFile = await optionalPath(root, emu, "tasks", at("tasks", "tasks.json"), "task table");
  const classifierFile = await optionalPath(root, emu, "task_classifier", at("task_classifier", "model.onnx"), "task classifier");
  const table: TaskTable | null = tasksFile === null ? null : await readTaskTable(tasksFile);

  // 5. Graph metadata of every component, and the configs diffusers/optimum save beside them.
  const onnxPath = async (name: string) => requireFile(at(name, "model.onnx"), `${name} component`);
  const [textMeta, unetMeta, encMeta, decMeta, clsMeta] = await Promise.all([
    onnxPath("text_encoder").then(readOnnxMetadata),
    onnxPath("unet").then(readOnnxMetadata),
    onnxPath("vae_encoder").then(readOnnxMetadata),
    onnxPath("vae_decoder").then(readOnnxMetadata),
    classifierFile === null ? null : readOnnxMetadata(classifierFile),
  ]);
  const config = async (name: string) => {
    const file = at(name, "config.json");
    const obj = await readOptionalJsonObject(file, `${name} config`);
    return obj === null ? null : new JsonFields(file, obj);
  };
  const configs: ComponentConfigs = { unet: await config("unet"), vaeEncoder: await config("vae_encoder"), vaeDecoder: await config("vae_decoder") };

  // 6. Per-component contract checks.
  const unet = await inspectUnet(unetMeta, configs.unet);
  const textEncoder = await inspectTextEncoder(
    textMeta,
    new JsonFields(join(tokenizerDir, "tokenizer_config.json"), { ...tokenizer.config }),
    await config("text_encoder"),
    unet.crossAttentionDim,
  );
  const vaeEncoder = await inspectVaeEncoder(encMeta);
  const vaeDecoder = await inspectVaeDecoder(decMeta);

  // 7. Cross-component checks: channels, cross-attention dim, task embedding dim, classifier.
  const C = unet.component.latentChannels;
  for (const [facts, meta, what] of [
    [vaeEncoder, encMeta, vaeEncoder.component.output],
    [vaeDecoder, decMeta, "latent_sample"],
  ] as const) {
    if (facts.latentChannels !== null && facts.latentChannels !== C) {
      throw new ComponentMismatchError(
        unetMeta.path,
        `UNet in-channels ${unet.component.inChannels} must be 2 x the VAE latent channels, but ${meta.path} "${what}" has C = ${facts.latentChannels}`,
      );
    }
  }
  if (unet.crossAttentionDim !== null && unet.crossAttentionDim !== textEncoder.hiddenDim) {
    throw new ComponentMismatchError(
      unetMeta.path,
      `"encoder_hidden_states" dim ${unet.crossAttentionDim} != text encoder hidden dim ${textEncoder.hiddenDim} (${textMeta.path})`,
    );
  }
  const taskEmbeddingDim = settleTaskDim(unetMeta.path, unet, emu, table, tasksFile);
  const tasks = table?.tasks ?? [];
  let taskClassifier = null;
  if (clsMeta !== null) {
    if (tasks.length === 0) throw new ComponentMismatchError(clsMeta.path, "task classifier present but the package has no task table");
    if (!textEncoder.hasPooledOutput) {
      throw new ComponentMismatchError(textMeta.path, `no "pooler_output" output, which the task classifier (${clsMeta.path}) needs`);
    }
    taskClassifier = await inspectTaskClassifier(clsMeta, textEncoder.hiddenDim, tasks.length);
    if (taskClassifier.numTasks !== tasks.length) {
      throw new ComponentMismatchError(
        clsMeta.path,
        `"logits" has T = ${taskClassifier.numTasks} classes but ${tasksFile} has ${tasks.length} tasks`,
      );
    }
  }
  if (pipelineClass === "EmuEditPipeline" && taskEmbeddingDim === null) {
    throw new ComponentMismatchError(indexFile, `"_class_name" is EmuEditPipeline but ${unetMeta.path} has no "task_embedding" input`);
  }

  // 8. Numbers the services need that the graphs may leave symbolic.
  const scale = vaeScaleFactor(notes, emu, vaeDecoder.scaleFactor, configs);
  const sampleHeight = unetMeta.inputs.find((v) => v.name === "sample")?.dims?.[2];
  return {
    dir: root,
    name: packageName(root, emu),
    kind: taskEmbeddingDim === null ? PackageKind.instructPix2Pix : PackageKind.emuEdit,
    resolution: resolution(notes, emu, configs, typeof sampleHeight === "number" ? sampleHeight : null, scale),
    scalingFactor: scalingFactor(notes, emu, configs),
    defaults: editDefaults(notes, emu),
    schedulerConfig,
    maxSteps,
    tokenizer,
    textEncoder,
    unet: { ...unet.component, taskEmbeddingDim },
    vaeEncoder: vaeEncoder.component,
    vaeDecoder: vaeDecoder.component,
    vaeScaleFactor: scale,
    tasks,
    taskClassifier,
    notes,
  };
}

/** E must agree between the UNet graph, emuedit.json and tasks.json wherever each states it. */
function settleTaskDim(
  unetPath: string,
  unet: { hasTaskEmbedding: boolean; taskEmbeddingDim: number | null },
  emu: JsonFields | null,
  table: TaskTable | null,
  tasksFile: string | null,
): number | null {
  const declared = emu?.count("task_embedding_dim");
  if (!unet.hasTaskEmbedding) {
    if (table !== null) throw new ComponentMismatchError(unetPath, `no "task_embedding" input, but the package has a task table (${tasksFile})`);
    return null;
  }
  if (table === null || tasksFile === null) {
    throw new ComponentMismatchError(unetPath, `has a "task_embedding" input but the package has no task table (tasks/tasks.json)`);
  }
  const E = unet.taskEmbeddingDim ?? declared ?? table.embeddingDim;
  if (emu !== null && declared !== undefined && declared !== E) {
    throw new ComponentMismatchError(emu.file, `"task_embedding_dim" ${declared} != UNet "task_embedding" dim ${E} (${unetPath})`);
  }
  if (table.embeddingDim !== E) {
    throw new ComponentMismatchError(tasksFile, `task embeddings have dim ${table.embeddingDim}, the UNet's "task_embedding" takes ${E} (${unetPath})`);
  }
  return E;
}

/** A component path from emuedit.json (must exist) or the default place (used when it exists). */
async function optionalPath(
  root: string,
  emu: JsonFields | null,
  key: string,
  fallback: string,
  what: string,
): Promise<string | null> {
  const named = emu?.string(key);
  if (named !== undefined) return requireFile(resolve(root, named), `${what}, named by emuedit.json "${key}"`);
  return (await fileExists(fallback)) ? fallback : null;
}

async function readTokenizer(dir: string): Promise<TokenizerFiles> {
  return {
    vocabPath: await requireFile(join(dir, "vocab.json"), "CLIP BPE vocabulary"),
    mergesPath: await requireFile(join(dir, "merges.txt"), "CLIP BPE merges"),
    config: await readJsonObject(join(dir, "tokenizer_config.json"), "tokenizer config"),
    specialTokensMap: await readOptionalJsonObject(join(dir, "special_tokens_map.json"), "special tokens map"),
  };
}
