// VaeService.Encode / Decode: the vae service's wire edge.
import { EmueditError, Status } from "@emuedit/errors";
import type { ServiceImpl, VaeService } from "@emuedit/proto";
import type { Logger } from "@emuedit/service-kit";
import type { VaeStage } from "@emuedit/stages";
import { tensorFromProto, tensorToProto } from "@emuedit/tensors";
import type { VaeLimits } from "./settings.js";

const invalid = (message: string) => new EmueditError(Status.InvalidArgument, message);

export function vaeHandlers(stage: VaeStage, limits: VaeLimits, log: Logger): ServiceImpl<typeof VaeService> {
  const logged = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof EmueditError) || err.status === Status.Internal) log.error(`${op} failed`, { error: String(err) });
      throw err;
    }
  };
  return {
    encode: (req, ctx) =>
      logged("encode", async () => {
        if (!req.images) throw invalid("images: required");
        const images = tensorFromProto(req.images, { dtype: "uint8", shape: [null, null, null, 3], name: "images" });
        const [n, h, w] = images.shape as [number, number, number];
        if (n < 1 || n > limits.maxBatch) throw invalid(`images: batch must be 1..${limits.maxBatch}, got ${n}`);
        if (h > limits.maxSidePx || w > limits.maxSidePx) throw invalid(`images: sides must be at most ${limits.maxSidePx} px, got ${h}x${w}`);
        return { latents: tensorToProto(await stage.encode(images, ctx.signal)) };
      }),
    decode: (req, ctx) =>
      logged("decode", async () => {
        if (!req.latents) throw invalid("latents: required");
        const latents = tensorFromProto(req.latents, { dtype: "float32", shape: [null, stage.latentChannels, null, null], name: "latents" });
        const [n, , h, w] = latents.shape as [number, number, number, number];
        if (n < 1 || n > limits.maxBatch) throw invalid(`latents: batch must be 1..${limits.maxBatch}, got ${n}`);
        if (h * stage.scaleFactor > limits.maxSidePx || w * stage.scaleFactor > limits.maxSidePx) {
          throw invalid(`latents: decoded sides would exceed ${limits.maxSidePx} px`);
        }
        // only a decoder conditioned on the source image reads source_images; the stage checks them
        const sources = stage.takesSource && req.sourceImages ? tensorFromProto(req.sourceImages, { name: "source_images" }) : null;
        return { images: tensorToProto(await stage.decode(latents, sources, ctx.signal)) };
      }),
  };
}
