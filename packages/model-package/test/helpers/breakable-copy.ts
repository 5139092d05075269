// A fresh copy of a known-good package to break in one place, plus its sizes.
import { cp } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadModelPackage } from "../../src/index.js";
import { tempDir, writeSyntheticPackage } from "./synthetic-package.js";

export interface BreakableCopy {
  dir: string;
  /** C latent channels, D text hidden dim, E task embedding dim, T tasks of the intact package. */
  dims: { C: number; D: number; E: number; T: number };
}

/** "fixture": models/fixture-tiny (real exports); "synthetic": graph-only files, other sizes. */
export type Source = "fixture" | "synthetic";

let synthetic: Promise<string> | null = null;

function intact(source: Source): Promise<string> {
  if (source === "fixture") return Promise.resolve(fileURLToPath(new URL("../../../../models/fixture-tiny", import.meta.url)));
  synthetic ??= tempDir("intact").then((dir) => writeSyntheticPackage(dir, { C: 4, D: 32, E: 8, T: 3 }));
  return synthetic;
}

export async function breakableCopy(source: Source): Promise<BreakableCopy> {
  const from = await intact(source);
  const p = await loadModelPackage(from);
  const dir = await tempDir("broken");
  await cp(from, dir, { recursive: true });
  return {
    dir,
    dims: { C: p.unet.latentChannels, D: p.textEncoder.hiddenDim, E: p.unet.taskEmbeddingDim ?? 0, T: p.tasks.length },
  };
}
