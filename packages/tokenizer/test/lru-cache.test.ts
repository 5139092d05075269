import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LruCache } from "../src/lru-cache.js";

describe("lru cache", () => {
  test("lru cache - evicts the least recently used entry beyond its cap", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    assert.equal(cache.get("a"), 1); // "b" is now the oldest
    cache.set("c", 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.has("b"), false);
    assert.equal(cache.get("a"), 1);
    assert.equal(cache.get("c"), 3);
  });

  test("lru cache - overwriting a key does not grow the cache", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("a", 2);
    assert.equal(cache.size, 1);
    assert.equal(cache.get("a"), 2);
  });

  test("lru cache - a cap of 0 stores nothing and a bad cap is rejected", () => {
    const cache = new LruCache<string, number>(0);
    cache.set("a", 1);
    assert.equal(cache.size, 0);
    assert.throws(() => new LruCache(-1), RangeError);
    assert.throws(() => new LruCache(1.5), RangeError);
  });
});
