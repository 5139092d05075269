import { test } from "node:test";
import assert from "node:assert/strict";
import { formatShape, shapeSize } from "@emuedit/tensors";

test("shape - size is the product of dims, 1 for a scalar", () => {
  assert.equal(shapeSize([1, 4, 64, 64]), 16384);
  assert.equal(shapeSize([]), 1);
  assert.equal(shapeSize([3, 0, 2]), 0);
});

test("shape - format is compact with ? for unknown dims", () => {
  assert.equal(formatShape([1, 4, 64, 64]), "[1,4,64,64]");
  assert.equal(formatShape([]), "[]");
  assert.equal(formatShape([null, 77]), "[?,77]");
});
