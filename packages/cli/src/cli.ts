// main(argv) -> exit code. Never calls process.exit, so tests run it in-process.

import { GrpcError, GrpcStatus } from "@emuedit/proto";
import { parseCommand } from "./args.js";
import { SERVER_ENV, type Env, type HelpTopic } from "./args.js";
import { runKeys } from "./keys.js";
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
  let server: string | undefined;
  try {
    topic = argv[0] === "edit" || argv[0] === "tasks" || argv[0] === "register-task" || argv[0] === "keys" ? argv[0] : undefined;
    const cmd = parseCommand(argv, env);
    if (cmd.kind === "edit" || cmd.kind === "tasks") server = cmd.server;
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
      case "keys":
        await runKeys(cmd, io);
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
    if (err instanceof GrpcError && err.grpcCode === GrpcStatus.UNAVAILABLE && server !== undefined) {
      io.stderr.write(
        `emuedit: cannot reach the emuedit gateway at ${server} (${err.grpcDetails}).\n` +
          `Is the system running? Start it with \`pnpm start\` from the repository, or point --server (or $${SERVER_ENV}) at a running gateway's gRPC address.\n`,
      );
      return ExitCode.failure;
    }
    if (err instanceof GrpcError) {
      // e.g. "INVALID_ARGUMENT: steps: must be an integer in 1..150, got 1000"
      io.stderr.write(`emuedit: server error: ${GrpcStatus[err.grpcCode] ?? err.grpcCode}: ${err.grpcDetails}\n`);
      return ExitCode.failure;
    }
    io.stderr.write(`emuedit: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failure;
  }
}

