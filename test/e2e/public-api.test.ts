// The public API's edge across processes, with API keys required: the official `openai` client
// against POST /v1/images/edits, keys made with `emuedit keys`, scopes on HTTP and gRPC,
// revocation, per-key quotas, Idempotency-Key, and gRPC server reflection.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import sharp from "sharp";
import OpenAI, { toFile } from "openai";
import fc from "fast-check";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Client, credentials, loadPackageDefinition, Metadata, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { createClient, EditorService, EditRequestSchema, GrpcError, GrpcStatus } from "@emuedit/proto";
import { waitFor } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, createApiKey, editForm, emueditKeys, FIXTURE_MODEL, sceneBytes } from "./helpers.js";

let sys: RunningSystem;
let editKey: string;
let adminKey: string;
let image: Buffer;

const keys = (...argv: string[]) => emueditKeys(sys.natsUrl, ...argv);
const createKey = (...argv: string[]) => createApiKey(sys.natsUrl, ...argv);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

before(async () => {
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    env: { ...ACCEPT_ANY_TASK, EMUEDIT_AUTH: "required", EMUEDIT_OPENAI_SIZES: "96x64,256x256", EMUEDIT_MAX_CONCURRENT_EDITS: "4" },
  });
  // The editor key runs the property tests: a quota far above their request rate.
  editKey = (await createKey("--name", "editor", "--rate", "1000", "--burst", "1000")).key;
  adminKey = (await createKey("--name", "admin", "--scope", "admin")).key;
  image = await sceneBytes();
  // The gateway learns keys through its bucket watch.
  await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(editKey) })).ok, { timeoutMs: 10_000 });
});

after(async () => {
  await sys?.stop();
});

const openai = (key = editKey) => new OpenAI({ apiKey: key, baseURL: `${sys.httpUrl}/v1`, maxRetries: 0 });

async function png(bytes: Uint8Array) {
  const meta = await sharp(bytes).metadata();
  return { format: meta.format, width: meta.width, height: meta.height };
}

