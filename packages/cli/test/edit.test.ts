import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExitCode, main } from "../src/index.js";
import { Capture, makePng } from "./fixtures.js";
import { startFakeGateway } from "./fake-gateway.js";
import type { FakeGateway } from "./fake-gateway.js";
import { freePort } from "@emuedit/testing";

const BIN = fileURLToPath(new URL("../bin/emuedit.mjs", import.meta.url));

describe("edit (against a fake gateway on 127.0.0.1)", () => {
  let gateway: FakeGateway;
  let dir: string;
  let input: string;
  const png = makePng(5, 3);

  before(async () => {
    gateway = await startFakeGateway();
    dir = await mkdtemp(join(tmpdir(), "emuedit-cli-"));
    input = join(dir, "in.png");
    await writeFile(input, png);
  });
  after(async () => {
    gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("edit - writes the result, plain progress lines on a non-TTY, summary on stdout", async () => {
    const out = join(dir, "plain.png");
    const stdout = new Capture();
    const stderr = new Capture();
    const argv = ["edit", input, "make it blue", "-o", out, "--steps", "3", "--seed", "7",
      "--guidance", "7.5", "--image-guidance", "1.5", "--server", gateway.address];
    const code = await main(argv, { stdout, stderr });
    assert.equal(code, ExitCode.ok, stderr.text);
    assert.deepEqual(await readFile(out), png);
    assert.equal(stderr.text, "denoise 0/3\ndenoise 1/3\ndenoise 2/3\ndenoise 3/3\n");
    assert.match(stdout.text, /^wrote .*plain\.png \(image\/png, 5x3, \d+ bytes\)$/m);
    assert.match(stdout.text, /^task +global \(predicted, confidence 0\.75\)$/m);
    assert.match(stdout.text, /^seed +7$/m);
    assert.match(stdout.text, /^timings denoise [\d.]+ ms, wall [\d.]+ ms$/m);
    const sent = gateway.received.at(-1);
    assert.equal(sent?.instruction, "make it blue");
    assert.equal(sent?.steps, 3);
    assert.equal(sent?.seed, 7);
    assert.equal(sent?.guidanceScale, 7.5);
    assert.equal(sent?.imageGuidanceScale, 1.5);
    assert.equal(sent?.outputFormat, "png");
    assert.equal(sent?.task, "");
    assert.equal(sent?.preserveUnedited, false);
    assert.equal(sent?.size, "original");
  });

  test("edit - draws a redrawn bar on a TTY and ends its line", async () => {
    const out = join(dir, "tty.png");
    const stderr = new Capture({ isTTY: true });
    const code = await main(["edit", input, "x", "-o", out, "--task", "remove", "--steps", "2", "--server", gateway.address],
      { stdout: new Capture(), stderr });
    assert.equal(code, ExitCode.ok, stderr.text);
    assert.ok(stderr.text.includes(`\r\x1b[2Kdenoise [${"#".repeat(30)}] 2/2 100%`), JSON.stringify(stderr.text));
    assert.ok(stderr.text.includes(`\r\x1b[2Kdenoise [${"#".repeat(15)}${"-".repeat(15)}] 1/2 50%`), "half-way bar");
    assert.ok(stderr.text.endsWith("\n"), "bar line ended");
    assert.ok(existsSync(out), "result written");
  });

  test("edit - sends --size and --preserve-unedited in the request", async () => {
    const out = join(dir, "flags.png");
    const stderr = new Capture();
    const code = await main(["edit", input, "x", "-o", out, "--size", "working", "--preserve-unedited", "--server", gateway.address],
      { stdout: new Capture(), stderr });
    assert.equal(code, ExitCode.ok, stderr.text);
    const sent = gateway.received.at(-1);
    assert.equal(sent?.size, "working");
    assert.equal(sent?.preserveUnedited, true);
  });

  test("edit - a server error exits 1 with the gRPC status and writes nothing", async () => {
    const out = join(dir, "never.png");
    const stderr = new Capture();
    const code = await main(["edit", input, "x", "-o", out, "--task", "nope", "--server", gateway.address],
      { stdout: new Capture(), stderr });
    assert.equal(code, ExitCode.failure);
    assert.equal(stderr.text, 'emuedit: server error: NOT_FOUND: unknown task "nope"\n');
    assert.equal(existsSync(out), false);
  });

  test("edit - a missing input file is a usage error (2)", async () => {
    const stderr = new Capture();
    const code = await main(["edit", join(dir, "missing.png"), "x", "-o", join(dir, "m.png"), "--server", gateway.address],
      { stdout: new Capture(), stderr });
    assert.equal(code, ExitCode.usage);
    assert.match(stderr.text, /cannot read image .*missing\.png.*ENOENT/);
  });

  test("edit - Ctrl-C (abort) cancels the stream and exits 130", async () => {
    const slow = await startFakeGateway({ stepDelayMs: 50 });
    try {
      const controller = new AbortController();
      const stderr = new Capture({ onWrite: (t) => t.includes("1/50") && controller.abort() });
      const code = await main(["edit", input, "x", "-o", join(dir, "c.png"), "--steps", "50", "--server", slow.address],
        { stdout: new Capture(), stderr }, {}, controller.signal);
      assert.equal(code, ExitCode.interrupted);
      assert.match(stderr.text, /emuedit: interrupted\n$/);
      assert.equal(existsSync(join(dir, "c.png")), false);
    } finally {
      slow.stop();
    }
  });

  test("tasks - lists the server's tasks as a table", async () => {
    const stdout = new Capture();
    const code = await main(["tasks", "--server", gateway.address], { stdout, stderr: new Capture() });
    assert.equal(code, ExitCode.ok);
    assert.equal(
      stdout.text,
      "NAME    GROUP      DESCRIPTION\n" +
        "global  free-form  change the whole image\n" +
        "remove  region     remove an object\n",
    );
  });

  test("bin - emuedit.mjs runs an edit end to end as a child process", async () => {
    const out = join(dir, "bin.png");
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [BIN, "edit", input, "add a hat", "-o", out, "--steps", "2", "--server", gateway.address],
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "denoise 0/2\ndenoise 1/2\ndenoise 2/2\n");
    assert.match(result.stdout, /^seed +42$/m);
    assert.deepEqual(await readFile(out), png);
  });

  test("bin - a usage error exits 2", async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = execFile(process.execPath, [BIN, "edit"], () => resolve(child.exitCode));
    });
    assert.equal(code, 2);
  });
});

describe("edit without a server", () => {
  test("edit - nothing listening: exits 1 saying so and how to start the system, without resolver noise", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emuedit-cli-"));
    try {
      const input = join(dir, "in.png");
      await writeFile(input, makePng(2, 2));
      const port = await freePort();
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(["edit", input, "x", "-o", join(dir, "out.png"), "--server", `127.0.0.1:${port}`, "--timeout-ms", "5000"], { stdout, stderr });
      assert.equal(code, ExitCode.failure);
      assert.match(stderr.text, new RegExp(`cannot reach the emuedit gateway at 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`));
      assert.match(stderr.text, /pnpm start/);
      assert.doesNotMatch(stderr.text, /Resolution note/);
      assert.equal(existsSync(join(dir, "out.png")), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
