import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DType, TensorSchema } from "@emuedit/proto";
import {
  float32Tensor,
  hostTensor,
  tensorFromProto,
  tensorToProto,
  TensorByteLengthError,
  TensorDTypeError,
  TensorShapeError,
  type DTypeName,
  type HostTensor,
} from "@emuedit/tensors";

// Six elements of each dtype, with values that exercise sign and range.
const samples: Record<DTypeName, HostTensor["data"]> = {
  float32: new Float32Array([0, -1.5, 3.25, 1e-30, -0, 65504]),
  float16: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00]),
  int32: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31), 7, 42]),
  int64: new BigInt64Array([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 7n, 49407n]),
  uint8: new Uint8Array([0, 1, 127, 128, 254, 255]),
};

describe("tensors", () => {
  for (const [dtype, data] of Object.entries(samples) as [DTypeName, HostTensor["data"]][]) {
    test(`tensors - ${dtype} round-trips proto <-> host`, () => {
      const host = hostTensor(dtype, [2, 3], data);
      const wire = toBinary(TensorSchema, create(TensorSchema, tensorToProto(host)));
      const back = tensorFromProto(fromBinary(TensorSchema, wire), { dtype, shape: [null, 3], name: "x" });
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(back.data, data);
    });
  }

  test("tensors - tensorToProto views the host bytes without copying", () => {
    const host = float32Tensor([4]);
    const proto = tensorToProto(host);
    assert.equal(proto.dtype, DType.DTYPE_FLOAT32);
    host.data[1] = 2;
    assert.deepEqual([...new Float32Array((proto.data as Uint8Array).slice().buffer)], [0, 2, 0, 0]);
  });

  test("tensors - aligned proto bytes are viewed, not copied", () => {
    const backing = new Uint8Array(64);
    const bytes = backing.subarray(8, 8 + 16);
    const h = tensorFromProto(create(TensorSchema, { dtype: DType.DTYPE_INT64, shape: [2], data: bytes }));
    assert.equal(h.data.buffer, backing.buffer);
    assert.equal(h.data.byteOffset, 8);
  });

  for (const dtype of ["float32", "float16", "int32", "int64"] as const) {
    test(`tensors - misaligned ${dtype} bytes are copied once and read correctly`, () => {
      const source = samples[dtype];
      const bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
      const backing = new Uint8Array(bytes.byteLength + 1);
      backing.set(bytes, 1);
      const misaligned = backing.subarray(1);
      const h = tensorFromProto(create(TensorSchema, { dtype: DType[`DTYPE_${dtype.toUpperCase()}` as keyof typeof DType], shape: [6], data: misaligned }));
      assert.notEqual(h.data.buffer, backing.buffer);
      assert.equal(h.data.byteOffset, 0);
      assert.deepEqual(h.data, source);
    });
  }

  test("tensors - misaligned bytes inside a Node Buffer (as grpc-js and NATS deliver them) read correctly", () => {
    const source = samples.float32;
    const pool = Buffer.alloc(source.byteLength + 3, 0xaa);
    Buffer.from(source.buffer, source.byteOffset, source.byteLength).copy(pool, 3);
    const misaligned = pool.subarray(3);
    const h = tensorFromProto(create(TensorSchema, { dtype: DType.DTYPE_FLOAT32, shape: [6], data: misaligned }));
    assert.deepEqual(h.data, source);
  });

  test("tensors - a scalar has one element", () => {
    const h = tensorFromProto(create(TensorSchema, { dtype: DType.DTYPE_FLOAT32, shape: [], data: new Uint8Array(4) }));
    assert.deepEqual(h.shape, []);
    assert.equal(h.data.length, 1);
  });

  test("tensors - unknown or unspecified dtype is a TensorDTypeError", () => {
    const unspecified = create(TensorSchema, { shape: [1], data: new Uint8Array(4) });
    assert.throws(() => tensorFromProto(unspecified, { name: "latent" }), {
      name: "TensorDTypeError",
      message: /latent: dtype DTYPE_UNSPECIFIED is not supported/,
    });
    const future = create(TensorSchema, { dtype: 99 as DType, shape: [1], data: new Uint8Array(4) });
    assert.throws(() => tensorFromProto(future), TensorDTypeError);
  });

  test("tensors - wrong expected dtype names the field", () => {
    const t = create(TensorSchema, tensorToProto(float32Tensor([1, 2])));
    assert.throws(() => tensorFromProto(t, { dtype: "uint8", name: "images" }), {
      name: "TensorDTypeError",
      message: "images: expected dtype uint8, got float32",
    });
  });

  test("tensors - wrong expected shape names the field", () => {
    const t = create(TensorSchema, tensorToProto(float32Tensor([1, 4, 8, 8])));
    assert.throws(() => tensorFromProto(t, { shape: [1, 8, null, null], name: "image_latent" }), {
      name: "TensorShapeError",
      message: "image_latent: expected shape [1,8,?,?], got [1,4,8,8]",
    });
    assert.throws(() => tensorFromProto(t, { shape: [1, 4, null] }), TensorShapeError);
  });

  test("tensors - byte length must equal product(shape) * item size", () => {
    const t = create(TensorSchema, { dtype: DType.DTYPE_FLOAT16, shape: [2, 3], data: new Uint8Array(11) });
    assert.throws(() => tensorFromProto(t, { name: "latent" }), {
      name: "TensorByteLengthError",
      message: "latent: float16 [2,3] needs 12 bytes, data has 11",
    });
    const huge = create(TensorSchema, { dtype: DType.DTYPE_UINT8, shape: [0xffffffff, 0xffffffff, 0xffffffff], data: new Uint8Array(1) });
    assert.throws(() => tensorFromProto(huge), (e) => e instanceof TensorShapeError || e instanceof TensorByteLengthError);
  });

  test("tensors - hostTensor checks the array type and element count", () => {
    assert.throws(() => hostTensor("float32", [2], new Int32Array(2)), TensorDTypeError);
    assert.throws(() => hostTensor("float32", [2, 2], new Float32Array(3)), {
      name: "TensorShapeError",
      message: "tensor: shape [2,2] needs 4 elements, data has 3",
    });
    assert.throws(() => hostTensor("uint8", [1.5], new Uint8Array(1)), TensorShapeError);
    assert.throws(() => float32Tensor([2], new Float32Array(3)), TensorShapeError);
    assert.deepEqual(float32Tensor([2, 2]).data, new Float32Array(4));
  });
});
