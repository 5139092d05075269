// Runs training/'s Python tests when Debian's PyTorch is importable, and says so plainly when
// it is not (the TypeScript suites never need torch).
import { spawnSync } from "node:child_process";

const python = process.env.EMUEDIT_PYTHON ?? "/usr/bin/python3";
const probe = spawnSync(python, ["-c", "import torch, onnx, numpy, PIL"], { stdio: "ignore" });
if (probe.status !== 0) {
  console.log(`training tests SKIPPED: ${python} cannot import torch/onnx/numpy/PIL.`);
  console.log("Install them with: apt-get install -y python3-torch python3-onnx python3-numpy python3-pil libopenblas0-openmp");
  process.exit(0);
}
const run = spawnSync(python, ["-m", "unittest", "discover", "-s", "training/tests", "-t", "."], { stdio: "inherit" });
process.exit(run.status ?? 1);
