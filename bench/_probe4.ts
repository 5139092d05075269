import { jetstreamManager } from "@nats-io/jetstream";

import { connectNats, createLatentPublisher, ensureLatentStream } from "@emuedit/nats";
import { startNatsServer } from "@emuedit/launcher";
import { hostTensor } from "@emuedit/tensors";
const srv = await startNatsServer({});
const latent = hostTensor("float32", [1, 8, 16, 16], Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i)));
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const res: Record<string, number[]> = { traces: [], noTraces: [] };
for (let round = 0; round < 14; round++) {
  for (const noAsyncTraces of [false, true]) {
    const nc = await connectNats(srv.url, { asyncTraces: !noAsyncTraces });
    const jsm = await jetstreamManager(nc);
    await ensureLatentStream(jsm, { replicas: 1, storage: "memory" });
    const pub = createLatentPublisher(nc);
    const cpu0 = process.cpuUsage(); const t0 = performance.now();
    for (let e = 0; e < 20; e++) { for (let s = 1; s <= 20; s++) await pub.publish({ editId: `e${round}-${e}`, step: s, totalSteps: 20, timestep: 1000 - s, latent, seed: e }); await pub.purge(`e${round}-${e}`); }
    const wall = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
    res[noAsyncTraces ? "noTraces" : "traces"]!.push((cpu.user + cpu.system) / 1000 / 400);
    if (round === 13) console.log(noAsyncTraces, "wall/publish", (wall / 400).toFixed(3));
    await nc.close();
  }
}
console.log("client CPU ms per publish, median of 14: async traces", med(res.traces!).toFixed(3), "noAsyncTraces", med(res.noTraces!).toFixed(3));
await srv.stop();
