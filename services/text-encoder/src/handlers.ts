import type { TextStage } from "@emuedit/pipeline";
import { GrpcStatus, invalidArgument, type ServiceImpl, type TextEncoderService } from "@emuedit/proto";
import { toGrpcError, type Logger } from "@emuedit/service-kit";
import { tensorToProto } from "@emuedit/tensors";
import type { TextEncoderSettings } from "./settings.js";

export function textEncoderHandlers(stage: TextStage, limits: TextEncoderSettings, log: Logger): ServiceImpl<typeof TextEncoderService> {
  return {
    async encode(req, ctx) {
      const { texts } = req;
      if (texts.length === 0 || texts.length > limits.maxTexts) {
        throw invalidArgument(`texts: send 1..${limits.maxTexts} instructions, got ${texts.length}`);
      }
      const tooLong = texts.findIndex((t) => t.length > limits.maxTextChars);
      if (tooLong >= 0) throw invalidArgument(`texts[${tooLong}]: longer than ${limits.maxTextChars} characters`);
      try {
        const out = await stage.encode(texts, ctx.signal);
        return {
          lastHiddenState: tensorToProto(out.lastHiddenState),
          ...(out.pooledOutput ? { pooledOutput: tensorToProto(out.pooledOutput) } : {}),
          ...(out.taskLogits ? { taskLogits: tensorToProto(out.taskLogits) } : {}),
        };
      } catch (err) {
        const g = toGrpcError(err, ctx.signal);
        if (g.code === GrpcStatus.INTERNAL) log.error("encode failed", { error: g.message });
        throw g;
      }
    },
  };
}
