import { DEFAULT_EDIT_LIMITS } from "@emuedit/edit-contract";
import { intSetting, modelServiceSettings } from "@emuedit/service-kit";

export const textEncoderSettings = {
  ...modelServiceSettings("EMUEDIT_TEXT_ENCODER", 50061),
  maxTexts: intSetting("EMUEDIT_TEXT_ENCODER_MAX_TEXTS", 64, "instructions per Encode call", { min: 1, max: 4096 }),
  maxTextChars: intSetting("EMUEDIT_MAX_INSTRUCTION_CHARS", DEFAULT_EDIT_LIMITS.maxInstructionChars, "characters per instruction (longer ones are refused, not cut)", {
    min: 1,
    max: 100000,
  }),
};
export type TextEncoderSettings = { maxTexts: number; maxTextChars: number };
