// Fits a model package's latent-to-RGB preview factors (latent_rgb_factors.json, read by the
// gateway's event-stream previews; docs/model-package.md) by least squares against the package's
// own VAE: synthetic scenes are encoded, their scaled latents decoded, each decoded image is
// averaged over the pixels of every latent cell, and rgb = bias + z . W is fitted over all cells.
// Deterministic (a seeded generator), so rerunning it rewrites the same file.
//
// Run: node --import tsx scripts/latent-rgb-factors.ts models/emu-edit-tiny [models/fixture-tiny ...]
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { loadModelPackage } from "@emuedit/model-package";
import { createVaeStage, openComponent } from "@emuedit/stages";

const SCENES = 48;
const COLOURS = [
  [220, 40, 40], [40, 180, 60], [40, 80, 220], [240, 210, 40], [150, 60, 190], [245, 140, 30], [245, 245, 245], [20, 20, 20], [128, 128, 128],
] as const;

/** mulberry32: a small seeded generator, so the scenes (and the factors) are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function scene(random: () => number, side: number): Promise<Uint8Array> {
  const pick = () => COLOURS[Math.floor(random() * COLOURS.length)]!;
  const rgb = (c: readonly number[]) => `rgb(${c.join(",")})`;
  let shapes = "";
  for (let i = 0; i < 1 + Math.floor(random() * 3); i++) {
    const d = side * (0.2 + random() * 0.3);
    const x = d / 2 + random() * (side - d);
    const y = d / 2 + random() * (side - d);
    shapes += random() < 0.5 ? `<circle cx="${x}" cy="${y}" r="${d / 2}" fill="${rgb(pick())}"/>` : `<rect x="${x - d / 2}" y="${y - d / 2}" width="${d}" height="${d}" fill="${rgb(pick())}"/>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="${rgb(pick())}"/>${shapes}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer());
}

/** Solves (X^T X) W = X^T Y by Gauss-Jordan elimination with partial pivoting; A is [k][k], B is [k][m]. */
function solve(A: number[][], B: number[][]): number[][] {
  const k = A.length;
  for (let col = 0; col < k; col++) {
    let p = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[p]![col]!)) p = r;
    [A[col], A[p]] = [A[p]!, A[col]!];
    [B[col], B[p]] = [B[p]!, B[col]!];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = A[r]![col]! / A[col]![col]!;
      for (let c = col; c < k; c++) A[r]![c]! -= f * A[col]![c]!;
      for (let c = 0; c < B[0]!.length; c++) B[r]![c]! -= f * B[col]![c]!;
    }
  }
  return B.map((row, r) => row.map((v) => v / A[r]![r]!));
}

async function fit(dir: string): Promise<void> {
  const pkg = await loadModelPackage(dir);
  const pool = { workers: 1, intraOpThreads: 1 };
  const [encoder, decoder] = await Promise.all([openComponent(pkg, pkg.vaeEncoder, "vae_encoder", pool), openComponent(pkg, pkg.vaeDecoder, "vae_decoder", pool)]);
  const vae = createVaeStage(pkg, { encoder, decoder });
  const side = pkg.resolution;
  const f = pkg.vaeScaleFactor;
  const c = pkg.unet.latentChannels;
  const cells = (side / f) ** 2;
  const k = c + 1;
  const xtx = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const xty = Array.from({ length: k }, () => new Array<number>(3).fill(0));
  const rows: { x: number[]; y: number[] }[] = [];
  const random = rng(20231115);
  try {
    for (let s = 0; s < SCENES; s++) {
      const pixels = { dtype: "uint8" as const, shape: [1, side, side, 3], data: await scene(random, side) };
      const latent = await vae.encode(pixels);
      // The stream carries scaled latents (z * scaling_factor): fit in that space.
      const z = Float32Array.from(latent.data as Float32Array, (v) => v * pkg.scalingFactor);
      const decoded = (await vae.decode({ dtype: "float32", shape: latent.shape, data: z }, vae.takesSource ? pixels : null)).data as Uint8Array;
      for (let cell = 0; cell < cells; cell++) {
        const cy = Math.floor(cell / (side / f));
        const cx = cell % (side / f);
        const y = [0, 0, 0];
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) for (let ch = 0; ch < 3; ch++) y[ch]! += decoded[((cy * f + dy) * side + cx * f + dx) * 3 + ch]!;
        const target = y.map((v) => v / (f * f) / 127.5 - 1);
        const x = [...Array.from({ length: c }, (_, ch) => z[ch * cells + cell]!), 1];
        rows.push({ x, y: target });
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) xtx[i]![j]! += x[i]! * x[j]!;
          for (let ch = 0; ch < 3; ch++) xty[i]![ch]! += x[i]! * target[ch]!;
        }
      }
    }
  } finally {
    await Promise.all([encoder.close(), decoder.close()]);
  }
  const w = solve(xtx, xty);
  let se = 0;
  for (const { x, y } of rows) for (let ch = 0; ch < 3; ch++) se += (x.reduce((acc, v, i) => acc + v * w[i]![ch]!, 0) - y[ch]!) ** 2;
  const round = (v: number) => Number(v.toFixed(5));
  const out = {
    description: "latent -> RGB preview factors: rgb in [-1,1] = bias + sum_c weights[c] * z_c, z the scaled latent (scripts/latent-rgb-factors.ts)",
    weights: w.slice(0, c).map((row) => row.map(round)),
    bias: w[c]!.map(round),
    fit: { scenes: SCENES, cells: rows.length, rmse: round(Math.sqrt(se / (rows.length * 3))) },
  };
  const file = path.join(dir, "latent_rgb_factors.json");
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`${file}: rmse ${out.fit.rmse} over ${rows.length} cells ([-1,1] units)`);
}

for (const dir of process.argv.slice(2)) await fit(path.resolve(dir));
