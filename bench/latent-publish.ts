// Latent publishing against a 3-node JetStream cluster on loopback, per stream configuration
// (replicas 1 | 3, storage file | memory): the unet's own publisher (createLatentPublisher),
// `--concurrency` edits at once, each publishing its steps one after another as the unet's chain
// does, then purging its checkpoint as a finished edit does.
//   pnpm bench latent-publish [--shape 1,8,16,16] [--steps 20] [--edits 200] [--concurrency 16]
// Reports per configuration: latents/s, MiB/s of payload, publish-ack latency p50/p99 and the
// purge's p50. Numbers go to docs/benchmarks.md with the command line.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { createLatentPublisher, connectNats, ensureLatentStream, LATENT_STREAM, type StorageKind } from "@emuedit/nats";
import { startNatsCluster } from "@emuedit/launcher";
import { hostTensor, shapeSize } from "@emuedit/tensors";

export interface LatentPublishBenchOptions {
  shape: number[];
  steps: number;
  edits: number;
  concurrency: number;
}

const CONFIGS: { replicas: number; storage: StorageKind }[] = [
  { replicas: 1, storage: "memory" },
  { replicas: 1, storage: "file" },
  { replicas: 3, storage: "memory" },
  { replicas: 3, storage: "file" },
];

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function recreate(jsm: JetStreamManager, replicas: number, storage: StorageKind): Promise<void> {
  await jsm.streams.delete(LATENT_STREAM).catch(() => undefined);
  await ensureLatentStream(jsm, { replicas, storage });
}

export async function benchLatentPublish(opts: LatentPublishBenchOptions): Promise<void> {
  const cluster = await startNatsCluster();
  const nc = await connectNats(cluster.url, { name: "bench-latent-publish" });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const n = shapeSize(opts.shape);
    const latent = hostTensor("float32", opts.shape, Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
    const bytes = n * 4;
    console.log(`latent [${opts.shape}] float32 = ${bytes} B; ${opts.edits} edits x ${opts.steps} steps, ${opts.concurrency} at once; 3-node cluster on loopback (${nc.getServer()})`);
    console.log("| replicas | storage | latents/s | payload MiB/s | publish p50 ms | publish p99 ms | purge p50 ms |");
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    for (const { replicas, storage } of CONFIGS) {
      await recreate(jsm, replicas, storage);
      const publisher = createLatentPublisher(nc, { timeoutMs: 10_000 });
      const publishMs: number[] = [];
      const purgeMs: number[] = [];
      let next = 0;
      const runEdit = async (e: number) => {
        const editId = `bench-${replicas}-${storage}-${e}`;
        for (let step = 1; step <= opts.steps; step++) {
          const t = performance.now();
          await publisher.publish({ editId, step, totalSteps: opts.steps, timestep: 1000 - step, latent, seed: e });
          publishMs.push(performance.now() - t);
        }
        const t = performance.now();
        await publisher.purge(editId);
        purgeMs.push(performance.now() - t);
      };
      const started = performance.now();
      await Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
          while (next < opts.edits) await runEdit(next++);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const total = opts.edits * opts.steps;
      publishMs.sort((a, b) => a - b);
      purgeMs.sort((a, b) => a - b);
      const left = (await jsm.streams.info(LATENT_STREAM)).state.messages;
      console.log(
        `| ${replicas} | ${storage} | ${(total / seconds).toFixed(0)} | ${((total * bytes) / seconds / 2 ** 20).toFixed(1)} | ` +
          `${quantile(publishMs, 0.5).toFixed(2)} | ${quantile(publishMs, 0.99).toFixed(2)} | ${quantile(purgeMs, 0.5).toFixed(2)} |` +
          (left !== 0 ? ` (${left} messages left!)` : ""),
      );
    }
  } finally {
    await nc.close();
    await cluster.stop();
  }
}
