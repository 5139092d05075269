// Benchmarks (outside the test suite). Run from the repo root:
//   pnpm bench edit [--model DIR] [--steps N] [--edits N] [--concurrency N]
//                   [--preview-every N] [--batch-rows N]
//   pnpm bench task-confidence [--model DIR] [--fixture FILE] [--thresholds 0.3,0.5,...] [--text "..."]...
//   pnpm bench session-psnr [--model DIR] [--steps N] [--edits N (sessions per mode)]
// Compares one edit through the whole distributed system (HTTP -> gateway -> gRPC services,
// NATS) with the same edit through the in-process pipeline (the baseline), on this machine.
// task-confidence: the task classifier's accuracy over minimum-confidence thresholds on held-out
// phrasings (bench/fixtures/task-phrasings.json, from training/phrasings.py) and out-of-scope ones.
// Results go to docs/benchmarks.md by hand, with the command line. Each benchmark's module is
// loaded only when it runs, so one benchmark's dependencies never stop another.
import { parseArgs } from "node:util";

const [name, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    model: { type: "string" },
    steps: { type: "string" },
    edits: { type: "string" },
    concurrency: { type: "string", default: "4" },
    "preview-every": { type: "string", default: "1" },
    "batch-rows": { type: "string", default: "12" },
    fixture: { type: "string" },
    thresholds: { type: "string" },
    text: { type: "string", multiple: true },
  },
});
switch (name) {
  case "edit": {
    const { benchEdit } = await import("./edit-latency.js");
    await benchEdit({
      ...(values.model ? { modelDir: values.model } : {}),
      steps: Number(values.steps ?? 20),
      edits: Number(values.edits ?? 20),
      concurrency: Number(values.concurrency),
      previewEvery: Number(values["preview-every"]),
      batchRows: Number(values["batch-rows"]),
    });
    break;
  }
  case "task-confidence": {
    const { benchTaskConfidence } = await import("./task-confidence.js");
    await benchTaskConfidence({
      ...(values.model ? { modelDir: values.model } : {}),
      ...(values.fixture ? { fixture: values.fixture } : {}),
      ...(values.thresholds ? { thresholds: values.thresholds.split(",").map(Number) } : {}),
      ...(values.text ? { texts: values.text } : {}),
    });
    break;
  }
  case "session-psnr": {
    const { benchSessionPsnr } = await import("./session-psnr.js");
    await benchSessionPsnr({ ...(values.model ? { modelDir: values.model } : {}), steps: Number(values.steps ?? 0), sessions: Number(values.edits ?? 4) });
    break;
  }
  default:
    console.error("usage: pnpm bench edit [--model DIR] [--steps N] [--edits N] [--concurrency N] [--preview-every N] [--batch-rows N]");
    console.error("       pnpm bench session-psnr [--model DIR] [--steps N] [--edits N]");
    console.error("       pnpm bench task-confidence [--model DIR] [--fixture FILE] [--thresholds 0.3,0.5,...] [--text \"...\"]...");
    process.exit(2);
}
