// @emuedit/model-package reads graph I/O from the ONNX protobuf without onnxruntime (the gateway
// loads package metadata and must not carry a model runtime); here it is checked against what
// onnxruntime itself reports for the same files.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { InferenceSession } from "onnxruntime-node";
import { loadModelPackage, readOnnxMetadata, type ModelPackage } from "@emuedit/model-package";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fixtureTiny = join(repoRoot, "models", "fixture-tiny");
const fixtureDynamic = join(repoRoot, "models", "fixture-dynamic");
const ip2pTiny = join(repoRoot, "packages", "model-package", "test", "fixtures", "ip2p-tiny");

function components(p: ModelPackage): string[] {
  return [p.textEncoder, p.unet, p.vaeEncoder, p.vaeDecoder, ...(p.taskClassifier ? [p.taskClassifier] : [])].map((c) => c.path);
}

describe("metadata", () => {
  test("metadata - model-package's protobuf reader agrees with onnxruntime's own metadata", async () => {
    for (const dir of [fixtureTiny, fixtureDynamic, ip2pTiny]) {
      for (const path of components(await loadModelPackage(dir))) {
        const ours = await readOnnxMetadata(path);
        const session = await InferenceSession.create(path);
        try {
          const theirs = (list: typeof session.inputMetadata) =>
            list.map((m) => (m.isTensor ? { name: m.name, dtype: m.type, dims: [...m.shape] } : { name: m.name }));
          const mine = (list: typeof ours.inputs) => list.map((v) => ({ name: v.name, dtype: v.dtype, dims: v.dims }));
          assert.deepEqual(mine(ours.inputs), theirs(session.inputMetadata), path);
          // onnxruntime runs shape inference on load and may replace an output's symbolic dim
          // with a number (fixture text_encoder: [batch,Add..._1,Add..._2] -> [batch,77,32]);
          // we report what the file declares, so only static dims must agree.
          const outs = theirs(session.outputMetadata);
          assert.deepEqual(ours.outputs.map((v) => [v.name, v.dtype]), outs.map((o) => [o.name, o.dtype]), path);
          ours.outputs.forEach((v, i) =>
            v.dims?.forEach((d, axis) => {
              if (typeof d === "number") assert.equal(outs[i]?.dims?.[axis], d, `${path} ${v.name} axis ${axis}`);
            }),
          );
        } finally {
          await session.release();
        }
      }
    }
  });
});