describe("openai endpoint", () => {
  test("openai - the official client gets n images of the asked size as b64_json", async () => {
    const res = await openai().images.edit({
      image: await toFile(image, "scene.png", { type: "image/png" }),
      prompt: "make the circle blue",
      n: 2,
      size: "256x256" as never,
      response_format: "b64_json",
      model: "fixture-tiny",
    });
    assert.ok(Math.abs(res.created - Date.now() / 1000) < 600);
    assert.equal(res.data?.length, 2);
    const [a, b] = res.data!.map((d) => Buffer.from(d.b64_json!, "base64"));
    assert.deepEqual(await png(a!), { format: "png", width: 256, height: 256 });
    assert.deepEqual(await png(b!), { format: "png", width: 256, height: 256 });
    assert.ok(!a!.equals(b!), "n images use n seeds");
  });

  test("openai - response_format url links to the image, served by the gateway", async () => {
    const res = await openai().images.edit({ image: await toFile(image, "scene.png"), prompt: "make the circle blue", size: "96x64" as never, response_format: "url" });
    const url = res.data![0]!.url!;
    assert.ok(url.startsWith(`${sys.httpUrl}/v1/images/results/`), url);
    const download = await fetch(url);
    assert.equal(download.status, 200);
    assert.deepEqual(await png(new Uint8Array(await download.arrayBuffer())), { format: "png", width: 96, height: 64 });
    assert.equal((await fetch(`${url.slice(0, -8)}AAAAAAA.png`)).status, 404);
  });

  test("openai - errors come in OpenAI's shape with the right status", async () => {
    const file = await toFile(image, "scene.png");
    await assert.rejects(openai().images.edit({ image: file, prompt: "x", model: "dall-e-2" }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.equal(err.code, "model_not_found");
      assert.equal(err.param, "model");
      assert.equal(err.type, "invalid_request_error");
      return true;
    });
    await assert.rejects(openai().images.edit({ image: file, prompt: "x", n: 9 }), (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === "n");
    await assert.rejects(openai().images.edit({ image: file, prompt: "x", size: "1024x1024" }), (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === "size");
    await assert.rejects(openai("emk_0000000000000000_" + "A".repeat(43)).images.edit({ image: file, prompt: "x" }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
      assert.equal(err.type, "authentication_error");
      return true;
    });
  });
});

describe("api keys", () => {
  test("auth - no key or a bad key is 401 on HTTP and UNAUTHENTICATED on gRPC; probes stay open", async () => {
    const none = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", body: editForm({ image, instruction: "x" }) });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), "Bearer");
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, "invalid_api_key");
    assert.equal((await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(`${editKey}x`) })).status, 401);
    assert.equal((await fetch(`${sys.httpUrl}/healthz`)).status, 200);
    const client = createClient(EditorService, sys.grpcAddress);
    try {
      await assert.rejects(client.listTasks({}, { deadlineMs: 5000 }), (e: unknown) => e instanceof GrpcError && e.grpcCode === GrpcStatus.UNAUTHENTICATED);
      const md = new Metadata();
      md.set("authorization", `Bearer ${editKey}`);
      assert.ok((await client.listTasks({}, { deadlineMs: 5000, metadata: md })).tasks.length > 0);
    } finally {
      client.close();
    }
  });

  test("auth - a key without the scope is 403 / PERMISSION_DENIED; admin writes the task registry", async () => {
    const entry = { id: 99, name: "contour", group: "vision", description: "outline", examples: ["outline it"], embedding: [] as number[] };
    const tasks = (await (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(editKey) })).json()) as { tasks: { name: string }[] };
    assert.ok(tasks.tasks.length > 0);
    const put = (key: string) =>
      fetch(`${sys.httpUrl}/v1/tasks/contour`, { method: "PUT", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify({ ...entry, embedding: Array(8).fill(0.5) }) });
    const denied = await put(editKey);
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as { error: { code: string } }).error.code, "insufficient_scope");
    assert.equal((await put(adminKey)).status, 200);
    await waitFor(async () => {
      const list = (await (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(editKey) })).json()) as { tasks: { name: string }[] };
      return list.tasks.some((t) => t.name === "contour");
    }, { timeoutMs: 10_000 });
    assert.equal((await fetch(`${sys.httpUrl}/v1/tasks/contour`, { method: "DELETE", headers: bearer(adminKey) })).status, 200);
    const client = createClient(EditorService, sys.grpcAddress);
    try {
      const md = new Metadata();
      md.set("authorization", `Bearer ${adminKey}`);
      await assert.rejects(client.listTasks({}, { deadlineMs: 5000, metadata: md }), (e: unknown) => e instanceof GrpcError && e.grpcCode === GrpcStatus.PERMISSION_DENIED);
    } finally {
      client.close();
    }
  });

  test("auth - a revoked key stops working within the bound (the bucket watch)", async () => {
    const { key, id } = await createKey("--name", "short-lived");
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(key) })).status === 200, { timeoutMs: 10_000 });
    await keys("revoke", id);
    // Generous for a loaded machine; the watch usually delivers within milliseconds.
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(key) })).status === 401, { timeoutMs: 10_000, description: "401 after revocation" });
  });
});

