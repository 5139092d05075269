// `emuedit edit`: read the image, stream the edit from the gateway, write the result, report.

import { authMetadata } from "./auth-metadata.js";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { EditorService, createClient } from "@emuedit/proto";
import type { EditResponse } from "@emuedit/proto";
import type { EditCommand } from "./args.js";
import { InputFileError, OutputFileError, StreamProtocolError } from "./errors.js";
import { ProgressReporter } from "./progress.js";
import type { TextOutput } from "./progress.js";

export interface Io {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
}

export async function runEdit(cmd: EditCommand, io: Io, signal?: AbortSignal): Promise<void> {
  const startedMs = performance.now();
  const image = await readInput(cmd.image);
  const client = createClient(EditorService, cmd.server);
  const progress = new ProgressReporter(io.stderr);
  let result: EditResponse | undefined;
  try {
    const stream = client.editStream(
      {
        edit: {
          image,
          instruction: cmd.instruction,
          task: cmd.task,
          steps: cmd.steps,
          seed: cmd.seed,
          guidanceScale: cmd.guidanceScale,
          imageGuidanceScale: cmd.imageGuidanceScale,
          outputFormat: cmd.format,
          preserveUnedited: cmd.preserveUnedited,
          size: cmd.size,
        },
      },
      { deadlineMs: cmd.timeoutMs, ...(signal ? { signal } : {}), ...authMetadata(cmd.apiKey) },
    );
    for await (const message of stream) {
      const event = message.event;
      if (event.case === "progress") progress.update(event.value);
      else if (event.case === "result") result = event.value;
    }
  } finally {
    progress.finish();
    client.close();
  }
  if (result === undefined) throw new StreamProtocolError("the server ended the edit stream without a result");
  await writeOutput(cmd.output, result.image);
  io.stdout.write(summary(cmd.output, result, performance.now() - startedMs));
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new InputFileError(`cannot read image "${path}": ${reason}`, { cause: err });
  }
}

/** Writes to a temporary file beside `path`, then renames: no half-written result on failure. */
async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new OutputFileError(`cannot write "${path}": ${reason}`, { cause: err });
  }
}

function summary(output: string, r: EditResponse, wallMs: number): string {
  const task = r.taskPredicted
    ? `${r.task} (predicted, confidence ${r.taskConfidence.toFixed(2)})`
    : `${r.task} (requested)`;
  const stages = r.timings.map((t) => `${t.stage} ${formatMs(t.durationMs)}`);
  stages.push(`wall ${formatMs(wallMs)}`);
  return [
    `wrote ${output} (${r.mimeType}, ${r.width}x${r.height}, ${r.image.length} bytes)`,
    `edit    ${r.id}`,
    `task    ${task}`,
    `seed    ${r.seed}`,
    `timings ${stages.join(", ")}`,
    "",
  ].join("\n");
}

function formatMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}
