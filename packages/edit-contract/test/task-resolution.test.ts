import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Status } from "@emuedit/errors";
import { rankTasks, resolveTask, TaskUnclearError, UnknownTaskError, type TaskRef } from "../src/index.js";

const names = ["add", "remove", "sketch", "style"];
const tasks: TaskRef[] = names.map((name, id) => ({ id, name, embedding: new Float32Array(2).fill(id) }));
const source = { get: (n: string) => tasks.find((t) => t.name === n), list: () => tasks };
/** Logits whose softmax gives roughly `probs`. */
const logits = (probs: number[]) => ({ dtype: "float32" as const, shape: [1, probs.length], data: Float32Array.from(probs, Math.log) });

describe("task resolution", () => {
  test("tasks - an explicit task is honoured whatever the classifier thinks", () => {
    const r = resolveTask(source, "style", logits([0.97, 0.01, 0.01, 0.01]), 0.99);
    assert.deepEqual([r?.task.name, r?.predicted, r?.confidence], ["style", false, 1]);
  });

  test("tasks - an unknown explicit task lists the known ones", () => {
    assert.throws(() => resolveTask(source, "paint", null), (e: unknown) => e instanceof UnknownTaskError && e.code === "unknown_task" && e.status === Status.InvalidArgument);
  });

  test("tasks - a confident prediction is accepted with its probability", () => {
    const r = resolveTask(source, undefined, logits([0.05, 0.9, 0.03, 0.02]), 0.5);
    assert.equal(r?.task.name, "remove");
    assert.equal(r?.predicted, true);
    assert.ok(Math.abs(r!.confidence - 0.9) < 1e-6);
  });

  test("tasks - below the minimum confidence the edit is refused, naming the top candidates", () => {
    assert.throws(
      () => resolveTask(source, undefined, logits([0.1, 0.2, 0.45, 0.25]), 0.5),
      (e: unknown) => {
        assert.ok(e instanceof TaskUnclearError);
        assert.equal(e.status, Status.Unprocessable);
        assert.equal(e.code, "task_unclear");
        assert.deepEqual(e.candidates.map((c) => c.task), ["sketch", "style", "remove"]);
        assert.match(e.message, /sketch 0\.45, style 0\.25, remove 0\.20/);
        assert.match(e.message, /"task" field/);
        assert.deepEqual(e.details?.min_confidence, 0.5);
        return true;
      },
    );
    // 0 (the in-process default) accepts any prediction
    assert.equal(resolveTask(source, undefined, logits([0.1, 0.2, 0.45, 0.25]), 0)?.task.name, "sketch");
  });

  test("tasks - a model without tasks resolves to none", () => {
    assert.equal(resolveTask({ get: () => undefined, list: () => [] }, undefined, null, 0.9), null);
  });

  test("tasks - ranking orders every task by probability; ids outside the logits are left out", () => {
    const ranked = rankTasks({ get: source.get, list: () => [...tasks, { id: 9, name: "ghost", embedding: new Float32Array(2) }] }, logits([0.1, 0.6, 0.25, 0.05]));
    assert.deepEqual(ranked.map((r) => r.task.name), ["remove", "sketch", "add", "style"]);
    assert.ok(Math.abs(ranked[0]!.confidence - 0.6) < 1e-6);
    assert.ok(Math.abs(ranked.reduce((s, r) => s + r.confidence, 0) - 1) < 1e-6);
  });
});
