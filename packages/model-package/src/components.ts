// Per-component contract checks and the facts read from each graph. Cross-component checks
// (channels, hidden dims, task dims) live in load-model-package.ts, which sees all of them.
import { dirname, resolve } from "node:path";
import { InvalidJsonError, MissingFileError, OnnxContractError } from "./errors.js";
import { JsonFields, fileExists } from "./json-files.js";
import { checkValue, expectDim, findValue, rejectExtraInputs, requireValue, staticDim } from "./onnx-contract.js";
import type { OnnxMetadata } from "./onnx-metadata.js";
import type {
  OnnxComponent,
  TaskClassifierComponent,
  TextEncoderComponent,
  UnetComponent,
  VaeDecoderComponent,
  VaeEncoderComponent,
} from "./types.js";

const F32 = ["float32"] as const;

/** Base record: I/O lists and absolute external data paths (each checked to exist). */
export async function onnxComponent(meta: OnnxMetadata): Promise<OnnxComponent> {
  const externalDataFiles: string[] = [];
  for (const rel of meta.externalDataFiles) {
    const abs = resolve(dirname(meta.path), rel);
    if (!(await fileExists(abs))) {
      throw new MissingFileError(abs, `missing (external weights referenced by ${meta.path})`);
    }
    externalDataFiles.push(abs);
  }
  return { path: meta.path, inputs: meta.inputs, outputs: meta.outputs, externalDataFiles };
}

/**
 * text_encoder: input_ids [B,L] int32|int64 -> last_hidden_state [B,L,D] (+ pooler_output [B,D]).
 * `tokenizerConfig` supplies L (model_max_length) and `config` (text_encoder/config.json,
 * hidden_size) supplies D when the graph leaves them symbolic; `unetHiddenDim` is the last resort.
 */
export async function inspectTextEncoder(
  meta: OnnxMetadata,
  tokenizerConfig: JsonFields,
  config: JsonFields | null,
  unetHiddenDim: number | null,
): Promise<TextEncoderComponent> {
  const ids = requireValue(meta, "input", "input_ids", "[B,L]", ["int32", "int64"]);
  const hidden = requireValue(meta, "output", "last_hidden_state", "[B,L,D]", F32);
  const pooled = findValue(meta, "output", "pooler_output");
  if (pooled !== null) checkValue(meta, "output", pooled, "[B,D]", F32);
  rejectExtraInputs(meta, ["input_ids"]);

  const sequenceLength = staticDim(ids, 1) ?? tokenizerConfig.count("model_max_length");
  if (sequenceLength === undefined) {
    throw new InvalidJsonError(
      tokenizerConfig.file,
      `"model_max_length" is needed: ${meta.path} input "input_ids" has a symbolic length`,
    );
  }
  expectDim(meta, "output", hidden, 1, sequenceLength, "sequence length of input_ids");
  const hiddenDim = staticDim(hidden, 2) ?? (pooled && staticDim(pooled, 1)) ?? config?.count("hidden_size") ?? unetHiddenDim;
  if (hiddenDim === null || hiddenDim === undefined) {
    throw new OnnxContractError(
      meta.path,
      `cannot tell the hidden dim D: "last_hidden_state" is symbolic, and neither text_encoder/config.json "hidden_size" nor the UNet's "encoder_hidden_states" states it`,
    );
  }
  return {
    ...(await onnxComponent(meta)),
    inputIdsDtype: ids.dtype as "int32" | "int64",
    sequenceLength,
    hiddenDim,
    hasPooledOutput: pooled !== null,
  };
}

export interface UnetFacts {
  /** Everything but taskEmbeddingDim, which the loader settles with emuedit.json and tasks.json. */
  readonly component: Omit<UnetComponent, "taskEmbeddingDim">;
  readonly hasTaskEmbedding: boolean;
  /** E of task_embedding when static. */
  readonly taskEmbeddingDim: number | null;
  /** D of encoder_hidden_states when static (the cross-attention dim). */
  readonly crossAttentionDim: number | null;
}

/**
 * unet: sample [B,2C,h,w] f32, timestep [B]|[1]|[] f32|int64, encoder_hidden_states [B,L,D] f32,
 * optional task_embedding [B,E] f32 -> out_sample [B,C,h,w] f32. `config` is unet/config.json
 * (in_channels) for graphs with a symbolic channel axis.
 */
export async function inspectUnet(meta: OnnxMetadata, config: JsonFields | null): Promise<UnetFacts> {
  const sample = requireValue(meta, "input", "sample", "[B,2C,h,w]", F32);
  // Exports differ: [B] (diffusers), [1] or a scalar []; all three are accepted.
  const scalar = findValue(meta, "input", "timestep")?.dims?.length === 0;
  const timestep = requireValue(meta, "input", "timestep", scalar ? "[]" : "[B] (or [1] or [])", ["float32", "int64"]);
  const ehs = requireValue(meta, "input", "encoder_hidden_states", "[B,L,D]", F32);
  const task = findValue(meta, "input", "task_embedding");
  if (task !== null) checkValue(meta, "input", task, "[B,E]", F32);
  const out = requireValue(meta, "output", "out_sample", "[B,C,h,w]", F32);
  rejectExtraInputs(meta, ["sample", "timestep", "encoder_hidden_states", "task_embedding"]);

  const inChannels = staticDim(sample, 1) ?? config?.count("in_channels");
  if (inChannels === undefined) {
    throw new OnnxContractError(meta.path, `input "sample" has a symbolic channel axis and unet/config.json states no "in_channels"`);
  }
  if (inChannels % 2 !== 0) {
    throw new OnnxContractError(meta.path, `input "sample" has ${inChannels} channels; expected an even 2C (noisy latent ++ image latent)`);
  }
  const latentChannels = inChannels / 2;
  expectDim(meta, "output", out, 1, latentChannels, "C = half the input channels");
  return {
    component: {
      ...(await onnxComponent(meta)),
      inChannels,
      latentChannels,
      timestepDtype: timestep.dtype as "float32" | "int64",
      timestepShape: timestepShape(meta, timestep.dims),
    },
    hasTaskEmbedding: task !== null,
    taskEmbeddingDim: task === null ? null : staticDim(task, 1),
    crossAttentionDim: staticDim(ehs, 2),
  };
}

