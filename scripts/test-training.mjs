// Runs training/'s Python tests when Debian's PyTorch is importable and WordNet is installed, and
// says so plainly when not (the TypeScript suites never need torch).
import { spawnSync } from "node:child_process";

const python = process.env.EMUEDIT_PYTHON ?? "/usr/bin/python3";
const probe = spawnSync(python, ["-c", "import torch, onnx, numpy, PIL"], { stdio: "ignore" });
if (probe.status !== 0) {
  console.log(`training tests SKIPPED: ${python} cannot import torch/onnx/numpy/PIL.`);
  console.log("Install them with: apt-get install -y python3-torch python3-onnx python3-numpy python3-pil libopenblas0-openmp");
  process.exit(0);
}
// the classifier's synonym augmentation reads Debian's WordNet: training/synonyms.py decides
const wordnet = spawnSync(python, ["-c", "import sys; from training import synonyms as s; s.available() or sys.exit(s.wordnet_dir())"], {
  encoding: "utf8",
});
if (wordnet.status !== 0) {
  console.log(`training tests SKIPPED: WordNet is not in ${wordnet.stderr.trim()}.`);
  console.log("Install it with: apt-get install -y wordnet-base");
  process.exit(0);
}
const run = spawnSync(python, ["-m", "unittest", "discover", "-s", "training/tests", "-t", "."], { stdio: "inherit" });
process.exit(run.status ?? 1);
