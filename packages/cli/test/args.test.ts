import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_EDIT_TIMEOUT_MS, DEFAULT_SERVER, ExitCode, UsageError, main, parseCommand } from "../src/index.js";
import { Capture } from "./fixtures.js";

const edit = (...rest: string[]) => parseCommand(["edit", "in.png", "make it blue", ...rest]);

describe("args", () => {
  test("args - edit with every option", () => {
    const cmd = parseCommand([
      "edit", "in.png", "make it blue", "-o", "out.webp", "--task", "global", "--steps", "20",
      "--seed", "4294967295", "--guidance", "7.5", "--image-guidance", "1.5", "--format", "webp",
      "--size", "working", "--preserve-unedited", "--server", "10.0.0.1:6000", "--timeout-ms", "5000",
    ]);
    assert.deepEqual(cmd, {
      kind: "edit",
      image: "in.png",
      instruction: "make it blue",
      output: "out.webp",
      task: "global",
      steps: 20,
      seed: 4294967295,
      guidanceScale: 7.5,
      imageGuidanceScale: 1.5,
      format: "webp",
      preserveUnedited: true,
      size: "working",
      server: "10.0.0.1:6000",
      timeoutMs: 5000,
    });
  });

  test("args - defaults leave model settings to the server", () => {
    const cmd = edit("-o", "out.png");
    assert.equal(cmd.kind, "edit");
    if (cmd.kind !== "edit") return;
    assert.equal(cmd.task, "");
    assert.equal(cmd.steps, undefined);
    assert.equal(cmd.seed, undefined);
    assert.equal(cmd.guidanceScale, undefined);
    assert.equal(cmd.imageGuidanceScale, undefined);
    assert.equal(cmd.preserveUnedited, false);
    assert.equal(cmd.size, "original");
    assert.equal(cmd.server, DEFAULT_SERVER);
    assert.equal(cmd.timeoutMs, DEFAULT_EDIT_TIMEOUT_MS);
  });

  test("args - output format comes from --format, else the extension, else png", () => {
    const format = (...rest: string[]) => {
      const cmd = edit(...rest);
      return cmd.kind === "edit" ? cmd.format : undefined;
    };
    assert.equal(format("-o", "a.JPG"), "jpeg");
    assert.equal(format("-o", "a.webp"), "webp");
    assert.equal(format("-o", "a.out"), "png");
    assert.equal(format("-o", "a.out", "--format", "jpg"), "jpeg");
    assert.throws(() => edit("-o", "a.png", "--format", "jpeg"), /contradicts/);
    assert.throws(() => edit("-o", "a.img", "--format", "gif"), UsageError);
  });

  test("args - server from the environment, the flag wins", () => {
    const env = { EMUEDIT_SERVER: "gateway:50051" };
    const a = parseCommand(["tasks"], env);
    const b = parseCommand(["tasks", "--server", "127.0.0.1:1"], env);
    assert.equal(a.kind === "tasks" && a.server, "gateway:50051");
    assert.equal(b.kind === "tasks" && b.server, "127.0.0.1:1");
    assert.throws(() => parseCommand(["tasks", "--server", "localhost"]), UsageError);
  });

  test("args - the API key comes from EMUEDIT_API_KEY only", () => {
    const env = { EMUEDIT_API_KEY: " emk_k " };
    const edit = parseCommand(["edit", "in.png", "x", "-o", "out.png"], env);
    assert.equal(edit.kind === "edit" && edit.apiKey, "emk_k");
    assert.equal(parseCommand(["tasks"], env).kind === "tasks" && (parseCommand(["tasks"], env) as { apiKey?: string }).apiKey, "emk_k");
    assert.ok(!("apiKey" in parseCommand(["tasks"], { EMUEDIT_API_KEY: "" })));
  });

  const bad: Array<[string, string[]]> = [
    ["no command", []],
    ["unknown command", ["frobnicate"]],
    ["missing -o", ["edit", "in.png", "x"]],
    ["missing instruction", ["edit", "in.png", "-o", "o.png"]],
    ["blank instruction", ["edit", "in.png", "  ", "-o", "o.png"]],
    ["extra positional", ["edit", "in.png", "x", "y", "-o", "o.png"]],
    ["unknown option", ["edit", "in.png", "x", "-o", "o.png", "--strength", "1"]],
    ["option without value", ["edit", "in.png", "x", "-o"]],
    ["zero steps", ["edit", "in.png", "x", "-o", "o.png", "--steps", "0"]],
    ["fractional steps", ["edit", "in.png", "x", "-o", "o.png", "--steps", "1.5"]],
    ["negative seed", ["edit", "in.png", "x", "-o", "o.png", "--seed=-1"]],
    ["seed over uint32", ["edit", "in.png", "x", "-o", "o.png", "--seed", "4294967296"]],
    ["non-numeric guidance", ["edit", "in.png", "x", "-o", "o.png", "--guidance", "abc"]],
    ["negative image guidance", ["edit", "in.png", "x", "-o", "o.png", "--image-guidance=-1"]],
    ["unknown size", ["edit", "in.png", "x", "-o", "o.png", "--size", "64"]],
    ["preserve-unedited with a value", ["edit", "in.png", "x", "-o", "o.png", "--preserve-unedited=yes"]],
    ["zero timeout", ["tasks", "--timeout-ms", "0"]],
    ["tasks with arguments", ["tasks", "extra"]],
  ];
  for (const [name, argv] of bad) {
    test(`args - ${name} is a usage error`, () => {
      assert.throws(() => parseCommand(argv), UsageError);
    });
  }

  test("args - help forms", () => {
    assert.deepEqual(parseCommand(["--help"]), { kind: "help", topic: undefined });
    assert.deepEqual(parseCommand(["help", "tasks"]), { kind: "help", topic: "tasks" });
    assert.deepEqual(parseCommand(["edit", "-h"]), { kind: "help", topic: "edit" });
  });

  test("args - main exits 2 with the reason and usage on stderr", async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(["edit", "in.png", "x", "-o", "o.png", "--steps", "lots"], { stdout, stderr });
    assert.equal(code, ExitCode.usage);
    assert.equal(code, 2);
    assert.match(stderr.text, /--steps must be an integer/);
    assert.match(stderr.text, /emuedit edit <image>/);
    assert.equal(stdout.text, "");
  });

  test("args - main prints help on stdout and exits 0", async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    assert.equal(await main(["help"], { stdout, stderr }), 0);
    assert.match(stdout.text, /Exit status: 0 success/);
    assert.equal(stderr.text, "");
  });
});
