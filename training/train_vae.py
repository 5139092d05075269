"""Phase 1: the autoencoder (64x64x3 <-> 16x16xC), its scaling factor and its own ceiling per task.

    /usr/bin/python3 -m training.train_vae --run training/runs/default --steps 4000

Loss: L1 + MSE with edge weighting (pixels within 1 px of a colour change count 5x), since object
edges, 2-px boxes and text strokes are where a 4x autoencoder loses edit success.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections import defaultdict
from typing import Any, Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import metrics as M
from .common import Clock, cosine_lr, load_ckpt, log, save_ckpt, setup, write_json
from .models import AutoEncoder, Config


def edge_weight(x: torch.Tensor, boost: float = 4.0) -> torch.Tensor:
    """[B,1,H,W]: 1 + boost where the pixel is within 1 px of a colour change."""
    dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().sum(1, keepdim=True) > 1e-3
    dy = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().sum(1, keepdim=True) > 1e-3
    e = torch.zeros_like(x[:, :1])
    e[:, :, :, 1:] += dx.float()
    e[:, :, :, :-1] += dx.float()
    e[:, :, 1:, :] += dy.float()
    e[:, :, :-1, :] += dy.float()
    e = F.max_pool2d((e > 0).float(), 3, 1, 1)
    return 1.0 + boost * e


def recon_loss(r: torch.Tensor, x: torch.Tensor, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Edge-weighted L1 + MSE of a reconstruction r of x; `weight` [B,1,H,W] multiplies the edge weight."""
    w = edge_weight(x)
    if weight is not None:
        w = w * weight
    err = r - x
    return (w * err.abs()).mean() + (w * err * err).mean()


def vae_loss(ae: AutoEncoder, x: torch.Tensor) -> torch.Tensor:
    r, z = ae(x)
    return recon_loss(r, x) + 1e-4 * (z * z).mean()


def image_pool(pairs: D.Pairs) -> np.ndarray:
    return np.concatenate([pairs.inputs, pairs.targets])


def train(run: str, cfg: Config, steps: int, batch: int = 32, lr: float = 2e-3, n_per_task: int = 1000,
          device: str = "cpu", ckpt_every: int = 200, seed: int = 0, log_every: int = 50,
          minutes: Optional[float] = None) -> AutoEncoder:
    """`minutes` bounds the wall time (the cosine schedule then runs over the budget: for a GPU run
    whose speed is not known in advance). A finished run is never trained again."""
    dev = setup(device)
    path = os.path.join(run, "vae.pt")
    torch.manual_seed(seed)
    ae = AutoEncoder(cfg).to(dev)
    opt = torch.optim.AdamW(ae.parameters(), lr=lr, weight_decay=0.0)
    step = 0
    if os.path.exists(path):
        st = load_ckpt(path)
        ae.load_state_dict(st["model"])
        if st.get("finished") and (st.get("budget") or st["step"] >= steps):
            return ae.eval()
        opt.load_state_dict(st["opt"])
        step = st["step"]
        log("vae: resumed", step=step)
    if step >= steps:
        return ae.eval()
    # The image pool lives where the model does: no per-step host-to-device copies on a GPU.
    pool = torch.from_numpy(image_pool(D.make_pairs(n_per_task, "train", seed))).to(dev)
    g = torch.Generator(device=dev).manual_seed(seed * 1_000_003 + step)
    clock = Clock(steps, minutes)
    t0, tl = time.time(), torch.zeros((), device=dev)
    ae.train()

    def save(finished: bool = False) -> None:
        save_ckpt(path, model=ae.state_dict(), opt=opt.state_dict(), step=step, cfg=dataclasses.asdict(cfg),
                  finished=finished, budget=minutes is not None)

    while not clock.done(step):
        cur = cosine_lr(lr, clock.progress(step), (step + 1) / 100, 0.0)
        for gr in opt.param_groups:
            gr["lr"] = cur
        x = D.to_tensor(pool[torch.randint(len(pool), (batch,), device=dev, generator=g)])
        loss = vae_loss(ae, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        tl += loss.detach()
        if step % log_every == 0:
            log("vae", step=step, loss=float(tl) / log_every, lr=cur, s_per_step=(time.time() - t0) / log_every)
            tl.zero_()
            t0 = time.time()
        if step % ckpt_every == 0:
            save()
    save(finished=True)
    return ae.eval()


@torch.no_grad()
def scaling_factor(ae: AutoEncoder, pairs: D.Pairs, device: str = "cpu") -> float:
    imgs = image_pool(pairs)
    zs = [ae.encoder(D.to_tensor(imgs[i:i + 256]).to(device)).float() for i in range(0, len(imgs), 256)]
    return float(1.0 / torch.cat(zs).std())


@torch.no_grad()
def ceiling(ae: AutoEncoder, pairs: D.Pairs, device: str = "cpu") -> Dict[str, Dict[str, float]]:
    """Edit success of decode(encode(target)) per task: the best the latent space allows (a
    decoder conditioned on the source image is given the edit's input, as in an edit)."""
    from .tasks import TASK_NAMES
    rows: Dict[str, list] = defaultdict(list)
    for i in range(0, len(pairs), 256):
        tg = pairs.targets[i:i + 256]
        rec = D.to_uint8(ae(D.to_tensor(tg).to(device), D.to_tensor(pairs.inputs[i:i + 256]).to(device))[0])
        for j in range(len(tg)):
            k = i + j
            rows[TASK_NAMES[pairs.task_ids[k]]].append(M.score(TASK_NAMES[pairs.task_ids[k]], pairs.inputs[k], tg[j], rec[j]))
    return M.summarize(rows)


def ceiling_summary(ae: AutoEncoder, pairs: D.Pairs) -> Dict[str, Any]:
    """ceiling() per task, with its mean and its weakest task's success."""
    per = ceiling(ae, pairs)
    success = [v["success"] for v in per.values()]
    return {"per_task": per, "mean_success": float(np.mean(success)), "min_success": float(min(success))}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--n-per-task", type=int, default=1000)
    p.add_argument("--eval-per-task", type=int, default=50)
    p.add_argument("--device", default="cpu")
    p.add_argument("--minutes", type=float, default=None, help="wall-time budget (the LR schedule spans it)")
    p.add_argument("--vocab-size", type=int, default=0, help="unused here; kept for a shared config")
    a = p.parse_args(argv)
    cfg = Config()
    ae = train(a.run, cfg, a.steps, a.batch, a.lr, a.n_per_task, a.device, minutes=a.minutes).cpu()
    test = D.make_pairs(a.eval_per_task, "test")
    ceil = ceiling_summary(ae, test)
    res = {"scaling_factor": scaling_factor(ae, D.make_pairs(20, "train", 7)), "ceiling": ceil["per_task"],
           "ceiling_mean_success": ceil["mean_success"]}
    write_json(os.path.join(a.run, "vae_eval.json"), res)
    for k, v in res["ceiling"].items():
        log(f"ceiling {k}", success=v["success"], psnr_in=v["psnr_in"], psnr_out=v["psnr_out"])
    log("ceiling", mean=res["ceiling_mean_success"], scaling=res["scaling_factor"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
