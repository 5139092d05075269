// Help texts. Printed to stdout for --help, to stderr after a usage error.

import { DEFAULT_EDIT_TIMEOUT_MS, DEFAULT_NATS_URL, DEFAULT_SERVER, DEFAULT_TASKS_TIMEOUT_MS, SERVER_ENV, type HelpTopic } from "./args.js";

const EDIT = `emuedit edit <image> "<instruction>" -o <output> [options]

Edits <image> as the instruction says, through the gateway's EditorService.EditStream,
showing denoising progress on stderr, and writes the result to <output>.

Options:
  -o, --output <file>       where to write the result (required)
  --task <name>             task to apply (see "emuedit tasks"); default: predicted
  --steps <n>               denoising steps (>= 1, at most the server's EMUEDIT_MAX_STEPS,
                            150 by default); default: the model's
  --seed <n>                noise seed (0-4294967295); default: chosen by the server
  --guidance <g>            text guidance scale; default: the model's
  --image-guidance <g>      image guidance scale; default: the model's
  --format png|jpeg|webp    output format; default: from <output>'s extension, else png
  --size original|working   result at the input's size or the model's working size; default original
  --preserve-unedited       keep the input's pixels where the edit barely changed them
                            (per-pixel thresholding, for multi-turn editing)
  --server <host:port>      gateway gRPC address; default: $${SERVER_ENV} or ${DEFAULT_SERVER}
  --timeout-ms <ms>         deadline for the whole edit; default ${DEFAULT_EDIT_TIMEOUT_MS}
  -h, --help                this help
The gateway's API key, when it requires one, is read from $EMUEDIT_API_KEY.`;

const TASKS = `emuedit tasks [--server <host:port>] [--timeout-ms <ms>]

Lists the tasks the server knows (name, group, description).
  --server <host:port>      default: $${SERVER_ENV} or ${DEFAULT_SERVER}
  --timeout-ms <ms>         default ${DEFAULT_TASKS_TIMEOUT_MS}
The gateway's API key, when it requires one, is read from $EMUEDIT_API_KEY.`;

const REGISTER_TASK = `emuedit register-task <entry.json> [--nats <url>] [--json]

Publishes a task (e.g. one learned by task inversion) to the running system's task registry,
the NATS KV bucket emuedit_tasks; gateways use it from their next edit, no restart. The file is
one tasks.json entry: {"id", "name", "group", "description", "examples", "embedding"}. An
embedding whose length differs from the served model's (read from the entries its gateway seeded)
is refused: it was learned on another model.
  --nats <url>              default: $NATS_URL or ${DEFAULT_NATS_URL}
  --json                    print {"bucket","key","revision"} as one JSON line`;

const KEYS = `emuedit keys create --name <name> [--scope edit|admin]... [--rate <per s>] [--burst <n>] [--concurrency <n>]
emuedit keys list
emuedit keys revoke <id>

Manages the gateway's API keys in the NATS KV bucket emuedit_api_keys (every gateway replica
watches it: a new key works, a revoked one stops working, within moments). create prints the key
once; only its SHA-256 is stored. Scopes: edit (edits, task list), admin (task-registry writes);
default edit. --rate, --burst and --concurrency override the gateway's per-key quota settings.
Clients send the key as "Authorization: Bearer <key>" (gRPC: metadata authorization); the CLI's
edit and tasks read it from $EMUEDIT_API_KEY.
  --nats <url>              default: $NATS_URL or ${DEFAULT_NATS_URL}
  --json                    machine-readable output`;

const GENERAL = `emuedit: instruction-based image editing client

Usage:
  emuedit edit <image> "<instruction>" -o <output> [options]
  emuedit tasks [options]
  emuedit register-task <entry.json> [--nats <url>]
  emuedit keys create|list|revoke [options]
  emuedit help [edit|tasks|register-task|keys]

Exit status: 0 success, 1 server or I/O error, 2 usage error, 130 interrupted.`;

export function usage(topic: HelpTopic | undefined): string {
  switch (topic) {
    case "register-task":
      return REGISTER_TASK;
    case "keys":
      return KEYS;
    case "edit":
      return EDIT;
    case "tasks":
      return TASKS;
    default:
      return GENERAL;
  }
}
