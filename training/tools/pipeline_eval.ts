// Runs edits through the project's in-process pipeline (the same ONNX code path as the services).
// Usage, from the repository root:
//   node --import tsx training/tools/pipeline_eval.ts <package-dir> <cases.json> <out.json>
// cases.json: {"cases": [{"image": base64 RGB uint8 [H,W,3], "width", "height", "instruction",
//   "task"?: string, "steps", "guidanceScale", "imageGuidanceScale", "seed"}]}
// out.json: {"outputs": [{"image": base64, "task": string|null, "ms": number}]}
import { readFileSync, writeFileSync } from "node:fs";
import { loadModelPackage } from "@emuedit/model-package";
import { createInProcessPipeline } from "@emuedit/stages";

interface Case {
  image: string;
  width: number;
  height: number;
  instruction: string;
  task?: string;
  steps: number;
  guidanceScale: number;
  imageGuidanceScale: number;
  seed: number;
}

const [pkgDir, casesPath, outPath] = process.argv.slice(2);
if (!pkgDir || !casesPath || !outPath) throw new Error("usage: pipeline_eval.ts <package-dir> <cases.json> <out.json>");
const { cases } = JSON.parse(readFileSync(casesPath, "utf8")) as { cases: Case[] };
const pkg = await loadModelPackage(pkgDir);
const pipeline = await createInProcessPipeline(pkg, { pools: { workers: 1, intraOpThreads: 2 } });
const outputs: Array<{ image: string; task: string | null; ms: number }> = [];
try {
  let i = 0;
  for (const c of cases) {
    const t0 = performance.now();
    const r = await pipeline.edit({
      editId: `eval-${i++}`,
      image: { width: c.width, height: c.height, data: new Uint8Array(Buffer.from(c.image, "base64")) },
      instruction: c.instruction,
      ...(c.task === undefined ? {} : { task: c.task }),
      sampling: { steps: c.steps, guidanceScale: c.guidanceScale, imageGuidanceScale: c.imageGuidanceScale, seed: c.seed },
    });
    outputs.push({ image: Buffer.from(r.image.data).toString("base64"), task: r.task?.task.name ?? null, ms: performance.now() - t0 });
  }
} finally {
  await pipeline.close();
}
writeFileSync(outPath, JSON.stringify({ outputs }));
