// The floor of one edit: plain onnxruntime-node sessions of the package's models called in a loop
// on the main thread, with the shapes an edit feeds them (text encoder on the instruction's one
// row and the task classifier on its pooled output, as the pipeline runs them; the VAE encoder on
// one image; `steps` three-row UNet calls; the decoder), and nothing else: no worker threads, no
// tokenizer, no image codecs, no scheduler arithmetic. What an edit costs beyond this is overhead.
import { InferenceSession, Tensor } from "onnxruntime-node";
import type { ModelPackage } from "@emuedit/model-package";

export interface Floor {
  /** One edit's model calls; resolves when the last output is back. */
  edit(): Promise<void>;
  close(): Promise<void>;
}

/** Small deterministic values (zeros could take faster paths than real data). */
function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = ((x >>> 0) / 0xffffffff - 0.5) * 2;
  }
  return a;
}

export async function createFloor(pkg: ModelPackage, opts: { steps: number; intraOpThreads: number }): Promise<Floor> {
  const sessionOptions: InferenceSession.SessionOptions = { intraOpNumThreads: opts.intraOpThreads, executionProviders: ["cpu"] };
  const open = (path: string) => InferenceSession.create(path, sessionOptions);
  const [textEncoder, classifier, vaeEncoder, unet, vaeDecoder] = await Promise.all([
    open(pkg.textEncoder.path),
    pkg.taskClassifier ? open(pkg.taskClassifier.path) : Promise.resolve(null),
    open(pkg.vaeEncoder.path),
    open(pkg.unet.path),
    open(pkg.vaeDecoder.path),
  ]);
  const { sequenceLength: seqLen, hiddenDim, inputIdsDtype } = pkg.textEncoder;
  const side = pkg.resolution;
  const c = pkg.unet.latentChannels;
  const ls = Math.round(side / pkg.vaeScaleFactor);
  const rows = 3;

  const ids = inputIdsDtype === "int64" ? new BigInt64Array(seqLen).fill(7n) : new Int32Array(seqLen).fill(7);
  const pixels = filled(3 * side * side, 1);
  const sample = filled(rows * pkg.unet.inChannels * ls * ls, 2);
  const hidden = filled(rows * seqLen * hiddenDim, 3);
  const taskEmbedding = pkg.unet.taskEmbeddingDim !== null ? filled(rows * pkg.unet.taskEmbeddingDim, 4) : null;
  const latent = filled(c * ls * ls, 5);
  const timestep = (t: number): Tensor => {
    const shape = pkg.unet.timestepShape === "batch" ? [rows] : pkg.unet.timestepShape === "one" ? [1] : [];
    const n = pkg.unet.timestepShape === "batch" ? rows : 1;
    return pkg.unet.timestepDtype === "int64"
      ? new Tensor("int64", new BigInt64Array(n).fill(BigInt(t)), shape)
      : new Tensor("float32", new Float32Array(n).fill(t), shape);
  };

  const edit = async () => {
    const text = await textEncoder.run({ input_ids: new Tensor(inputIdsDtype, ids, [1, seqLen]) });
    if (classifier && text.pooler_output) await classifier.run({ pooled_output: text.pooler_output });
    await vaeEncoder.run({ sample: new Tensor("float32", pixels, [1, 3, side, side]) });
    for (let step = 0; step < opts.steps; step++) {
      const feeds: Record<string, Tensor> = {
        sample: new Tensor("float32", sample, [rows, pkg.unet.inChannels, ls, ls]),
        timestep: timestep(999 - step * 50),
        encoder_hidden_states: new Tensor("float32", hidden, [rows, seqLen, hiddenDim]),
      };
      if (taskEmbedding) feeds.task_embedding = new Tensor("float32", taskEmbedding, [rows, pkg.unet.taskEmbeddingDim!]);
      await unet.run(feeds);
    }
    const decodeFeeds: Record<string, Tensor> = { latent_sample: new Tensor("float32", latent, [1, c, ls, ls]) };
    if (pkg.vaeDecoder.takesSource) decodeFeeds.source_sample = new Tensor("float32", pixels, [1, 3, side, side]);
    await vaeDecoder.run(decodeFeeds);
  };
  await edit(); // warm-up: first runs allocate
  return {
    edit,
    close: async () => {
      await Promise.all([textEncoder, classifier, vaeEncoder, unet, vaeDecoder].map((s) => s?.release()));
    },
  };
}
