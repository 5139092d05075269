// Child process for worker-threads.test.ts: starts a one-worker pool on the model in argv[2],
// decodes one latent (with its source image: fixture-tiny's decoder reads one), prints
// "<pool name> <output> <shape>".
import { createSessionPool } from "../../src/index.js";

const pool = await createSessionPool({ modelPath: process.argv[2]!, workers: 1, intraOpThreads: 1 });
const latent = { dtype: "float32" as const, shape: [1, 4, 16, 16], data: new Float32Array(4 * 16 * 16) };
const source = { dtype: "float32" as const, shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) };
const out = await pool.run({ latent_sample: latent, source_sample: source });
console.log(`${pool.name} sample ${out["sample"]?.shape.join(",")}`);
await pool.close();
