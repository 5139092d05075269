// tasks/tasks.json -> TaskEntry[] with the contract's checks: ids are 0..T-1 in order (the task
// classifier's logit index), names are unique, every embedding has embedding_dim finite floats.
import { TaskTableError } from "./errors.js";
import { isObject, readJsonObject } from "./json-files.js";
import { TaskGroup, type TaskEntry } from "./types.js";

export interface TaskTable {
  /** E, the length of every embedding. */
  readonly embeddingDim: number;
  readonly tasks: readonly TaskEntry[];
}

const GROUPS = new Set<string>(Object.values(TaskGroup));

export async function readTaskTable(path: string): Promise<TaskTable> {
  const json = await readJsonObject(path, "task table");
  const fail = (problem: string): never => {
    throw new TaskTableError(path, problem);
  };
  const rawTasks = json["tasks"];
  if (!Array.isArray(rawTasks) || rawTasks.length === 0) fail(`"tasks" must be a non-empty array`);
  const list = rawTasks as unknown[];

  // embedding_dim is stated by the contract; a hand-written table may omit it, then the first
  // embedding sets it and every other one must match.
  const declared = json["embedding_dim"];
  if (declared !== undefined && !(Number.isInteger(declared) && (declared as number) >= 1)) {
    fail(`"embedding_dim" must be an integer >= 1, got ${JSON.stringify(declared)}`);
  }
  const first = list[0];
  const firstLength = isObject(first) && Array.isArray(first["embedding"]) ? first["embedding"].length : 0;
  const embeddingDim = (declared as number | undefined) ?? firstLength;
  if (embeddingDim < 1) fail(`cannot tell the embedding dim: no "embedding_dim" and tasks[0] has no embedding`);

  const names = new Map<string, number>();
  const tasks = list.map((raw, index): TaskEntry => {
    const at = `tasks[${index}]`;
    if (!isObject(raw)) return fail(`${at} must be an object`);
    if (raw["id"] !== index) fail(`${at}.id must be ${index} (ids are 0..T-1 in order), got ${JSON.stringify(raw["id"])}`);
    const name = raw["name"];
    if (typeof name !== "string" || name.length === 0) return fail(`${at}.name must be a non-empty string`);
    const seen = names.get(name);
    if (seen !== undefined) fail(`${at}.name "${name}" duplicates tasks[${seen}].name`);
    names.set(name, index);
    const group = raw["group"];
    if (typeof group !== "string" || !GROUPS.has(group)) {
      fail(`${at}.group must be one of ${[...GROUPS].join(", ")}, got ${JSON.stringify(group)}`);
    }
    const description = raw["description"] ?? "";
    if (typeof description !== "string") fail(`${at}.description must be a string`);
    const examples = raw["examples"] ?? [];
    if (!Array.isArray(examples) || !examples.every((e) => typeof e === "string")) {
      fail(`${at}.examples must be an array of strings`);
    }
    return {
      id: index,
      name,
      group: group as TaskGroup,
      description: description as string,
      examples: examples as string[],
      embedding: readEmbedding(raw["embedding"], embeddingDim, `${at}.embedding`, fail),
    };
  });
  return { embeddingDim, tasks };
}

function readEmbedding(raw: unknown, dim: number, at: string, fail: (p: string) => never): Float32Array {
  if (!Array.isArray(raw)) return fail(`${at} must be an array of ${dim} numbers`);
  if (raw.length !== dim) fail(`${at} has ${raw.length} values, embedding_dim is ${dim}`);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    const v = raw[i];
    if (typeof v !== "number" || !Number.isFinite(v)) fail(`${at}[${i}] is not a finite number`);
    out[i] = v as number;
  }
  return out;
}
