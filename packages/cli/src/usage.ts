// Help texts. Printed to stdout for --help, to stderr after a usage error.

import { DEFAULT_EDIT_TIMEOUT_MS, DEFAULT_SERVER, DEFAULT_TASKS_TIMEOUT_MS, SERVER_ENV } from "./args.js";

const EDIT = `emuedit edit <image> "<instruction>" -o <output> [options]

Edits <image> as the instruction says, through the gateway's EditorService.EditStream,
showing denoising progress on stderr, and writes the result to <output>.

Options:
  -o, --output <file>       where to write the result (required)
  --task <name>             task to apply (see "emuedit tasks"); default: predicted
  --steps <n>               denoising steps (1-1000); default: the model's
  --seed <n>                noise seed (0-4294967295); default: chosen by the server
  --guidance <g>            text guidance scale; default: the model's
  --image-guidance <g>      image guidance scale; default: the model's
  --format png|jpeg|webp    output format; default: from <output>'s extension, else png
  --server <host:port>      gateway gRPC address; default: $${SERVER_ENV} or ${DEFAULT_SERVER}
  --timeout-ms <ms>         deadline for the whole edit; default ${DEFAULT_EDIT_TIMEOUT_MS}
  -h, --help                this help`;

const TASKS = `emuedit tasks [--server <host:port>] [--timeout-ms <ms>]

Lists the tasks the server knows (name, group, description).
  --server <host:port>      default: $${SERVER_ENV} or ${DEFAULT_SERVER}
  --timeout-ms <ms>         default ${DEFAULT_TASKS_TIMEOUT_MS}`;

const GENERAL = `emuedit: instruction-based image editing client

Usage:
  emuedit edit <image> "<instruction>" -o <output> [options]
  emuedit tasks [options]
  emuedit help [edit|tasks]

Exit status: 0 success, 1 server or I/O error, 2 usage error, 130 interrupted.`;

export function usage(topic: "edit" | "tasks" | undefined): string {
  switch (topic) {
    case "edit":
      return EDIT;
    case "tasks":
      return TASKS;
    default:
      return GENERAL;
  }
}
