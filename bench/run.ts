// Benchmarks (outside the test suite). Run from the repo root:
//   pnpm bench edit [--model DIR] [--steps N] [--edits N] [--concurrency N]
//                   [--preview-every N] [--batch-rows N]
// Compares one edit through the whole distributed system (HTTP -> gateway -> gRPC services,
// NATS) with the same edit through the in-process pipeline (the baseline), on this machine.
// Results go to docs/benchmarks.md by hand, with the command line.
import { parseArgs } from "node:util";
import { benchEdit } from "./edit-latency.js";

const [name, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    model: { type: "string" },
    steps: { type: "string", default: "20" },
    edits: { type: "string", default: "20" },
    concurrency: { type: "string", default: "4" },
    "preview-every": { type: "string", default: "1" },
    "batch-rows": { type: "string", default: "12" },
  },
});
switch (name) {
  case "edit":
    await benchEdit({
      ...(values.model ? { modelDir: values.model } : {}),
      steps: Number(values.steps),
      edits: Number(values.edits),
      concurrency: Number(values.concurrency),
      previewEvery: Number(values["preview-every"]),
      batchRows: Number(values["batch-rows"]),
    });
    break;
  default:
    console.error("usage: pnpm bench edit [--model DIR] [--steps N] [--edits N] [--concurrency N] [--preview-every N] [--batch-rows N]");
    process.exit(2);
}
