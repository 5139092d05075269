import type { VaeStage } from "@emuedit/pipeline";
import { GrpcStatus, invalidArgument, type ServiceImpl, type VaeService } from "@emuedit/proto";
import { toGrpcError, type Logger } from "@emuedit/service-kit";
import { tensorFromProto, tensorToProto } from "@emuedit/tensors";
import type { VaeLimits } from "./settings.js";

export function vaeHandlers(stage: VaeStage, limits: VaeLimits, log: Logger): ServiceImpl<typeof VaeService> {
  const fail = (op: string, err: unknown, signal: AbortSignal) => {
    const g = toGrpcError(err, signal);
    if (g.code === GrpcStatus.INTERNAL) log.error(`${op} failed`, { error: g.message });
    return g;
  };
  return {
    async encode(req, ctx) {
      if (!req.images) throw invalidArgument("images: required");
      try {
        const images = tensorFromProto(req.images, { dtype: "uint8", shape: [null, null, null, 3], name: "images" });
        const [n, h, w] = images.shape as [number, number, number];
        if (n < 1 || n > limits.maxBatch) throw invalidArgument(`images: batch must be 1..${limits.maxBatch}, got ${n}`);
        if (h > limits.maxSidePx || w > limits.maxSidePx) throw invalidArgument(`images: sides must be at most ${limits.maxSidePx} px, got ${h}x${w}`);
        return { latents: tensorToProto(await stage.encode(images, ctx.signal)) };
      } catch (err) {
        throw fail("encode", err, ctx.signal);
      }
    },
    async decode(req, ctx) {
      if (!req.latents) throw invalidArgument("latents: required");
      try {
        const latents = tensorFromProto(req.latents, { dtype: "float32", shape: [null, stage.latentChannels, null, null], name: "latents" });
        const [n, , h, w] = latents.shape as [number, number, number, number];
        if (n < 1 || n > limits.maxBatch) throw invalidArgument(`latents: batch must be 1..${limits.maxBatch}, got ${n}`);
        if (h * stage.scaleFactor > limits.maxSidePx || w * stage.scaleFactor > limits.maxSidePx) {
          throw invalidArgument(`latents: decoded sides would exceed ${limits.maxSidePx} px`);
        }
        // only a decoder conditioned on the source image reads source_images; the stage checks them
        const sources = stage.takesSource && req.sourceImages ? tensorFromProto(req.sourceImages, { name: "source_images" }) : null;
        return { images: tensorToProto(await stage.decode(latents, sources, ctx.signal)) };
      } catch (err) {
        throw fail("decode", err, ctx.signal);
      }
    },
  };
}
