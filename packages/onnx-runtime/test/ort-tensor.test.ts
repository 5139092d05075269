import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "onnxruntime-node";
import { hostTensor, TensorDTypeError, type DTypeName, type HostTensor } from "@emuedit/tensors";
import { fromOrtTensor, toOrtTensor } from "../src/index.js";

const samples: Record<DTypeName, HostTensor["data"]> = {
  float32: new Float32Array([0, -1.5, 3.25, 1e-30, -0, 65504]),
  float16: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00]),
  int32: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31), 7, 42]),
  int64: new BigInt64Array([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 7n, 49407n]),
  uint8: new Uint8Array([0, 1, 127, 128, 254, 255]),
};

describe("ort tensors", () => {
  for (const [dtype, data] of Object.entries(samples) as [DTypeName, HostTensor["data"]][]) {
    test(`ort tensors - ${dtype} round-trips host <-> ort sharing the typed array`, () => {
      const host = hostTensor(dtype, [2, 3], data);
      const ort = toOrtTensor(host);
      assert.equal(ort.type, dtype);
      assert.deepEqual(ort.dims, [2, 3]);
      assert.equal(ort.data, host.data, "ort shares the typed array");
      assert.deepEqual(fromOrtTensor(ort), { dtype, shape: [2, 3], data });
    });
  }

  test("ort tensors - an unsupported ort dtype is a TensorDTypeError", () => {
    assert.throws(() => fromOrtTensor(new Tensor("float64", new Float64Array(1), [1])), TensorDTypeError);
    assert.throws(() => fromOrtTensor(new Tensor("bool", new Uint8Array(1), [1])), TensorDTypeError);
  });
});
