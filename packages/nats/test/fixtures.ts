import type { TaskEntry } from "../src/index.js";

/** A small deterministic task entry; `dim`-element embedding derived from id. */
export function task(id: number, name: string, dim = 8): TaskEntry {
  return {
    id,
    name,
    group: id < 5 ? "region" : "free-form",
    description: `task ${name}`,
    examples: [`please ${name} it`],
    embedding: Float32Array.from({ length: dim }, (_, i) => Math.fround(Math.sin(id * 10 + i) / 3)),
  };
}
