import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertUnetChannels, buildGuidanceBatch } from "../src/index.js";

// one edit: C = 2 latent channels, h*w = 2 -> [2,1,2]; D = 3 (77 tokens shortened to 1 for reading)
const latent = Float32Array.from([1, 2, 3, 4]);
const image = Float32Array.from([10, 20, 30, 40]);
const text = Float32Array.from([0.1, 0.2, 0.3]);
const uncond = Float32Array.from([-0.1, -0.2, -0.3]);

describe("guidance batch - InstructPix2Pix row order", () => {
  test("guidance batch - sample rows are latent++image, latent++image, latent++zeros", () => {
    const { sample } = buildGuidanceBatch({ scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: uncond });
    assert.deepEqual(Array.from(sample), [1, 2, 3, 4, 10, 20, 30, 40, 1, 2, 3, 4, 10, 20, 30, 40, 1, 2, 3, 4, 0, 0, 0, 0]);
  });
  test("guidance batch - encoder hidden states are cond, uncond, uncond", () => {
    const { encoderHiddenStates } = buildGuidanceBatch({ scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: uncond });
    assert.deepEqual(Array.from(encoderHiddenStates), Array.from([0.1, 0.2, 0.3, -0.1, -0.2, -0.3, -0.1, -0.2, -0.3], Math.fround));
  });
  test("guidance batch - the task embedding goes with every row", () => {
    const task = Float32Array.from([5, 6]);
    const batch = buildGuidanceBatch({ scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: uncond, taskEmbedding: task });
    assert.deepEqual(Array.from(batch.taskEmbedding ?? []), [5, 6, 5, 6, 5, 6]);
    const without = buildGuidanceBatch({ scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: uncond });
    assert.equal(without.taskEmbedding, undefined);
  });
  test("guidance batch - inputs are copied, not aliased", () => {
    const batch = buildGuidanceBatch({ scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: uncond });
    batch.sample[0] = 99;
    assert.equal(latent[0], 1);
  });
  test("guidance batch - mismatched text embeddings are a shape error", () => {
    assert.throws(
      () => buildGuidanceBatch({ scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: new Float32Array(2) }),
      { name: "ShapeMismatchError" },
    );
  });
  test("guidance batch - channel contract is checked when the UNet's in-channels are given", () => {
    const ok = { scaledLatent: latent, imageLatent: image, textEmbedding: text, uncondEmbedding: uncond, latentChannels: 2 };
    assert.doesNotThrow(() => buildGuidanceBatch({ ...ok, unetInChannels: 4 }));
    assert.throws(() => buildGuidanceBatch({ ...ok, unetInChannels: 8 }), { name: "UnetChannelMismatchError" });
  });
});

describe("guidance batch - assertUnetChannels", () => {
  test("guidance batch - 4 + 4 = 8 passes (Stable Diffusion InstructPix2Pix)", () => {
    assert.doesNotThrow(() => assertUnetChannels(4, 4, 8));
  });
  test("guidance batch - a text-to-image UNet (4 in-channels) fails with an actionable message", () => {
    assert.throws(() => assertUnetChannels(4, 4, 4), (err: Error) => {
      assert.equal(err.name, "UnetChannelMismatchError");
      assert.match(err.message, /expects 4 input channels/);
      assert.match(err.message, /4 \(noisy latent\) \+ 4 \(image latent\) = 8/);
      assert.match(err.message, /unet\/model\.onnx/);
      return true;
    });
  });
});
