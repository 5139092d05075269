// Runs an ONNX model with onnxruntime-node and prints its outputs as JSON.
// Usage (cwd must be packages/onnx-runtime so that onnxruntime-node resolves):
//   node ../../training/tools/ort_check.mjs <model.onnx> <inputs.json>
// inputs.json: {"name": {"dtype": "float32"|"int32"|"int64", "dims": [...], "data": [...]}, ...}
// Output: {"name": {"dims": [...], "data": [...]}, ...} on stdout.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "package.json"));
const ort = require("onnxruntime-node");

const [modelPath, inputsPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(inputsPath, "utf8"));
const feeds = {};
for (const [name, t] of Object.entries(spec)) {
  const data =
    t.dtype === "int64" ? BigInt64Array.from(t.data.map((v) => BigInt(v)))
    : t.dtype === "int32" ? Int32Array.from(t.data)
    : Float32Array.from(t.data);
  feeds[name] = new ort.Tensor(t.dtype, data, t.dims);
}
const session = await ort.InferenceSession.create(modelPath);
const results = await session.run(feeds);
const out = {};
for (const [name, t] of Object.entries(results)) {
  out[name] = { dims: t.dims, data: Array.from(t.data, (v) => Number(v)) };
}
process.stdout.write(JSON.stringify(out));
