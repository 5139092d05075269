// Compares pool layouts on the fixture UNet: workers x intraOpThreads = 1x1, 1x2, 2x1.
// Run from packages/onnx-runtime (takes ~1 min; not part of the test suite):
//   node --import tsx scripts/bench-workers.ts [batch=3] [requests=48]
// Batch 3 is one InstructPix2Pix denoising step (text+image, image, neither).
// Prints, per layout: latency of one request alone (p50), then throughput and latency
// (p50/p95, including queue wait) with 4 requests kept in flight.
import { createSessionPool } from "../src/index.js";
import { fixtureModel, unetFeeds } from "../test/helpers/fixture.js";

const batch = Number(process.argv[2] ?? 3);
const requests = Number(process.argv[3] ?? 48);
const IN_FLIGHT = 4;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function bench(workers: number, intraOpThreads: number): Promise<string> {
  const pool = await createSessionPool({ modelPath: fixtureModel("unet"), workers, intraOpThreads, maxQueue: requests });
  const feeds = unetFeeds(batch);
  const alone: number[] = [];
  for (let i = 0; i < 16; i++) {
    const t0 = performance.now();
    await pool.run(feeds);
    alone.push(performance.now() - t0);
  }
  const loaded: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < requests) {
        const s = performance.now();
        await pool.run(feeds);
        loaded.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  return [
    `${workers} worker(s) x ${intraOpThreads} thread(s)`.padEnd(24),
    `alone p50 ${fmt(pct(alone, 0.5))}`.padEnd(20),
    `${(requests / seconds).toFixed(1)} req/s`.padEnd(14),
    `loaded p50 ${fmt(pct(loaded, 0.5))}, p95 ${fmt(pct(loaded, 0.95))}`,
  ].join(" | ");
}

console.log(`fixture UNet, batch ${batch}, ${requests} requests, ${IN_FLIGHT} in flight`);
for (const [w, t] of [[1, 1], [1, 2], [2, 1]] as const) console.log(await bench(w, t));
