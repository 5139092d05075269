import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MissingFileError, OnnxParseError, readOnnxMetadata } from "../src/index.js";
import { f32, i32, i64, onnxBytes } from "./helpers/onnx-writer.js";
import { tempDir } from "./helpers/synthetic-package.js";

describe("onnx metadata", () => {
  test("onnx metadata - reads names, dtypes, static, symbolic and unnamed dims", async () => {
    const dir = await tempDir("meta");
    const path = join(dir, "m.onnx");
    await writeFile(
      path,
      onnxBytes({
        inputs: [f32("sample", ["batch", 8, "", 16]), i64("timestep", []), i32("ids", null)],
        outputs: [f32("out_sample", ["batch", 4, "", 16])],
      }),
    );
    const m = await readOnnxMetadata(path);
    assert.equal(m.irVersion, 8);
    assert.equal(m.producer, "emuedit-test");
    assert.deepEqual(m.opsets, { "": 17 });
    assert.deepEqual(m.inputs, [
      { name: "sample", dtype: "float32", dims: ["batch", 8, "", 16] },
      { name: "timestep", dtype: "int64", dims: [] },
      { name: "ids", dtype: "int32", dims: null },
    ]);
    assert.deepEqual(m.outputs, [{ name: "out_sample", dtype: "float32", dims: ["batch", 4, "", 16] }]);
    assert.deepEqual(m.externalDataFiles, []);
  });

  test("onnx metadata - skips initializer payloads and drops IR-3 initializer inputs", async () => {
    const dir = await tempDir("meta");
    const path = join(dir, "m.onnx");
    // 3 MiB of raw_data between the header fields: more than the reader's 64 KiB window.
    await writeFile(
      path,
      onnxBytes({
        irVersion: 3,
        initializers: [{ name: "W", dims: [786432], rawBytes: 3 << 20 }],
        inputs: [f32("x", [1, 4]), f32("W", [786432])],
        outputs: [f32("y", [1, 4])],
      }),
    );
    const m = await readOnnxMetadata(path);
    assert.deepEqual(m.inputs.map((v) => v.name), ["x"]);
    assert.deepEqual(m.outputs.map((v) => v.name), ["y"]);
  });

  test("onnx metadata - lists external data locations once each", async () => {
    const dir = await tempDir("meta");
    const path = join(dir, "model.onnx");
    await writeFile(
      path,
      onnxBytes({
        initializers: [
          { name: "a", dims: [4], externalLocation: "model.onnx_data" },
          { name: "b", dims: [4], externalLocation: "model.onnx_data" },
          { name: "c", dims: [4], rawBytes: 16 },
        ],
        inputs: [f32("x", [4])],
        outputs: [f32("y", [4])],
      }),
    );
    assert.deepEqual((await readOnnxMetadata(path)).externalDataFiles, ["model.onnx_data"]);
  });

  test("onnx metadata - a truncated or non-ONNX file is an OnnxParseError naming it", async () => {
    const dir = await tempDir("meta");
    const good = onnxBytes({ inputs: [f32("x", [4])], outputs: [f32("y", [4])] });
    const truncated = join(dir, "truncated.onnx");
    await writeFile(truncated, good.subarray(0, good.length - 7));
    await assert.rejects(readOnnxMetadata(truncated), (e: Error) => {
      assert.ok(e instanceof OnnxParseError);
      assert.match(e.message, /truncated\.onnx: not a readable ONNX model/);
      return true;
    });
    const json = join(dir, "json.onnx");
    await writeFile(json, '{"not": "onnx"}');
    await assert.rejects(readOnnxMetadata(json), OnnxParseError);
  });

  test("onnx metadata - a missing file is a MissingFileError", async () => {
    await assert.rejects(readOnnxMetadata("/nonexistent/model.onnx"), (e: Error) => {
      assert.ok(e instanceof MissingFileError);
      assert.match(e.message, /^\/nonexistent\/model\.onnx: /);
      return true;
    });
  });

  test("onnx metadata - an empty file is an OnnxParseError", async () => {
    const dir = await tempDir("meta");
    const path = join(dir, "m.onnx");
    await writeFile(path, new Uint8Array(0));
    await assert.rejects(readOnnxMetadata(path), (e: Error) => e instanceof OnnxParseError && /no graph/.test(e.message));
  });
});
