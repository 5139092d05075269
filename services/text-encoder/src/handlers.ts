// TextEncoderService.Encode: the text-encoder service's wire edge.
import { EmueditError, Status } from "@emuedit/errors";
import type { ServiceImpl, TextEncoderService } from "@emuedit/proto";
import type { Logger } from "@emuedit/service-kit";
import type { TextStage } from "@emuedit/stages";
import { tensorToProto } from "@emuedit/tensors";
import type { TextEncoderSettings } from "./settings.js";

export function textEncoderHandlers(stage: TextStage, limits: TextEncoderSettings, log: Logger): ServiceImpl<typeof TextEncoderService> {
  return {
    async encode(req, ctx) {
      const { texts } = req;
      if (texts.length === 0 || texts.length > limits.maxTexts) {
        throw new EmueditError(Status.InvalidArgument, `texts: send 1..${limits.maxTexts} instructions, got ${texts.length}`);
      }
      const tooLong = texts.findIndex((t) => t.length > limits.maxTextChars);
      if (tooLong >= 0) throw new EmueditError(Status.InvalidArgument, `texts[${tooLong}]: longer than ${limits.maxTextChars} characters`);
      try {
        const out = await stage.encode(texts, ctx.signal);
        return {
          lastHiddenState: tensorToProto(out.lastHiddenState),
          ...(out.pooledOutput ? { pooledOutput: tensorToProto(out.pooledOutput) } : {}),
          ...(out.taskLogits ? { taskLogits: tensorToProto(out.taskLogits) } : {}),
        };
      } catch (err) {
        if (!(err instanceof EmueditError) || err.status === Status.Internal) log.error("encode failed", { error: String(err) });
        throw err;
      }
    },
  };
}
