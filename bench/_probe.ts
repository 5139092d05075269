import path from "node:path";
import os from "node:os";
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { Worker } from "node:worker_threads";
import { REPO_ROOT } from "@emuedit/launcher";
import { loadModelPackage } from "@emuedit/model-package";
import { createInProcessPipeline } from "@emuedit/stages";
import { createFloor } from "./floor.js";
const pkg = await loadModelPackage(path.join(REPO_ROOT, "models", "emu-edit-tiny"));
const png = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const image = { width: info.width, height: info.height, data: new Uint8Array(data) };
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const floor = await createFloor(pkg, { steps: 20, intraOpThreads: 1 });
const runs: number[] = [];
const local = await createInProcessPipeline(pkg, { pools: { workers: 1, intraOpThreads: 1 }, maxBatchRows: 12 });
const input = (i: number) => ({ editId: `b-${i}`, image, instruction: "make the circle blue", task: pkg.tasks[0]?.name, sampling: { steps: 20, guidanceScale: 1.5, imageGuidanceScale: 1.5, seed: i } });
await local.edit(input(0));
const fl: number[] = [], ip: number[] = [], den: number[] = [];
for (let r = 0; r < 10; r++) {
  let t = performance.now(); await floor.edit(); fl.push(performance.now() - t);
  t = performance.now(); const o = await local.edit(input(r)); ip.push(performance.now() - t);
  den.push(o.timings.find((x) => x.stage === "denoise")!.durationMs);
}
console.log("load", os.loadavg()[0], "floor", med(fl).toFixed(1), "inproc", med(ip).toFixed(1), "denoise", med(den).toFixed(1));
// worker hop round trip with a 300 KB payload
const w = new Worker(`const {parentPort}=require("node:worker_threads");parentPort.on("message",(m)=>parentPort.postMessage(m,[m.buffer]));`, { eval: true });
const hop: number[] = [];
for (let i = 0; i < 200; i++) {
  const buf = new Float32Array(75000);
  const t = performance.now();
  await new Promise((r) => { w.once("message", r); w.postMessage(buf, [buf.buffer]); });
  hop.push(performance.now() - t);
}
console.log("hop p50", med(hop).toFixed(3), "max", Math.max(...hop).toFixed(2));
await w.terminate(); await floor.close(); await local.close();