describe("quotas", () => {
  test("quota - past the burst: 429 with Retry-After and RateLimit headers", async () => {
    const { key } = await createKey("--name", "slow", "--rate", "0.05", "--burst", "2");
    const post = () => fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: bearer(key), body: editForm({ image, instruction: "make it blue", steps: "1" }) });
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(key) })).ok, { timeoutMs: 10_000 });
    const first = await post();
    assert.equal(first.status, 200, await first.clone().text());
    assert.equal(first.headers.get("ratelimit-limit"), "2");
    assert.equal(first.headers.get("ratelimit-remaining"), "1");
    assert.equal((await post()).status, 200);
    const refused = await post();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal(refused.headers.get("ratelimit-remaining"), "0");
    assert.ok(Number(refused.headers.get("ratelimit-reset")) > 0);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "rate_limited");
  });

  test("quota - a key's concurrent edits are capped across the edges, the slot frees after", async () => {
    const { key } = await createKey("--name", "one-at-a-time", "--concurrency", "1");
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(key) })).ok, { timeoutMs: 10_000 });
    const md = new Metadata();
    md.set("authorization", `Bearer ${key}`);
    const client = createClient(EditorService, sys.grpcAddress);
    try {
      const stream = client.editStream({ edit: { image, instruction: "make it blue", steps: 150 } }, { deadlineMs: 120_000, metadata: md })[Symbol.asyncIterator]();
      // A progress event: the edit holds its slot.
      assert.equal((await stream.next()).value?.event.case, "progress");
      const second = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: bearer(key), body: editForm({ image, instruction: "x", steps: "1" }) });
      assert.equal(second.status, 429);
      assert.equal(second.headers.get("retry-after"), "1");
      while (!(await stream.next()).done);
    } finally {
      client.close();
    }
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: bearer(key), body: editForm({ image, instruction: "x", steps: "1" }) })).status === 200, {
      timeoutMs: 10_000,
      description: "the slot freed",
    });
  });
});

describe("idempotency", () => {
  const post = (key: string, idem: string, instruction = "make the circle blue", accept?: string, steps = "2") =>
    fetch(`${sys.httpUrl}/v1/edits`, {
      method: "POST",
      headers: { ...bearer(key), "idempotency-key": idem, ...(accept ? { accept } : {}) },
      body: editForm({ image, instruction, steps }),
    });

  test("idempotency - a retry replays the first reply (same bytes, one edit); another body is 422", async () => {
    const first = await post(editKey, "retry-1");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    const again = await post(editKey, "retry-1");
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.headers.get("x-edit-id"), first.headers.get("x-edit-id"), "no second edit");
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(await first.arrayBuffer())));
    const other = await post(editKey, "retry-1", "make the circle green");
    assert.equal(other.status, 422);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, "idempotency_key_reused");
    // Keys belong to their API key: another caller's same Idempotency-Key is its own request.
    const admin = await createKey("--name", "second editor");
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: bearer(admin.key) })).ok, { timeoutMs: 10_000 });
    const theirs = await post(admin.key, "retry-1");
    assert.equal(theirs.status, 200);
    assert.equal(theirs.headers.get("idempotent-replayed"), null);
  });

  test("idempotency - a retry while the first runs waits for it and gets its reply", async () => {
    // 150 steps: the retry arrives while the first is still denoising.
    const send = () => post(editKey, "concurrent-1", "make it red", "application/json", "150");
    const replies = await Promise.all([send(), send()]);
    assert.deepEqual(replies.map((r) => r.status), [200, 200]);
    assert.deepEqual(replies.map((r) => r.headers.get("idempotent-replayed")).sort(), [null, "true"]);
    const [a, b] = await Promise.all(replies.map((r) => r.text()));
    assert.equal(a, b);
  });

  test("idempotency - the OpenAI endpoint replays too", async () => {
    const client = openai();
    const body = async () => ({ image: await toFile(image, "scene.png"), prompt: "make it blue", response_format: "b64_json" as const });
    const first = await client.images.edit(await body(), { headers: { "Idempotency-Key": "openai-1" } }).asResponse();
    const second = await client.images.edit(await body(), { headers: { "Idempotency-Key": "openai-1" } }).asResponse();
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.equal(await second.text(), await first.text());
  });
});