function timestepShape(meta: OnnxMetadata, dims: OnnxMetadata["inputs"][number]["dims"]): UnetComponent["timestepShape"] {
  // A graph without a declared shape gets the contract's [B].
  if (dims === null) return "batch";
  if (dims.length === 0) return "scalar";
  if (dims[0] === 1) return "one";
  if (typeof dims[0] === "number") {
    throw new OnnxContractError(meta.path, `input "timestep" has static length ${dims[0]}; expected [B], [1] or []`);
  }
  return "batch";
}

export interface VaeEncoderFacts {
  readonly component: VaeEncoderComponent;
  /** C as the encoder states it (half of latent_parameters' channels), when static. */
  readonly latentChannels: number | null;
}

/**
 * vae_encoder: sample [B,3,H,W] f32 -> latent_sample [B,C,h,w] | latent_parameters [B,2C,h,w].
 * C is compared with the UNet's by the loader.
 */
export async function inspectVaeEncoder(meta: OnnxMetadata): Promise<VaeEncoderFacts> {
  const sample = requireValue(meta, "input", "sample", "[B,3,H,W]", F32);
  expectDim(meta, "input", sample, 1, 3, "RGB");
  rejectExtraInputs(meta, ["sample"]);
  const mode = findValue(meta, "output", "latent_sample");
  const params = findValue(meta, "output", "latent_parameters");
  const out = mode ?? params;
  if (out === null) {
    const have = meta.outputs.map((v) => `"${v.name}"`).join(", ");
    throw new OnnxContractError(meta.path, `needs output "latent_sample" [B,C,h,w] or "latent_parameters" [B,2C,h,w] (outputs: ${have})`);
  }
  checkValue(meta, "output", out, "[B,C,h,w]", F32);
  const channels = staticDim(out, 1);
  if (out === params && channels !== null && channels % 2 !== 0) {
    throw new OnnxContractError(meta.path, `output "latent_parameters" has ${channels} channels; expected an even 2C (mean ++ logvar)`);
  }
  return {
    component: { ...(await onnxComponent(meta)), output: out === mode ? "latent_sample" : "latent_parameters" },
    latentChannels: channels === null ? null : out === mode ? channels : channels / 2,
  };
}

export interface VaeDecoderFacts {
  readonly component: VaeDecoderComponent;
  /** C of latent_sample, when static. */
  readonly latentChannels: number | null;
  /** H / h when both the latent and the image axes are static and divide evenly. */
  readonly scaleFactor: number | null;
}

/**
 * vae_decoder: latent_sample [B,C,h,w] f32 (+ optional source_sample [B,3,H,W] f32, the edit's
 * source image) -> sample [B,3,H,W] f32.
 */
export async function inspectVaeDecoder(meta: OnnxMetadata): Promise<VaeDecoderFacts> {
  const latent = requireValue(meta, "input", "latent_sample", "[B,C,h,w]", F32);
  const source = findValue(meta, "input", "source_sample");
  if (source !== null) {
    checkValue(meta, "input", source, "[B,3,H,W]", F32);
    expectDim(meta, "input", source, 1, 3, "RGB");
  }
  const sample = requireValue(meta, "output", "sample", "[B,3,H,W]", F32);
  expectDim(meta, "output", sample, 1, 3, "RGB");
  rejectExtraInputs(meta, ["latent_sample", "source_sample"]);
  const [h, w, H, W] = [staticDim(latent, 2), staticDim(latent, 3), staticDim(sample, 2), staticDim(sample, 3)];
  let scaleFactor: number | null = null;
  if (h !== null && H !== null && H % h === 0) scaleFactor = H / h;
  else if (w !== null && W !== null && W % w === 0) scaleFactor = W / w;
  return {
    component: { ...(await onnxComponent(meta)), takesSource: source !== null },
    latentChannels: staticDim(latent, 1),
    scaleFactor,
  };
}

/** task_classifier: pooled_output [B,D] f32 -> logits [B,T] f32; T defaults to the table size. */
export async function inspectTaskClassifier(
  meta: OnnxMetadata,
  hiddenDim: number,
  numTasks: number,
): Promise<TaskClassifierComponent> {
  const pooled = requireValue(meta, "input", "pooled_output", "[B,D]", F32);
  expectDim(meta, "input", pooled, 1, hiddenDim, "D = text encoder hidden dim");
  const logits = requireValue(meta, "output", "logits", "[B,T]", F32);
  rejectExtraInputs(meta, ["pooled_output"]);
  return { ...(await onnxComponent(meta)), numTasks: staticDim(logits, 1) ?? numTasks };
}
