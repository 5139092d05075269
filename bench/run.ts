// Benchmarks (outside the test suite). Run from the repo root:
//   pnpm bench edit [--quick] [--rss N] [--workers N] [--model DIR] [--steps N] [--edits N] [--concurrent-edits N]
//                   [--concurrency N] [--preview-every N] [--batch-rows N]
//   pnpm bench overload [--model DIR] [--rate R] [--seconds S] [--steps N] [--key-concurrency C]
//   pnpm bench cold-start [--model DIR] [--runs N] [--edits N] [--steps N]
//   pnpm bench task-confidence [--model DIR] [--fixture FILE] [--thresholds 0.3,0.5,...] [--text "..."]...
//   pnpm bench latent-publish [--shape 1,8,16,16] [--steps 20] [--edits 200] [--concurrency 16]
//   pnpm bench session-psnr [--model DIR] [--steps N] [--edits N (sessions per mode)]
// edit: one edit through a plain loop of the models' sessions (the floor), the in-process
// pipeline and the whole distributed system; its last line is one JSON object. --quick: about a
// minute (fewer edits); --rss N: also every service's RSS before and after N more edits.
// Compares one edit through the whole distributed system (HTTP -> gateway -> gRPC services,
// NATS) with the same edit through the in-process pipeline (the baseline), on this machine.
// task-confidence: the task classifier's accuracy over minimum-confidence thresholds on held-out
// phrasings (bench/fixtures/task-phrasings.json, from training/phrasings.py) and out-of-scope ones.
// latent-publish: latent publish rate and ack latency on a 3-node JetStream cluster on loopback,
// replicas 1 vs 3 and file vs memory storage (the unet's publisher, purge included).
// Results go to docs/benchmarks.md by hand, with the command line. Each benchmark's module is
// loaded only when it runs, so one benchmark's dependencies never stop another.
import { parseArgs } from "node:util";

const [name, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    model: { type: "string" },
    // Each benchmark has its own defaults for these.
    steps: { type: "string" },
    edits: { type: "string" },
    concurrency: { type: "string" },
    "concurrent-edits": { type: "string" },
    quick: { type: "boolean", default: false },
    rss: { type: "string", default: "0" },
    workers: { type: "string" },
    "preview-every": { type: "string", default: "1" },
    "batch-rows": { type: "string", default: "12" },
    fixture: { type: "string" },
    thresholds: { type: "string" },
    text: { type: "string", multiple: true },
    shape: { type: "string", default: "1,8,16,16" },
    rate: { type: "string", default: "4" },
    seconds: { type: "string", default: "15" },
    "key-concurrency": { type: "string", default: "4" },
    runs: { type: "string", default: "5" },
  },
});
switch (name) {
  case "edit": {
    const { benchEdit } = await import("./edit-latency.js");
    await benchEdit({
      ...(values.model ? { modelDir: values.model } : {}),
      steps: Number(values.steps ?? "20"),
      edits: Number(values.edits ?? (values.quick ? "8" : "20")),
      concurrentEdits: Number(values["concurrent-edits"] ?? (values.quick ? "32" : "64")),
      concurrency: Number(values.concurrency ?? "16"),
      rssEdits: Number(values.rss),
      ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
      previewEvery: Number(values["preview-every"]),
      batchRows: Number(values["batch-rows"]),
    });
    break;
  }
  case "overload": {
    const { benchOverload } = await import("./overload.js");
    await benchOverload({
      ...(values.model ? { modelDir: values.model } : {}),
      rate: Number(values.rate),
      seconds: Number(values.seconds),
      steps: Number(values.steps ?? "20"),
      concurrency: Number(values["key-concurrency"]),
    });
    break;
  }
  case "cold-start": {
    const { benchColdStart } = await import("./cold-start.js");
    await benchColdStart({
      ...(values.model ? { modelDir: values.model } : {}),
      runs: Number(values.runs),
      edits: Number(values.edits ?? "20"),
      steps: Number(values.steps ?? "20"),
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
  case "latent-publish": {
    const { benchLatentPublish } = await import("./latent-publish.js");
    // Defaults: the default model's latent (emu-edit-tiny: [1,8,16,16]) and its 20 default steps.
    await benchLatentPublish({
      shape: values.shape.split(",").map(Number),
      steps: Number(values.steps ?? "20"),
      edits: Number(values.edits ?? "200"),
      concurrency: Number(values.concurrency ?? "16"),
    });
    break;
  }
  case "session-psnr": {
    const { benchSessionPsnr } = await import("./session-psnr.js");
    await benchSessionPsnr({ ...(values.model ? { modelDir: values.model } : {}), steps: Number(values.steps ?? 0), sessions: Number(values.edits ?? 4) });
    break;
  }
  default:
    console.error("usage: pnpm bench edit [--quick] [--rss N] [--workers N] [--model DIR] [--steps N] [--edits N] [--concurrent-edits N] [--concurrency N] [--preview-every N] [--batch-rows N]");
    console.error("       pnpm bench overload [--model DIR] [--rate R] [--seconds S] [--steps N] [--key-concurrency C]");
    console.error("       pnpm bench cold-start [--model DIR] [--runs N] [--edits N] [--steps N]");
    console.error("       pnpm bench session-psnr [--model DIR] [--steps N] [--edits N]");
    console.error("       pnpm bench task-confidence [--model DIR] [--fixture FILE] [--thresholds 0.3,0.5,...] [--text \"...\"]...");
    console.error("       pnpm bench latent-publish [--shape 1,8,16,16] [--steps 20] [--edits 200] [--concurrency 16]");
    process.exit(2);
}
