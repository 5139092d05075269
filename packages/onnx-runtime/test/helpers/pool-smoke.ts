// Child process for worker-threads.test.ts: starts a one-worker pool on the model in argv[2],
// decodes one latent, prints "<pool name> <output> <shape>".
import { createSessionPool } from "../../src/index.js";

const pool = await createSessionPool({ modelPath: process.argv[2]!, workers: 1, intraOpThreads: 1 });
const latent = { dtype: "float32" as const, shape: [1, 4, 16, 16], data: new Float32Array(4 * 16 * 16) };
const out = await pool.run({ latent_sample: latent });
console.log(`${pool.name} sample ${out["sample"]?.shape.join(",")}`);
await pool.close();
