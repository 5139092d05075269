import { createSessionPool } from "./src/index.js";
const t0 = performance.now();
const pool = await createSessionPool({ modelPath: "../../models/fixture-tiny/unet/model.onnx", workers: 1, intraOpThreads: 1 });
console.log("ready ms", performance.now() - t0, pool.name, pool.inputMetadata);
const B = 64;
const feeds = {
  sample: { dtype: "float32" as const, shape: [B, 8, 16, 16], data: new Float32Array(B * 8 * 256).fill(0.1) },
  timestep: { dtype: "float32" as const, shape: [B], data: new Float32Array(B).fill(500) },
  encoder_hidden_states: { dtype: "float32" as const, shape: [B, 77, 32], data: new Float32Array(B * 77 * 32).fill(0.01) },
  task_embedding: { dtype: "float32" as const, shape: [B, 16], data: new Float32Array(B * 16) },
};
let ticks = 0, last = performance.now(), maxGap = 0;
const iv = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; ticks++; }, 1);
const t1 = performance.now();
const out = await pool.run(feeds);
const ms = performance.now() - t1;
clearInterval(iv);
console.log("run ms", ms, "ticks", ticks, "maxGap", maxGap, out.out_sample!.shape, out.out_sample!.data.slice(0, 3));
await pool.close();
console.log("closed");
