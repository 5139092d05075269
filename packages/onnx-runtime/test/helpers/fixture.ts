// Inputs for the fixture package's models (models/fixture-tiny; the contract is docs/model-package.md).
import { fileURLToPath } from "node:url";
import type { HostTensor } from "@emuedit/tensors";

export const fixtureModel = (component: string) =>
  fileURLToPath(new URL(`../../../../models/fixture-tiny/${component}/model.onnx`, import.meta.url));

/** Deterministic, non-trivial values so outputs can be compared. */
function ramp(n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37) * scale;
  return a;
}

/** UNet feeds: sample [B,8,16,16], timestep [B], encoder_hidden_states [B,77,32], task_embedding [B,16]. */
export function unetFeeds(B: number): Record<string, HostTensor> {
  return {
    sample: { dtype: "float32", shape: [B, 8, 16, 16], data: ramp(B * 8 * 16 * 16, 1) },
    timestep: { dtype: "float32", shape: [B], data: new Float32Array(B).fill(500) },
    encoder_hidden_states: { dtype: "float32", shape: [B, 77, 32], data: ramp(B * 77 * 32, 0.5) },
    task_embedding: { dtype: "float32", shape: [B, 16], data: ramp(B * 16, 0.1) },
  };
}

/** The fixture vocabulary's <|startoftext|> and <|endoftext|> (= pad) ids. */
const BOS = 712n;
const EOS = 713n;

/** Text encoder feeds: input_ids [B,77] int64 (start token, a few ids, end-token padding). */
export function textFeeds(B: number): Record<string, HostTensor> {
  const ids = new BigInt64Array(B * 77).fill(EOS);
  for (let b = 0; b < B; b++) {
    ids[b * 77] = BOS;
    for (let k = 1; k < 6; k++) ids[b * 77 + k] = BigInt(10 + b + k);
  }
  return { input_ids: { dtype: "int64", shape: [B, 77], data: ids } };
}
