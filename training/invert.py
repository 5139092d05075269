"""Task inversion: learn only a new task vector on a frozen model from k examples.

What is learned is the task vector the UNet takes (models.task_vector_dim: an offset of the
timestep embedding ++ one context token), the "embedding" of a tasks.json entry; not a row of the
training table behind the task MLP, which saw only 16 rows and, inverted through, reaches half the
success (docs/model-card.md, "Task inversion").

    /usr/bin/python3 -m training.invert --run training/runs/default --k 10 [--steps 300] [--register]
    /usr/bin/python3 -m training.invert --package models/emu-edit-tiny --run training/runs/pkg --k 10 --register

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
from typing import Any, Callable, Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import diffusion as Df
from . import metrics as M
from . import tasks as T
from .common import log, setup, write_json
from .evaluate import edit
from .train_unet import encode_pairs, load_editor, load_vae, tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _held_out(model, ae, sf: float, tok, emb: torch.Tensor, task: str, eval_n: int, seed: int,
              sample_steps: int, split: str = "test") -> Dict[str, float]:
    """Metrics of `emb` on eval_n held-out edits of `task` (the same edits for every caller); split
    "val" (other scenes, training phrasings) is for choosing inversion settings."""
    test = D.make_pairs(eval_n, split, seed, [task])
    out = edit(model, ae, sf, torch.tensor([tok(s) for s in test.texts]), torch.tensor(tok("")), test.inputs,
               emb[None].expand(len(test), -1), sample_steps)
    return M.summarize({task: [M.score(task, test.inputs[i], test.targets[i], out[i]) for i in range(len(test))]})[task]


LR = 0.1  # chosen on the val split (docs/model-card.md, "Task inversion")


def fit_vector(start: torch.Tensor, loss_of: Callable[[torch.Tensor, Any], torch.Tensor], draw: Callable[[], Any],
               steps: int, lr: float, warm: int = 1, label: str = "fit", log_every: int = 100) -> torch.Tensor:
    """Adam on one task vector, every other weight frozen (inversion and refine_task): `draw()` gives
    a batch, `loss_of(vector, batch)` its loss. The lr warms up over `warm` steps (1: none), then
    decays by a cosine: large steps to find the region, small ones to settle."""
    emb = torch.nn.Parameter(start.clone())
    opt = torch.optim.Adam([emb], lr=lr)
    for step in range(steps):
        for gr in opt.param_groups:
            gr["lr"] = lr * min(1.0, (step + 1) / warm) * 0.5 * (1 + np.cos(np.pi * step / steps))
        loss = loss_of(emb, draw())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % log_every == 0:
            log(label, step=step + 1, loss=float(loss))
    return emb.detach()


def invert(run: str, k: int, steps: int = 300, lr: float = LR, batch: int = 16, eval_n: int = 20,
           name: str = "unet", task: str = "contour", seed: int = 0, sample_steps: int = 20,
           init: str = "mean", eval_split: str = "test") -> Dict[str, object]:
    """init "mean": the mean of the known task vectors; "best": the known task vector with the
    lowest denoising loss on the k examples. `seed` picks the k examples and the noise."""
    setup("cpu")
    t0 = time.time()
    model, sf, _ = load_editor(run, name)
    for p in model.parameters():
        p.requires_grad_(False)
    ae = load_vae(run)
    tok = tokenizer(run)
    train = D.make_pairs(k, "train", seed + 500, [task])
    z_in, z_tgt = encode_pairs(ae, train, sf)
    ids = torch.tensor([tok(s) for s in train.texts])
    with torch.no_grad():
        hidden, _ = model.text(ids)
    ab = Df.alphas_cumprod()
    g = torch.Generator().manual_seed(seed)

    def batch_loss(e: torch.Tensor, idx: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        xt, v = Df.add_noise(z_tgt[idx], noise, t, ab)
        n = len(idx)
        return F.mse_loss(model.denoise(torch.cat([xt, z_in[idx]], 1), t.float(), hidden[idx], e[None].expand(n, -1)), v)

    with torch.no_grad():
        table = model.task_vectors()[:len(T.TASK_NAMES)]
    if init == "best":
        # start from the known task whose embedding already explains the k examples best (one fixed
        # batch of noise and timesteps for all 16, so the comparison is fair)
        idx = torch.arange(k).repeat((64 + k - 1) // k)[:max(64, k)]
        t = torch.randint(0, Df.T_TRAIN, (len(idx),), generator=g)
        noise = torch.randn(z_tgt[idx].shape, generator=g)
        with torch.no_grad():
            losses = [float(batch_loss(table[i], idx, t, noise)) for i in range(len(table))]
        start = table[int(np.argmin(losses))].clone()
        init_task = T.TASK_NAMES[int(np.argmin(losses))]
    else:
        start, init_task = table.mean(0).clone(), "mean"
    def draw():
        idx = torch.randint(0, k, (batch,), generator=g)
        t = torch.randint(0, Df.T_TRAIN, (batch,), generator=g)
        return idx, t, torch.randn(z_tgt[idx].shape, generator=g)

    vec = fit_vector(start, lambda e, b: batch_loss(e, *b), draw, steps, lr, label=f"invert k={k}", log_every=50)
    # the held-out edits do not depend on `seed`: every setting is scored on the same ones
    summary = _held_out(model, ae, sf, tok, vec, task, eval_n, 0, sample_steps, eval_split)
    td = T.CONTOUR
    entry = {"id": len(T.TASKS), "name": task, "group": td.group, "description": td.description,
             "examples": sorted(set(train.texts))[:3], "embedding": [float(x) for x in vec.numpy()]}
    return {"entry": entry, "k": k, "steps": steps, "lr": lr, "seed": seed, "init": init, "init_task": init_task,
            "eval_split": eval_split, "metrics": summary, "seconds": time.time() - t0}


def from_start(run: str, eval_n: int = 20, name: str = "unet-contour", task: str = "contour", seed: int = 0,
               sample_steps: int = 20) -> Dict[str, object]:
    """The baseline inversion is measured against: the same task learned from the start, with its own
    task embedding (id 16), evaluated on the same held-out pairs as invert()."""
    setup("cpu")
    t0 = time.time()
    model, sf, steps = load_editor(run, name)
    tid = list(model.cfg.extra_tasks).index(task) + len(T.TASK_NAMES)
    ae = load_vae(run)
    tok = tokenizer(run)
    with torch.no_grad():
        vec = model.task_vectors(torch.tensor([tid]))[0]
    metrics = _held_out(model, ae, sf, tok, vec, task, eval_n, seed, sample_steps)
    return {"checkpoint": name, "trained_steps": steps, "metrics": metrics, "seconds": time.time() - t0}


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
    p.add_argument("--package", default=None,
                   help="a model package (e.g. models/emu-edit-tiny) to rebuild RUN from first, when RUN has no unet.pt")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--eval-n", type=int, default=20)
    p.add_argument("--init", choices=["mean", "best"], default="mean")
    p.add_argument("--lr", type=float, default=LR)
    p.add_argument("--seed", type=int, default=0, help="which k training examples, and the optimisation noise")
    p.add_argument("--eval-split", choices=["test", "val"], default="test",
                   help="val (other scenes, training phrasings) for choosing inversion settings")
    p.add_argument("--out", default=None, help="json path (default RUN/inversion/contour-kK.json)")
    p.add_argument("--name", default="unet")
    p.add_argument("--register", action="store_true")
    p.add_argument("--nats-url", default=None)
    a = p.parse_args(argv)
    if a.package and not os.path.exists(os.path.join(a.run, f"{a.name}.pt")):
        from .from_package import write_run
        write_run(a.package, a.run)
    res = invert(a.run, a.k, a.steps, a.lr, eval_n=a.eval_n, name=a.name, init=a.init, seed=a.seed,
                 eval_split=a.eval_split)
    out = a.out or os.path.join(a.run, "inversion", f"contour-k{a.k}.json")
    write_json(out, res)
    write_json(out.replace(".json", ".entry.json"), res["entry"])
    log("inversion", k=a.k, success=res["metrics"]["success"], iou=res["metrics"]["iou"])  # type: ignore[index]
    if a.register:
        log("registered " + register(out.replace(".json", ".entry.json"), a.nats_url).strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
