// `emuedit tasks`: the server's task table as aligned text.

import { authMetadata } from "./auth-metadata.js";
import { EditorService, createClient } from "@emuedit/proto";
import type { TasksCommand } from "./args.js";
import type { Io } from "./edit.js";

export async function runTasks(cmd: TasksCommand, io: Io, signal?: AbortSignal): Promise<void> {
  const client = createClient(EditorService, cmd.server);
  try {
    const { tasks } = await client.listTasks({}, { deadlineMs: cmd.timeoutMs, ...(signal ? { signal } : {}), ...authMetadata(cmd.apiKey) });
    const rows = tasks.map((t) => [t.name, t.group, t.description] as const);
    const nameWidth = Math.max(4, ...rows.map((r) => r[0].length));
    const groupWidth = Math.max(5, ...rows.map((r) => r[1].length));
    const format = (a: string, b: string, c: string) => `${a.padEnd(nameWidth)}  ${b.padEnd(groupWidth)}  ${c}`.trimEnd();
    const lines = [format("NAME", "GROUP", "DESCRIPTION"), ...rows.map(([a, b, c]) => format(a, b, c))];
    io.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    client.close();
  }
}
