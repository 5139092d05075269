// Multi-turn drift with and without Emu Edit's per-pixel thresholding between turns: PSNR of
// the region no instruction touches, after each of 5 turns, through the sessions API of the
// whole system (gateway, model services, NATS). Run from the repo root:
//   pnpm bench session-psnr [--model DIR] [--steps N] [--edits N (seeds per mode)]
// Model: --model, else EMUEDIT_MODEL_DIR, else the services' default (models/emu-edit-tiny).
//
// Scene: examples/blue-square-yellow-triangle.png (a blue square and a yellow triangle on
// white). Every turn recolours the square only. The edited object's mask is computed from the
// input image: the pixels of the square's exact colour, dilated by MASK_DILATE_PX (its
// anti-aliased edge and the VAE's few-pixel reach). The untouched region is every other pixel
// (the background and the triangle). PSNR(turn k) = 10 log10(255^2 / MSE) over the untouched
// region's RGB values of turn k's image against the input's.
import path from "node:path";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { launchSystem } from "@emuedit/launcher";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SCENE = path.join(REPO_ROOT, "examples", "blue-square-yellow-triangle.png");
/** The square's colour in the scene (training/world.py's blue). */
const SQUARE_RGB = [40, 80, 220] as const;
const MASK_DILATE_PX = 2;
const INSTRUCTIONS = ["turn the square red", "turn the square green", "turn the square purple", "turn the square orange", "turn the square blue"];

export interface SessionPsnrOptions {
  readonly modelDir?: string;
  /** Denoising steps per turn; 0 = the model's default. */
  readonly steps: number;
  /** Sessions (seeds) per mode. */
  readonly sessions: number;
}

interface Rgb {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
}

const rgb = async (png: Uint8Array): Promise<Rgb> => {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
};

/** true = the edited object (dilated). */
function objectMask(img: Rgb): Uint8Array {
  const { width: w, height: h } = img;
  const hit = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) hit[p] = SQUARE_RGB.every((c, k) => img.data[p * 3 + k] === c) ? 1 : 0;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let any = 0;
      for (let dy = -MASK_DILATE_PX; dy <= MASK_DILATE_PX && !any; dy++)
        for (let dx = -MASK_DILATE_PX; dx <= MASK_DILATE_PX && !any; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w && hit[yy * w + xx]) any = 1;
        }
      out[y * w + x] = any;
    }
  return out;
}

/** PSNR over the pixels where mask[p] === want, dB (Infinity when identical). */
function psnr(a: Rgb, b: Rgb, mask: Uint8Array, want: 0 | 1): number {
  let se = 0;
  let n = 0;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] !== want) continue;
    for (let k = 0; k < 3; k++) se += (a.data[p * 3 + k]! - b.data[p * 3 + k]!) ** 2;
    n += 3;
  }
  return 10 * Math.log10((255 * 255) / (se / n));
}

export async function benchSessionPsnr(options: SessionPsnrOptions): Promise<void> {
  const sys = await launchSystem({ ...(options.modelDir ? { modelDir: options.modelDir } : {}), privateNats: true, onLine: () => undefined });
  try {
    const input = await readFile(SCENE);
    const original = await rgb(input);
    const mask = objectMask(original);
    const masked = mask.reduce((s, v) => s + v, 0);
    const model = options.modelDir ?? process.env.EMUEDIT_MODEL_DIR ?? "(default model)";
    console.log(`session-psnr: ${path.basename(model)}, ${path.basename(SCENE)}, object mask ${masked} px of ${mask.length}, ${options.sessions} sessions per mode`);

    const modes = [
      { name: "without thresholding", preserve: false },
      { name: "with thresholding (0.03)", preserve: true },
    ];
    for (const mode of modes) {
      const untouched: number[][] = INSTRUCTIONS.map(() => []);
      const inside: number[][] = INSTRUCTIONS.map(() => []);
      for (let s = 0; s < options.sessions; s++) {
        const form = new FormData();
        form.append("image", new Blob([Uint8Array.from(input)]), "scene.png");
        const created = (await (await fetch(`${sys.httpUrl}/v1/sessions`, { method: "POST", body: form })).json()) as { id: string };
        for (const [k, instruction] of INSTRUCTIONS.entries()) {
          const body = { instruction, seed: 1000 * s + k, ...(options.steps ? { steps: options.steps } : {}), ...(mode.preserve ? { preserve_unedited: true } : {}) };
          const res = await fetch(`${sys.httpUrl}/v1/sessions/${created.id}/edits`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          if (res.status !== 202) throw new Error(`turn ${k + 1}: ${res.status} ${await res.text()}`);
          const turn = k + 1;
          let session: { turns: { state: string; image_url?: string; error?: unknown }[] };
          do {
            await new Promise((r) => setTimeout(r, 50));
            session = (await (await fetch(`${sys.httpUrl}/v1/sessions/${created.id}`)).json()) as typeof session;
          } while (session.turns[turn]!.state === "running");
          const t = session.turns[turn]!;
          if (t.state !== "succeeded") throw new Error(`turn ${turn} ${t.state}: ${JSON.stringify(t.error)}`);
          const image = await rgb(new Uint8Array(await (await fetch(`${sys.httpUrl}${t.image_url}`)).arrayBuffer()));
          untouched[k]!.push(psnr(image, original, mask, 0));
          inside[k]!.push(psnr(image, original, mask, 1));
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(`\n${mode.name}`);
      console.log("turn | untouched PSNR dB (mean, min..max) | object PSNR dB (mean; low = edited)");
      for (const [k, xs] of untouched.entries()) {
        console.log(`${k + 1}    | ${mean(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}) | ${mean(inside[k]!).toFixed(2)}`);
      }
    }
  } finally {
    await sys.stop();
  }
}
