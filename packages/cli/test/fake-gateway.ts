// A test double for the GATEWAY only (the CLI's tests are about the CLI): a real grpc-js server
// on 127.0.0.1 implementing EditorService from the proto. It echoes the input image back as
// the "edited" image, reporting honest progress for the requested number of steps.

import { Server, ServerCredentials } from "@grpc/grpc-js";
import { EditorService, GrpcError, GrpcStatus, addService, grpcChannelOptions } from "@emuedit/proto";

const invalidArgument = (details: string) => new GrpcError(GrpcStatus.INVALID_ARGUMENT, details);
const notFound = (details: string) => new GrpcError(GrpcStatus.NOT_FOUND, details);
import type { EditRequest } from "@emuedit/proto";

export const FAKE_TASKS = [
  { name: "global", group: "free-form", description: "change the whole image", examples: ["make it winter"] },
  { name: "remove", group: "region", description: "remove an object", examples: ["remove the cat"] },
];

export interface FakeGateway {
  readonly address: string;
  /** Every EditRequest the server received, in order. */
  readonly received: EditRequest[];
  stop(): void;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR; undefined for anything else. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export async function startFakeGateway(options: { stepDelayMs?: number } = {}): Promise<FakeGateway> {
  const received: EditRequest[] = [];
  const server = new Server(grpcChannelOptions());
  addService(server, EditorService, {
    async edit() {
      throw invalidArgument("the fake gateway only implements EditStream");
    },
    async *editStream(request, ctx) {
      const edit = request.edit;
      if (edit === undefined) throw invalidArgument("edit is required");
      received.push(edit);
      if (edit.image.length === 0) throw invalidArgument("image is empty");
      if (edit.task !== "" && !FAKE_TASKS.some((t) => t.name === edit.task)) {
        throw notFound(`unknown task "${edit.task}"`);
      }
      const size = pngSize(edit.image);
      if (size === undefined) throw invalidArgument("the fake gateway only echoes PNG images");
      const started = performance.now();
      const totalSteps = edit.steps ?? 4;
      yield { event: { case: "progress", value: { step: 0, totalSteps, stage: "denoise" } } };
      for (let step = 1; step <= totalSteps; step++) {
        if (options.stepDelayMs) await new Promise((r) => setTimeout(r, options.stepDelayMs));
        if (ctx.signal.aborted) return;
        yield { event: { case: "progress", value: { step, totalSteps, stage: "denoise" } } };
      }
      yield {
        event: {
          case: "result",
          value: {
            id: `fake-${received.length}`,
            image: edit.image,
            mimeType: "image/png",
            ...size,
            task: edit.task || "global",
            taskPredicted: edit.task === "",
            taskConfidence: edit.task === "" ? 0.75 : 0,
            seed: edit.seed ?? 42,
            timings: [{ stage: "denoise", durationMs: performance.now() - started }],
          },
        },
      };
    },
    async listTasks() {
      return { tasks: FAKE_TASKS };
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, received, stop: () => server.forceShutdown() };
}
