"""Task inversion: learn only a new task embedding on a frozen model from k examples.

    /usr/bin/python3 -m training.invert --run training/runs/default --k 10 [--steps 300] [--register]

Default unseen task: contour ("outline the circle" -> 1-px white outline of that object on black).
Writes RUN/inversion/contour-k{K}.json (a tasks.json entry + metrics). --register puts the entry
in the NATS KV bucket emuedit_tasks (`emuedit register-task`, packages/cli) so a running gateway picks
it up without a restart.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import time
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import diffusion as Df
from . import metrics as M
from . import tasks as T
from .common import log, setup, write_json
from .evaluate import edit
from .train_unet import encode_images, load_editor, load_vae, tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def invert(run: str, k: int, steps: int = 300, lr: float = 5e-2, batch: int = 16, eval_n: int = 20,
           name: str = "unet", task: str = "contour", seed: int = 0, sample_steps: int = 20) -> Dict[str, object]:
    setup("cpu")
    t0 = time.time()
    model, sf, _ = load_editor(run, name)
    for p in model.parameters():
        p.requires_grad_(False)
    ae = load_vae(run)
    tok = tokenizer(run)
    train = D.make_pairs(k, "train", seed + 500, [task])
    z_in, z_tgt = encode_images(ae, train.inputs, torch.device("cpu")), encode_images(ae, train.targets, torch.device("cpu")) * sf
    ids = torch.tensor([tok(s) for s in train.texts])
    with torch.no_grad():
        hidden, _ = model.text(ids)
    emb = torch.nn.Parameter(model.tasks.weight.detach().mean(0).clone())
    opt = torch.optim.Adam([emb], lr=lr)
    ab = Df.alphas_cumprod()
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(0, k, (batch,), generator=g)
        t = torch.randint(0, Df.T_TRAIN, (batch,), generator=g)
        noise = torch.randn(z_tgt[idx].shape, generator=g)
        xt, v = Df.add_noise(z_tgt[idx], noise, t, ab)
        pred = model.denoise(torch.cat([xt, z_in[idx]], 1), t.float(), hidden[idx], emb[None].expand(batch, -1))
        loss = F.mse_loss(pred, v)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 50 == 0:
            log(f"invert k={k}", step=step + 1, loss=float(loss))
    test = D.make_pairs(eval_n, "test", seed, [task])
    out = edit(model, ae, sf, torch.tensor([tok(s) for s in test.texts]), torch.tensor(tok("")), test.inputs,
               emb.detach()[None].expand(len(test), -1), sample_steps)
    rows = [M.score(task, test.inputs[i], test.targets[i], out[i]) for i in range(len(test))]
    summary = M.summarize({task: rows})[task]
    td = T.CONTOUR
    entry = {"id": len(T.TASKS), "name": task, "group": td.group, "description": td.description,
             "examples": sorted(set(train.texts))[:3], "embedding": [float(x) for x in emb.detach().numpy()]}
    return {"entry": entry, "k": k, "steps": steps, "metrics": summary, "seconds": time.time() - t0}


def register(entry_path: str, url: Optional[str] = None) -> str:
    # The project's CLI (`emuedit register-task`): the same registry code the gateways watch.
    cmd = ["node", os.path.join(ROOT, "packages", "cli", "bin", "emuedit.mjs"), "register-task",
           os.path.abspath(entry_path), "--json"]
    if url:
        cmd += ["--nats", url]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--eval-n", type=int, default=20)
    p.add_argument("--name", default="unet")
    p.add_argument("--register", action="store_true")
    p.add_argument("--nats-url", default=None)
    a = p.parse_args(argv)
    res = invert(a.run, a.k, a.steps, eval_n=a.eval_n, name=a.name)
    out_dir = os.path.join(a.run, "inversion")
    write_json(os.path.join(out_dir, f"contour-k{a.k}.json"), res)
    write_json(os.path.join(out_dir, f"contour-k{a.k}.entry.json"), res["entry"])
    log("inversion", k=a.k, success=res["metrics"]["success"], iou=res["metrics"]["iou"])  # type: ignore[index]
    if a.register:
        log("registered " + register(os.path.join(out_dir, f"contour-k{a.k}.entry.json"), a.nats_url).strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
