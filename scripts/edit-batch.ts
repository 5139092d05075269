// Runs edits through the in-process pipeline (the project's own TypeScript code path, real
// ONNX sessions) for tools outside Node, e.g. training/'s evaluation comparing the exported
// package against PyTorch.
//   node --import tsx scripts/edit-batch.ts --model models/emu-edit-tiny < cases.jsonl > results.jsonl
// Each input line: {"id", "rgb" (base64 uint8 HWC), "width", "height", "instruction", "task"?,
//   "steps"?, "guidance_scale"?, "image_guidance_scale"?, "seed"}
// Each output line: {"id", "rgb" (base64), "width", "height", "task", "predicted", "confidence"}
import readline from "node:readline";
import { parseArgs } from "node:util";
import { loadModelPackage } from "@emuedit/model-package";
import { createInProcessPipeline } from "@emuedit/pipeline";

const { values } = parseArgs({ options: { model: { type: "string" } } });
if (!values.model) {
  process.stderr.write("usage: node --import tsx scripts/edit-batch.ts --model DIR < cases.jsonl\n");
  process.exit(2);
}
const pkg = await loadModelPackage(values.model);
const pipeline = await createInProcessPipeline(pkg, { workers: 1, intraOpThreads: 2 });
try {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const c = JSON.parse(line) as Record<string, unknown>;
    const out = await pipeline.edit({
      editId: String(c.id),
      image: { width: Number(c.width), height: Number(c.height), data: new Uint8Array(Buffer.from(String(c.rgb), "base64")) },
      instruction: String(c.instruction),
      ...(typeof c.task === "string" && c.task ? { task: c.task } : {}),
      steps: Number(c.steps ?? pkg.defaults.steps),
      guidanceScale: Number(c.guidance_scale ?? pkg.defaults.guidanceScale),
      imageGuidanceScale: Number(c.image_guidance_scale ?? pkg.defaults.imageGuidanceScale),
      seed: Number(c.seed ?? 0),
    });
    process.stdout.write(
      `${JSON.stringify({
        id: c.id,
        rgb: Buffer.from(out.image.data).toString("base64"),
        width: out.image.width,
        height: out.image.height,
        task: out.task?.task.name ?? null,
        predicted: out.task?.predicted ?? false,
        confidence: out.task?.confidence ?? null,
      })}\n`,
    );
  }
} finally {
  await pipeline.close();
}