describe("grpc reflection", () => {
  const require = createRequire(import.meta.url);
  const protoPath = path.join(path.dirname(require.resolve("@grpc/reflection")), "..", "proto", "grpc", "reflection", "v1", "reflection.proto");

  /** One request/reply over grpc.reflection.v1.ServerReflection, as grpcurl makes it. */
  async function reflect(request: Record<string, unknown>): Promise<Record<string, any>> {
    const pkg = loadPackageDefinition(loadSync(protoPath, { keepCase: true })) as any;
    const client = new pkg.grpc.reflection.v1.ServerReflection(sys.grpcAddress, credentials.createInsecure());
    try {
      return await new Promise((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on("data", (reply: Record<string, any>) => {
          resolve(reply);
          call.end();
        });
        call.on("error", (err: ServiceError) => reject(err));
        call.write(request);
      });
    } finally {
      client.close();
    }
  }

  test("reflection - lists EditorService, and its file names the Edit method", async () => {
    const list = await reflect({ list_services: "" });
    const names = (list.list_services_response.service as { name: string }[]).map((s) => s.name);
    assert.ok(names.includes("emuedit.v1.EditorService"), names.join(", "));
    const file = await reflect({ file_containing_symbol: "emuedit.v1.EditorService" });
    const descriptors = (file.file_descriptor_response.file_descriptor_proto as Buffer[]).map((b) => fromBinary(FileDescriptorProtoSchema, new Uint8Array(b)));
    const editor = descriptors.find((d) => d.service.some((s) => s.name === "EditorService"));
    assert.ok(editor, descriptors.map((d) => d.name).join(", "));
    const edit = editor.service.find((s) => s.name === "EditorService")!.method.find((m) => m.name === "Edit");
    assert.equal(edit?.inputType, ".emuedit.v1.EditRequest");
  });
});

describe("properties", () => {
  /** Raw bytes into EditorService/Edit, as any client could send them; resolves with the status code. */
  function rawEdit(client: Client, bytes: Uint8Array): Promise<number> {
    const md = new Metadata();
    md.set("authorization", `Bearer ${editKey}`);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        "/emuedit.v1.EditorService/Edit",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        md,
        { deadline: Date.now() + 30_000 },
        (err: ServiceError | null) => resolve(err ? err.code : GrpcStatus.OK),
      );
    });
  }

  /** EditRequest fields of any value, sometimes with a real image. */
  const editRequest = fc.record(
    {
      image: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(0)), fc.constant(null)),
      instruction: fc.string({ maxLength: 40 }),
      task: fc.oneof(fc.constant(""), fc.string({ maxLength: 8 }), fc.constant("color")),
      steps: fc.integer({ min: 0, max: 400 }),
      guidanceScale: fc.float({ noNaN: false }),
      seed: fc.nat(),
      outputFormat: fc.constantFrom("", "png", "gif", "jpeg"),
      size: fc.constantFrom("", "original", "working", "huge"),
    },
    { requiredKeys: [] },
  );

  test("properties - protobuf bytes and JSON bodies of any shape get documented statuses; nothing stays in flight", async () => {
    const client = new Client(sys.grpcAddress, credentials.createInsecure());
    const documented = new Set([GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.NOT_FOUND]);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 128 }),
            editRequest.map((r) => toBinary(EditRequestSchema, create(EditRequestSchema, { ...r, image: r.image === null ? image : r.image, steps: Math.min(r.steps ?? 0, 4) }))),
          ),
          async (bytes) => {
            const code = await rawEdit(client, bytes);
            assert.ok(documented.has(code), `status ${GrpcStatus[code]} for ${Buffer.from(bytes).toString("hex")}`);
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      client.close();
    }
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom("image", "instruction", "steps", "seed", "task", "size", "timeout_ms"), fc.jsonValue({ maxDepth: 2 })), async (doc) => {
        const res = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: { ...bearer(editKey), "content-type": "application/json" }, body: JSON.stringify(doc) });
        await res.arrayBuffer();
        assert.ok([200, 400, 413, 422].includes(res.status), `${res.status} for ${JSON.stringify(doc)}`);
      }),
      { numRuns: 60 },
    );
    // Nothing left behind: the gateway takes EMUEDIT_MAX_CONCURRENT_EDITS (4) edits at once again,
    // and the key's concurrent-edit slots are all free.
    const replies = await Promise.all(
      Array.from({ length: 4 }, () => fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: bearer(editKey), body: editForm({ image, instruction: "make it blue", steps: "2" }) })),
    );
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200]);
  });
});
