"""Multi-turn editing: chains of 5 region edits, with and without per-pixel thresholding.

    /usr/bin/python3 -m training.multiturn --run training/runs/default [--chains 20]

Thresholding (Emu Edit): after each edit keep the previous pixel unless the low-passed (3x3 box)
L1 difference averaged over RGB, in [0,1] units, exceeds alpha = 0.03. Reported: PSNR of the
untouched region (pixels no ground-truth step changed) of the final image vs the original, and
PSNR of the final image vs the final ground truth.
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Dict, List, Optional

import numpy as np
import torch

from . import metrics as M
from . import tasks as T
from . import world as W
from .common import log, setup, write_json
from .evaluate import edit
from .train_unet import load_editor, load_vae, tokenizer

ALPHA = 0.03


def threshold(prev: np.ndarray, out: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    d = np.abs(out.astype(np.float32) - prev.astype(np.float32)).mean(-1) / 255.0
    p = np.pad(d, 1, mode="edge")
    lp = sum(p[dy:dy + W.SIZE, dx:dx + W.SIZE] for dy in range(3) for dx in range(3)) / 9.0
    return np.where((lp > alpha)[..., None], out, prev)


def chains(n: int, length: int = 5, seed: int = 0):
    """n chains of (images [length+1], instructions [length], task ids [length]) from test scenes."""
    rng = np.random.default_rng([2, seed, 77])
    out = []
    while len(out) < n:
        scene = W.random_scene(rng, 1, 2)
        imgs, texts, tids = [W.render(scene)], [], []
        while len(texts) < length:
            task = T.REGION_TASKS[int(rng.integers(len(T.REGION_TASKS)))]
            r = T.region_edit(task, scene, rng, "test")
            if r is None:
                continue
            scene = r[0]
            imgs.append(W.render(scene))
            texts.append(r[1])
            tids.append(T.TASK_INDEX[task])
        out.append((imgs, texts, tids))
    return out


def run_chains(run: str, n: int = 20, name: str = "unet", steps: int = 20, length: int = 5) -> Dict[str, object]:
    setup("cpu")
    t0 = time.time()
    model, sf, _ = load_editor(run, name)
    ae = load_vae(run)
    tok = tokenizer(run)
    cs = chains(n, length)
    res: Dict[str, object] = {}
    for mode in ("plain", "thresholded"):
        cur = np.stack([c[0][0] for c in cs])
        for step in range(length):
            ids = torch.tensor([tok(c[1][step]) for c in cs])
            emb = model.task_vectors(torch.tensor([c[2][step] for c in cs]))
            out = edit(model, ae, sf, ids, torch.tensor(tok("")), cur, emb.detach(), steps, seed=step)
            cur = np.stack([threshold(cur[i], out[i]) for i in range(n)]) if mode == "thresholded" else out
        untouched: List[float] = []
        final: List[float] = []
        for i, (imgs, _, _) in enumerate(cs):
            changed = np.zeros((W.SIZE, W.SIZE), bool)
            for a, b in zip(imgs, imgs[1:]):
                changed |= (a != b).any(-1)
            keep = ~W.dilate(changed, 1)
            untouched.append(min(60.0, M.psnr(cur[i][keep], imgs[0][keep])))
            final.append(min(60.0, M.psnr(cur[i], imgs[-1])))
        res[mode] = {"psnr_untouched": float(np.mean(untouched)), "psnr_final_vs_gt": float(np.mean(final))}
    res["chains"] = n
    res["length"] = length
    res["seconds"] = time.time() - t0
    return res


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--chains", type=int, default=20)
    p.add_argument("--name", default="unet")
    a = p.parse_args(argv)
    res = run_chains(a.run, a.chains, a.name)
    write_json(os.path.join(a.run, "multiturn.json"), res)
    log("multiturn", **{f"{m}_{k}": v for m in ("plain", "thresholded") for k, v in res[m].items()})  # type: ignore[union-attr]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
