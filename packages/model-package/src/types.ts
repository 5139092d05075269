// The loaded, checked description of a model package (docs/model-package.md).
// Every path is absolute. Nothing here holds weights or an onnxruntime session.
import type { OnnxValueInfo } from "./onnx-metadata.js";

export const PackageKind = { emuEdit: "emu-edit", instructPix2Pix: "instruct-pix2pix" } as const;
export type PackageKind = (typeof PackageKind)[keyof typeof PackageKind];

export const TaskGroup = { region: "region", freeform: "freeform", vision: "vision" } as const;
export type TaskGroup = (typeof TaskGroup)[keyof typeof TaskGroup];

/** Graph I/O of one ONNX component plus the external data files it needs (absolute paths). */
export interface OnnxComponent {
  /** Absolute path of model.onnx. */
  readonly path: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Absolute paths of external weight files (e.g. model.onnx_data); checked to exist. */
  readonly externalDataFiles: readonly string[];
}

export interface TextEncoderComponent extends OnnxComponent {
  /** Element type the graph wants for input_ids [B, sequenceLength]. */
  readonly inputIdsDtype: "int32" | "int64";
  /** Token count per prompt (77 for CLIP): static dim of input_ids, else tokenizer model_max_length. */
  readonly sequenceLength: number;
  /** D of last_hidden_state [B, L, D] (= the UNet's cross-attention dim). */
  readonly hiddenDim: number;
  /** Whether the graph also outputs pooler_output [B, D] (needed by the task classifier). */
  readonly hasPooledOutput: boolean;
}

export interface UnetComponent extends OnnxComponent {
  /** 2C: noisy latent channels ++ image latent channels (input `sample` [B, 2C, h, w]). */
  readonly inChannels: number;
  /** C: channels of out_sample and of a VAE latent. */
  readonly latentChannels: number;
  readonly timestepDtype: "float32" | "int64";
  /** "batch": [B]; "one": [1] (same timestep for every row); "scalar": []. */
  readonly timestepShape: "batch" | "one" | "scalar";
  /** E of the `task_embedding` [B, E] input; null for plain InstructPix2Pix UNets. */
  readonly taskEmbeddingDim: number | null;
}

export interface VaeEncoderComponent extends OnnxComponent {
  /**
   * "latent_sample": [B, C, h, w] posterior mode. "latent_parameters": [B, 2C, h, w] = mean ++
   * logvar; the conditioning latent is the first C channels (the mean = the mode).
   */
  readonly output: "latent_sample" | "latent_parameters";
}

export interface VaeDecoderComponent extends OnnxComponent {
  /**
   * Whether the graph also takes `source_sample` [B,3,H,W] (the edit's source image, in the
   * encoder's `sample` format): a decoder conditioned on the image being edited. Plain diffusers
   * exports do not; the default emu-edit-tiny does.
   */
  readonly takesSource: boolean;
}

export interface TaskClassifierComponent extends OnnxComponent {
  /** T: logits [B, T], index = task id. */
  readonly numTasks: number;
}

export interface TaskEntry {
  /** 0..T-1 in table order; the task classifier's logit index. */
  readonly id: number;
  /** Unique name, e.g. "add", "remove", "style". */
  readonly name: string;
  readonly group: TaskGroup;
  readonly description: string;
  /** Example instructions (used by task inversion and the web UI). */
  readonly examples: readonly string[];
  /** The learned task embedding, length = UNet task_embedding dim E. */
  readonly embedding: Float32Array;
}

export interface TokenizerFiles {
  /** tokenizer/vocab.json */
  readonly vocabPath: string;
  /** tokenizer/merges.txt */
  readonly mergesPath: string;
  /** Parsed tokenizer/tokenizer_config.json (pad token, model_max_length, do_lower_case...). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Parsed tokenizer/special_tokens_map.json, or null when the package has none. */
  readonly specialTokensMap: Readonly<Record<string, unknown>> | null;
}

export interface ModelPackage {
  /** Absolute path of the package folder. */
  readonly dir: string;
  /** emuedit.json "name", else the folder's basename. */
  readonly name: string;
  /** "emu-edit" when the UNet takes a task embedding, else "instruct-pix2pix". */
  readonly kind: PackageKind;
  /** Square pixel size the model was trained at (see README: where it comes from). */
  readonly resolution: number;
  /** latents_scaled = latent * scalingFactor; decode latents_scaled / scalingFactor. */
  readonly scalingFactor: number;
  /** Defaults for an edit request that leaves them unset. */
  readonly defaults: {
    readonly steps: number;
    readonly guidanceScale: number;
    readonly imageGuidanceScale: number;
  };
  /** Parsed scheduler/scheduler_config.json; `_class_name` is a known scheduler. */
  readonly schedulerConfig: Readonly<Record<string, unknown>>;
  /**
   * The most denoising steps an edit may ask for: the scheduler's `num_train_timesteps` (1000 when
   * absent). Services cap EMUEDIT_MAX_STEPS at it, so more is a 400, not a failure in the loop.
   */
  readonly maxSteps: number;
  readonly tokenizer: TokenizerFiles;
  readonly textEncoder: TextEncoderComponent;
  readonly unet: UnetComponent;
  readonly vaeEncoder: VaeEncoderComponent;
  readonly vaeDecoder: VaeDecoderComponent;
  /** Pixels per latent cell along each axis (8 for Stable Diffusion VAEs). */
  readonly vaeScaleFactor: number;
  /** The task table in id order; [] when the package has none. */
  readonly tasks: readonly TaskEntry[];
  readonly taskClassifier: TaskClassifierComponent | null;
  /** Values that were not stated by the package and were defaulted or inferred, one line each. */
  readonly notes: readonly string[];
}

export interface LoadModelPackageOptions {
  /**
   * Scheduler `_class_name`s accepted in scheduler_config.json. Defaults to KNOWN_SCHEDULERS (the
   * ones packages/diffusion implements).
   */
  readonly knownSchedulers?: readonly string[];
}
