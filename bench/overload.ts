// Overload of one API key: open-loop requests at 1x and then 10x the key's rate limit against the
// whole system (HTTP -> gateway -> gRPC services, private NATS, API keys required). Reports what
// was accepted (200, a decodable image), refused (429) and anything else (a lost edit), with the
// accepted edits' latency. Run from the repo root:
//   pnpm bench overload [--model DIR] [--rate R] [--seconds S] [--steps N] [--key-concurrency C]
import path from "node:path";
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { launchSystem, REPO_ROOT } from "@emuedit/launcher";
import { connectNats, openApiKeyStore } from "@emuedit/nats";

export interface OverloadBenchOptions {
  readonly modelDir?: string;
  /** The key's rate limit, requests/s (its burst is the same number). */
  readonly rate: number;
  readonly seconds: number;
  readonly steps: number;
  /** The key's concurrent-edit quota. */
  readonly concurrency: number;
}

interface Outcome {
  status: number | "error";
  ms: number;
}

const q = (s: number[], p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!);

export async function benchOverload(opts: OverloadBenchOptions): Promise<void> {
  const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "models", "fixture-tiny");
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#808080" } }).png().toBuffer();
  const sys = await launchSystem({ modelDir, privateNats: true, onLine: () => undefined, env: { EMUEDIT_AUTH: "required", EMUEDIT_MIN_TASK_CONFIDENCE: "0" } });
  try {
    const nc = await connectNats(sys.natsUrl);
    const { key } = await (await openApiKeyStore(nc)).create({ name: "bench", scopes: ["edit"], limits: { ratePerS: opts.rate, burst: Math.ceil(opts.rate), maxConcurrentEdits: opts.concurrency } });
    await nc.close();
    const post = async (): Promise<Outcome> => {
      const form = new FormData();
      form.append("image", new Blob([png]), "in.png");
      form.append("instruction", "make the background blue");
      form.append("steps", String(opts.steps));
      const started = performance.now();
      try {
        const res = await fetch(`${sys.httpUrl}/v1/edits`, {
          method: "POST",
          body: form,
          headers: { authorization: `Bearer ${key}`, "idempotency-key": randomUUID() },
          signal: AbortSignal.timeout(120_000),
        });
        const body = Buffer.from(await res.arrayBuffer());
        // An accepted edit counts only with a decodable image.
        if (res.status === 200) await sharp(body).metadata();
        return { status: res.status, ms: performance.now() - started };
      } catch {
        return { status: "error", ms: performance.now() - started };
      }
    };
    // Warm-up: the first edit loads the sessions.
    await waitKeyKnown(post);
    await new Promise((r) => setTimeout(r, 2000)); // refill the bucket

    console.log(`| offered | sent | accepted (200) | refused (429) | other (lost) | accepted p50 ms | accepted p99 ms | accepted max ms | 429 p99 ms |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    for (const factor of [1, 10]) {
      const perS = opts.rate * factor;
      const pending: Promise<Outcome>[] = [];
      const t0 = performance.now();
      // Open loop: requests leave on schedule whether or not earlier ones were answered.
      for (let i = 0; i < perS * opts.seconds; i++) {
        const due = t0 + (i * 1000) / perS;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(post());
      }
      const outcomes = await Promise.all(pending);
      const ok = outcomes.filter((o) => o.status === 200).map((o) => o.ms).sort((a, b) => a - b);
      const refused = outcomes.filter((o) => o.status === 429).map((o) => o.ms).sort((a, b) => a - b);
      const other = outcomes.length - ok.length - refused.length;
      console.log(
        `| ${factor}x (${perS}/s for ${opts.seconds} s) | ${outcomes.length} | ${ok.length} | ${refused.length} | ${other} | ${q(ok, 0.5).toFixed(0)} | ${q(ok, 0.99).toFixed(0)} | ${(ok.at(-1) ?? NaN).toFixed(0)} | ${q(refused, 0.99).toFixed(1)} |`,
      );
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await sys.stop();
  }
}

/** The gateway learns a new key through its bucket watch: retry the first edit until it is known. */
async function waitKeyKnown(post: () => Promise<Outcome>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await post()).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the bench key was never accepted");
}
