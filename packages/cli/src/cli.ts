// main(argv) -> exit code. Never calls process.exit, so tests run it in-process.

import { GrpcError } from "@emuedit/proto";
import { parseCommand } from "./args.js";
import type { Env, HelpTopic } from "./args.js";
import { runRegisterTask } from "./register-task.js";
import { runEdit } from "./edit.js";
import type { Io } from "./edit.js";
import { InputFileError, UsageError } from "./errors.js";
import { runTasks } from "./tasks.js";
import { usage } from "./usage.js";

export const ExitCode = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export async function main(argv: readonly string[], io: Io, env: Env = {}, signal?: AbortSignal): Promise<ExitCode> {
  let topic: HelpTopic | undefined;
  try {
    topic = argv[0] === "edit" || argv[0] === "tasks" || argv[0] === "register-task" ? argv[0] : undefined;
    const cmd = parseCommand(argv, env);
    switch (cmd.kind) {
      case "help":
        io.stdout.write(`${usage(cmd.topic)}\n`);
        return ExitCode.ok;
      case "edit":
        await runEdit(cmd, io, signal);
        return ExitCode.ok;
      case "tasks":
        await runTasks(cmd, io, signal);
        return ExitCode.ok;
      case "register-task":
        await runRegisterTask(cmd, io);
        return ExitCode.ok;
    }
  } catch (err) {
    if (signal?.aborted) {
      io.stderr.write("emuedit: interrupted\n");
      return ExitCode.interrupted;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`emuedit: ${err.message}\n\n${usage(topic)}\n`);
      return ExitCode.usage;
    }
    if (err instanceof InputFileError) {
      io.stderr.write(`emuedit: ${err.message}\n`);
      return ExitCode.usage;
    }
    if (err instanceof GrpcError) {
      // e.g. "INVALID_ARGUMENT: image is not a recognised image"
      io.stderr.write(`emuedit: server error: ${err.message}\n`);
      return ExitCode.failure;
    }
    io.stderr.write(`emuedit: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failure;
  }
}
