// What an edit needs from the model stages, whoever runs them: local sessions in the in-process
// pipeline (@emuedit/stages), gRPC clients of the model services in the gateway.
import type { HostTensor } from "@emuedit/tensors";
import type { Sampling } from "./edit-spec.js";

export interface TextEncoding {
  /** [N,L,D] f32 */
  readonly lastHiddenState: HostTensor;
  /** [N,D] f32, or null when the encoder has no pooled output. */
  readonly pooledOutput: HostTensor | null;
  /** [N,T] f32 task-classifier logits, or null when the package has no classifier. */
  readonly taskLogits: HostTensor | null;
}

/** One denoise call: the conditioning tensors and how to sample. */
export interface DenoiseParams {
  /** [1,C,h,w] f32 posterior mode, unscaled. */
  readonly imageLatent: HostTensor;
  /** [1,L,D] f32 each. */
  readonly textEmbedding: HostTensor;
  readonly uncondEmbedding: HostTensor;
  /** [E] f32, required by Emu-style UNets; null for plain InstructPix2Pix. */
  readonly taskEmbedding: Float32Array | null;
  readonly sampling: Sampling;
  /** Publish every N-th step's latent (and always the last); 0 or 1: every step. */
  readonly previewEvery?: number;
}

export interface EditBackends {
  encodeText(texts: readonly string[], signal: AbortSignal): Promise<TextEncoding>;
  /** uint8 [1,H,W,3] -> f32 [1,C,h,w] unscaled. */
  encodeImage(images: HostTensor, signal: AbortSignal): Promise<HostTensor>;
  /** f32 [1,C,h,w] in the scaled space. `editId` names the edit's latent stream. */
  denoise(editId: string, params: DenoiseParams, signal: AbortSignal): Promise<HostTensor>;
  /**
   * f32 [1,C,h,w] scaled -> uint8 [1,H,W,3]. `source` is the edit's input image (uint8
   * [1,H,W,3]), for a decoder conditioned on it; backends of other decoders need not send it.
   */
  decode(latents: HostTensor, source: HostTensor, signal: AbortSignal): Promise<HostTensor>;
}
