import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { hostTensor } from "@emuedit/tensors";
import {
  CheckpointFormatError,
  decodeLatent,
  encodeLatent,
  LatentHeader,
  LatentPublishArgumentError,
  type LatentPublishInput,
} from "../src/index.js";

function ramp(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale + 0.1);
}

function input(overrides: Partial<LatentPublishInput> = {}): LatentPublishInput {
  return {
    editId: "edit-1",
    step: 3,
    totalSteps: 10,
    timestep: 681.5,
    latent: hostTensor("float32", [1, 4, 2, 3], ramp(24)),
    schedulerState: [ramp(24, 0.5), ramp(24, -2)],
    seed: 4_000_000_000,
    traceContext: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", other: "x" },
    ...overrides,
  };
}

describe("latent codec", () => {
  test("codec - round trip keeps headers, latent and state bytes", () => {
    const { headers, payload } = encodeLatent(input());
    assert.equal(headers[LatentHeader.Shape], "1,4,2,3");
    assert.equal(headers[LatentHeader.Dtype], "float32");
    assert.equal(headers[LatentHeader.StateCount], "2");
    assert.equal(headers[LatentHeader.PayloadBytes], String(24 * 4 * 3));
    assert.equal(headers["other"], undefined);
    assert.equal(payload.byteLength, 24 * 4 * 3);
    const back = decodeLatent("edit-1", (k) => headers[k], payload);
    assert.equal(back.step, 3);
    assert.equal(back.totalSteps, 10);
    assert.equal(back.timestep, 681.5);
    assert.equal(back.seed, 4_000_000_000);
    assert.deepEqual(back.latent.shape, [1, 4, 2, 3]);
    assert.deepEqual(back.latent.data, ramp(24));
    assert.deepEqual(back.schedulerState, [ramp(24, 0.5), ramp(24, -2)]);
    assert.deepEqual(back.traceContext, { traceparent: input().traceContext?.["traceparent"] });
  });

  test("codec - float16 latent with an odd element count keeps float32 state exact", () => {
    const latent = hostTensor("float16", [1, 1, 1, 3], new Uint16Array([0x3c00, 0xc000, 0x7bff]));
    const { headers, payload } = encodeLatent(input({ latent, schedulerState: [ramp(3)] }));
    assert.equal(payload.byteLength, 3 * 2 + 3 * 4);
    const back = decodeLatent("e", (k) => headers[k], payload.subarray(0));
    assert.deepEqual(back.latent.data, new Uint16Array([0x3c00, 0xc000, 0x7bff]));
    assert.deepEqual(back.schedulerState, [ramp(3)]);
  });

  test("codec - decoding an unaligned payload view copies instead of failing", () => {
    const { headers, payload } = encodeLatent(input({ schedulerState: [] }));
    const shifted = new Uint8Array(payload.byteLength + 1);
    shifted.set(payload, 1);
    const back = decodeLatent("e", (k) => headers[k], shifted.subarray(1));
    assert.deepEqual(back.latent.data, ramp(24));
    // NATS delivers Node Buffers; Buffer#slice is a view into a shared pool, not a copy.
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(payload)]).subarray(3);
    assert.deepEqual(decodeLatent("e", (k) => headers[k], pooled).latent.data, ramp(24));
  });

  test("codec - rejects inconsistent publish arguments", () => {
    assert.throws(() => encodeLatent(input({ step: 0 })), LatentPublishArgumentError);
    assert.throws(() => encodeLatent(input({ step: 11 })), LatentPublishArgumentError);
    assert.throws(() => encodeLatent(input({ timestep: NaN })), LatentPublishArgumentError);
    assert.throws(() => encodeLatent(input({ schedulerState: [ramp(23)] })), /schedulerState\[0\] has 23 elements/);
  });

  test("codec - rejects malformed headers and short payloads", () => {
    const { headers, payload } = encodeLatent(input());
    const bad = (patch: Record<string, string | undefined>, bytes = payload) =>
      decodeLatent("e", (k) => (k in patch ? patch[k] : headers[k]), bytes);
    assert.throws(() => bad({ [LatentHeader.Step]: "x" }), CheckpointFormatError);
    assert.throws(() => bad({ [LatentHeader.Dtype]: "float64" }), /unknown dtype/);
    assert.throws(() => bad({ [LatentHeader.Shape]: "1,a" }), /Shape is malformed/);
    assert.throws(() => bad({ [LatentHeader.Seed]: undefined }), CheckpointFormatError);
    assert.throws(() => bad({}, payload.subarray(1)), /payload has/);
  });
});
