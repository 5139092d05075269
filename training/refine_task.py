"""Task-vector refinement: a known task's vector trained further on that task's own training pairs
while everything else stays frozen (task inversion, started from the task's own vector).

    /usr/bin/python3 -m training.refine_task --run training/runs/pkg --task detect [--pairs 2000] [--steps 1500]

The UNet, text encoder, autoencoder and every other task's vector are untouched, so the other 15
tasks and the classifier edit exactly as before and only the task's row of tasks/tasks.json
changes in the exported package. Writes RUN/OUT.pt (default unet-refined; --in names the
checkpoint to start from, so two tasks can be refined one after the other) and RUN/OUT-TASK.json
(settings, loss before and after on a fixed batch). Choose by `training.evaluate --split val
--name OUT` and `training.compare`, as every model change.
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from . import data as D
from . import diffusion as Df
from . import tasks as T
from .common import load_ckpt, log, save_ckpt, setup, write_json
from .invert import fit_vector
from .train_unet import encode_pairs, load_editor, load_vae, t_range_arg, tokenizer

def refine(run: str, task: str, pairs: int = 2000, steps: int = 1500, lr: float = 0.01, batch: int = 32,
           t_range: Tuple[int, int] = (0, Df.T_TRAIN), seed: int = 0, name: str = "unet",
           out_name: str = "unet-refined") -> Dict[str, object]:
    if task not in T.TASK_INDEX:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(T.TASK_NAMES)}")
    if pairs < 1 or steps < 1 or batch < 1 or not lr > 0:
        raise ValueError("pairs, steps and batch must be >= 1 and lr > 0")
    setup("cpu")
    t0 = time.time()
    model, sf, _ = load_editor(run, name)
    if model.cfg.task_mlp:
        raise ValueError(f"{run}/{name}.pt reaches its task vectors through the task MLP; refine a run "
                         "rebuilt from a package that holds task vectors (training.from_package)")
    for p in model.parameters():
        p.requires_grad_(False)
    ae = load_vae(run)
    tok = tokenizer(run)
    tid = T.TASK_INDEX[task]
    train = D.make_pairs(pairs, "train", seed + 700, [task])
    z_in, z_tgt = encode_pairs(ae, train, sf)
    with torch.no_grad():
        hidden = torch.cat([model.text(torch.tensor([tok(s) for s in train.texts[i:i + 256]]))[0]
                            for i in range(0, len(train), 256)])
        empty = model.text(torch.tensor([tok("")]))[0]
    ab = Df.alphas_cumprod()
    lo, hi = t_range
    g = torch.Generator().manual_seed(seed)

    def draw(n: int, gen: torch.Generator):
        idx = torch.randint(0, len(train), (n,), generator=gen)
        r = torch.rand(n, generator=gen)
        drop_text, drop_img = Df.cfg_drop(r)
        hid = torch.where(drop_text[:, None, None], empty.expand(n, -1, -1), hidden[idx])
        zi = z_in[idx] * (~drop_img).float().view(-1, 1, 1, 1)
        t = torch.randint(lo, hi, (n,), generator=gen)
        noise = torch.randn(z_tgt[idx].shape, generator=gen)
        return idx, hid, zi, t, noise

    def loss_of(e: torch.Tensor, b) -> torch.Tensor:
        idx, hid, zi, t, noise = b
        xt, v = Df.add_noise(z_tgt[idx], noise, t, ab)
        return F.mse_loss(model.denoise(torch.cat([xt, zi], 1), t.float(), hid, e[None].expand(len(idx), -1)), v)

    with torch.no_grad():
        start = model.task_vectors(torch.tensor([tid]))[0].clone()
        # one fixed batch, drawn from its own generator, to report the loss before and after
        fixed = draw(256, torch.Generator().manual_seed(seed + 1))
        loss_before = float(loss_of(start, fixed))
    # a short warm-up: Adam's first steps are full-size, and this vector already sits near its optimum
    vec = fit_vector(start, loss_of, lambda: draw(batch, g), steps, lr, warm=max(1, steps // 20), label=f"refine {task}")
    with torch.no_grad():
        loss_after = float(loss_of(vec, fixed))
    st = load_ckpt(os.path.join(run, f"{name}.pt"))
    for key in [k for k in ("model", "ema") if k in st]:  # a carried run keeps only the EMA weights
        table = st[key]["tasks.weight"].clone()
        table[tid] = vec
        st[key]["tasks.weight"] = table
    st.setdefault("refined_tasks", {})[task] = {"pairs": pairs, "steps": steps, "lr": lr, "t_range": [lo, hi]}
    save_ckpt(os.path.join(run, f"{out_name}.pt"), **st)
    return {"task": task, "from": name, "checkpoint": out_name, "pairs": pairs, "steps": steps, "lr": lr,
            "batch": batch, "t_range": [lo, hi], "seed": seed, "loss_before": loss_before,
            "loss_after": loss_after, "moved": float((vec - start).norm() / start.norm()),
            "seconds": time.time() - t0}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--task", required=True, choices=list(T.TASK_NAMES))
    p.add_argument("--in", dest="name", default="unet", help="checkpoint to start from (RUN/NAME.pt)")
    p.add_argument("--out", default="unet-refined", help="checkpoint to write (RUN/OUT.pt)")
    p.add_argument("--pairs", type=int, default=2000, help="training pairs of the task")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--t-range", type=t_range_arg, default=(0, Df.T_TRAIN), help="LO:HI, timesteps trained")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.out == a.name:
        p.error("--out must differ from --in (the starting checkpoint is kept)")
    try:
        res = refine(a.run, a.task, a.pairs, a.steps, a.lr, a.batch, a.t_range, a.seed, a.name, a.out)
    except ValueError as e:
        p.error(str(e))
    write_json(os.path.join(a.run, f"{a.out}-{a.task}.json"), res)
    log("refined", task=a.task, loss_before=res["loss_before"], loss_after=res["loss_after"], moved=res["moved"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
