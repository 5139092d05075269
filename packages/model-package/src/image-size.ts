// The pixel size a package's exports fix, read from the graph (nothing is loaded).
import type { ModelPackage } from "./types.js";

/**
 * The pixel size a VAE encoder export is fixed to (static H and W of its `sample` input), or
 * null when both are dynamic. Exports with static dims accept only that size, so the gateway
 * resizes to it instead of keeping the aspect ratio.
 */
export function fixedImageSize(pkg: ModelPackage): { width: number; height: number } | null {
  const dims = pkg.vaeEncoder.inputs.find((i) => i.name === "sample")?.dims;
  const h = dims?.[2];
  const w = dims?.[3];
  return typeof h === "number" && typeof w === "number" && h > 0 && w > 0 ? { width: w, height: h } : null;
}
