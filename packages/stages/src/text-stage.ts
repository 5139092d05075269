// Instruction -> embeddings (+ task logits): tokenizer, text encoder and the optional task
// classifier of one model package. The text-encoder service and the in-process pipeline both
// run exactly this.
import { ModelOutputError, type TextEncoding } from "@emuedit/edit-contract";
import type { ModelPackage } from "@emuedit/model-package";
import type { HostTensor } from "@emuedit/tensors";
import { ClipTokenizer } from "@emuedit/tokenizer";
import type { OnnxRunner } from "./unet-runner.js";

export interface TextStage {
  readonly seqLen: number;
  readonly hiddenDim: number;
  encode(texts: readonly string[], signal?: AbortSignal): Promise<TextEncoding>;
}

export function createTextStage(
  pkg: ModelPackage,
  runners: { textEncoder: OnnxRunner; taskClassifier: OnnxRunner | null },
): TextStage {
  const tokenizer = ClipTokenizer.fromFiles(pkg.tokenizer.vocabPath, pkg.tokenizer.mergesPath, pkg.tokenizer.config as never);
  const { sequenceLength: seqLen, hiddenDim, inputIdsDtype } = pkg.textEncoder;

  return {
    seqLen,
    hiddenDim,
    async encode(texts, signal) {
      const n = texts.length;
      const { ids } = tokenizer.encodeBatch([...texts], { length: seqLen, dtype: inputIdsDtype });
      const opts = signal ? { signal } : undefined;
      const out = await runners.textEncoder.run(
        { input_ids: { dtype: inputIdsDtype, shape: [n, seqLen], data: ids } as HostTensor },
        opts,
      );
      const hidden = out.last_hidden_state;
      if (!hidden || hidden.data.length !== n * seqLen * hiddenDim) {
        throw new ModelOutputError(`text_encoder last_hidden_state: expected [${n},${seqLen},${hiddenDim}]`);
      }
      const pooled = out.pooler_output ?? null;
      let taskLogits: HostTensor | null = null;
      if (runners.taskClassifier && pkg.taskClassifier) {
        if (!pooled) throw new ModelOutputError("the task classifier needs text_encoder pooler_output");
        const logits = await runners.taskClassifier.run({ pooled_output: pooled }, opts);
        taskLogits = logits.logits ?? Object.values(logits)[0] ?? null;
      }
      return { lastHiddenState: hidden, pooledOutput: pooled, taskLogits };
    },
  };
}
