// Task-registry writes over HTTP (API keys with the `admin` scope): PUT /v1/tasks/{name} with one
// tasks.json entry as JSON, DELETE /v1/tasks/{name}. The same registry `emuedit register-task`
// writes to NATS directly; every gateway's task cache follows the bucket either way.
import type { IncomingMessage } from "node:http";
import { EmueditError, Status } from "@emuedit/errors";
import { decodeTaskEntry, TaskEntryFormatError, validateTaskName, type TaskRegistry } from "@emuedit/nats";
import { readBody } from "./http-body.js";

export const TASK_ADMIN_ROUTE = "/v1/tasks/";

/** Entries written through the API, like `emuedit register-task`'s: never replaced by seeding. */
const USER_ORIGIN = "user";

/** Creates or replaces the task; resolves with the reply's JSON body. */
export async function putTask(registry: TaskRegistry, maxBodyBytes: number, req: IncomingMessage): Promise<{ name: string; revision: number }> {
  const name = taskName(req);
  if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
    throw new EmueditError(Status.UnsupportedMediaType, "send the task entry as application/json");
  }
  const body = await readBody(req, maxBodyBytes);
  let entry;
  try {
    entry = decodeTaskEntry(name, body);
  } catch (err) {
    if (err instanceof TaskEntryFormatError) throw new EmueditError(Status.InvalidArgument, err.message, { code: "invalid_task_entry", cause: err });
    throw err;
  }
  const revision = await registry.put({ ...entry, origin: entry.origin ?? USER_ORIGIN });
  return { name, revision };
}

export async function deleteTask(registry: TaskRegistry, req: IncomingMessage): Promise<{ name: string; deleted: true }> {
  const name = taskName(req);
  if ((await registry.get(name)) === null) throw new EmueditError(Status.NotFound, `no task named ${JSON.stringify(name)}`, { code: "unknown_task" });
  await registry.delete(name);
  return { name, deleted: true };
}

function taskName(req: IncomingMessage): string {
  const path = new URL(req.url ?? "/", "http://gateway").pathname;
  // validateTaskName's [a-z0-9_-]+ needs no percent-decoding: an encoded name is simply invalid.
  return validateTaskName(path.slice(TASK_ADMIN_ROUTE.length));
}
