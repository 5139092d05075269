"""Phase 2: tokenizer, pre-encoded pool, then text encoder + task embeddings + UNet + classifier.

    /usr/bin/python3 -m training.train_unet --run training/runs/default --steps 5000 [--no-task]

v-prediction on a zero-terminal-SNR schedule, EMA weights, InstructPix2Pix CFG dropout (5% text,
5% image, 5% both), classifier cross-entropy on the pooled text (weight 0.1) trained jointly.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import time
from typing import Any, Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import bpe
from . import data as D
from . import diffusion as Df
from . import tasks as T
from .common import load_ckpt, log, save_ckpt, setup, write_json
from .editor import EMA, Editor
from .models import AutoEncoder, Config


def load_vae(run: str) -> AutoEncoder:
    st = load_ckpt(os.path.join(run, "vae.pt"))
    cfg = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in st["cfg"].items()})
    ae = AutoEncoder(cfg)
    ae.load_state_dict(st["model"])
    return ae.eval()


def tokenizer(run: str, merges_n: int = 3000) -> bpe.ClipTokenizer:
    path = os.path.join(run, "tokenizer")
    if not os.path.exists(os.path.join(path, "merges.txt")):
        merges = bpe.learn_bpe(T.corpus("train"), merges_n)
        bpe.ClipTokenizer.from_merges(merges).save(path, merges)
    return bpe.ClipTokenizer.from_dir(path)


def scaling_of(run: str) -> float:
    import json
    with open(os.path.join(run, "vae_eval.json")) as f:
        return float(json.load(f)["scaling_factor"])


@torch.no_grad()
def encode_images(ae: AutoEncoder, imgs: np.ndarray, device: torch.device, bs: int = 256) -> torch.Tensor:
    return torch.cat([ae.encoder(D.to_tensor(imgs[i:i + bs]).to(device)).cpu() for i in range(0, len(imgs), bs)])


def build_pool(run: str, n_per_task: int, device: torch.device, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Pre-encode train pairs once: z_in, z_tgt (unscaled), token ids, task ids."""
    path = os.path.join(run, "pool.pt")
    if os.path.exists(path):
        pool = torch.load(path)
        if len(pool["task"]) == n_per_task * len(T.TASK_NAMES):
            return pool
    t0 = time.time()
    tok = tokenizer(run)
    ae = load_vae(run).to(device)
    pairs = D.make_pairs(n_per_task, "train", seed + 100)
    pool = {"z_in": encode_images(ae, pairs.inputs, device), "z_tgt": encode_images(ae, pairs.targets, device),
            "ids": torch.tensor([tok(s) for s in pairs.texts], dtype=torch.int64),
            "task": torch.from_numpy(pairs.task_ids)}
    torch.save(pool, path)
    log("pool: encoded", pairs=len(pairs), seconds=time.time() - t0)
    return pool


def make_config(run: str, use_task: bool = True, small: bool = False) -> Config:
    tok = tokenizer(run)
    vae_cfg = load_ckpt(os.path.join(run, "vae.pt"))["cfg"]
    cfg = Config(vocab_size=tok.vocab_size, latent_channels=vae_cfg["latent_channels"],
                 vae_channels=tuple(vae_cfg["vae_channels"]), use_task=use_task)
    if small:
        cfg = dataclasses.replace(cfg, text_dim=64, text_layers=1, unet_channels=(32, 48, 64), task_dim=32)
    return cfg


def train(run: str, steps: int, batch: int = 32, lr: float = 5e-4, n_per_task: int = 2000, use_task: bool = True,
          device: str = "cpu", ckpt_every: int = 250, seed: int = 0, log_every: int = 50, name: str = "unet",
          deadline: Optional[float] = None, small: bool = False, stop_at: Optional[int] = None) -> Dict[str, Any]:
    dev = setup(device)
    pool = build_pool(run, n_per_task, dev, seed)
    tok = tokenizer(run)
    sf = scaling_of(run)
    cfg = make_config(run, use_task, small)
    torch.manual_seed(seed)
    model = Editor(cfg).to(dev)
    ema = EMA(model)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    path = os.path.join(run, f"{name}.pt")
    step = 0
    if os.path.exists(path):
        st = load_ckpt(path)
        model.load_state_dict(st["model"])
        ema.model.load_state_dict(st["ema"])
        opt.load_state_dict(st["opt"])
        step = st["step"]
        log(f"{name}: resumed", step=step)
    ab = Df.alphas_cumprod().to(dev)
    empty = torch.tensor(tok(""), dtype=torch.int64).to(dev)
    rng = np.random.default_rng([seed, step, 17])
    n = len(pool["task"])
    t0, acc = time.time(), {"loss": 0.0, "diff": 0.0, "ce": 0.0}
    model.train()

    def save() -> None:
        save_ckpt(path, model=model.state_dict(), ema=ema.model.state_dict(), opt=opt.state_dict(), step=step,
                  cfg=dataclasses.asdict(cfg), scaling_factor=sf)

    while step < min(steps, stop_at or steps):
        if deadline is not None and time.time() > deadline:
            log(f"{name}: deadline reached", step=step)
            break
        cur = lr * min(1.0, (step + 1) / 200) * (0.55 + 0.45 * math.cos(math.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = cur
        idx = torch.from_numpy(rng.integers(n, size=batch))
        z_in, z_tgt = pool["z_in"][idx].to(dev), pool["z_tgt"][idx].to(dev) * sf
        ids, task = pool["ids"][idx].to(dev), pool["task"][idx].to(dev)
        r = torch.from_numpy(rng.random(batch)).to(dev)
        drop_text = (r < 0.05) | ((r >= 0.10) & (r < 0.15))
        drop_img = (r >= 0.05) & (r < 0.15)
        ids = torch.where(drop_text[:, None], empty[None], ids)
        z_in = z_in * (~drop_img).float().view(-1, 1, 1, 1)
        t = torch.from_numpy(rng.integers(0, Df.T_TRAIN, size=batch)).to(dev)
        noise = torch.randn_like(z_tgt)
        xt, v = Df.add_noise(z_tgt, noise, t, ab)
        hidden, pooled = model.text(ids)
        pred = model.denoise(torch.cat([xt, z_in], 1), t.float(), hidden, model.tasks(task))
        diff = F.mse_loss(pred, v)
        keep = ~drop_text
        ce = F.cross_entropy(model.classifier(pooled[keep]), task[keep]) if keep.any() else diff * 0
        loss = diff + 0.1 * ce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model, step)
        step += 1
        acc["loss"] += float(loss)
        acc["diff"] += float(diff)
        acc["ce"] += float(ce)
        if step % log_every == 0:
            log(name, step=step, **{k: v / log_every for k, v in acc.items()}, lr=cur,
                s_per_step=(time.time() - t0) / log_every)
            acc = {k: 0.0 for k in acc}
            t0 = time.time()
        if step % ckpt_every == 0:
            save()
    save()
    return {"steps": step}


def load_editor(run: str, name: str = "unet", use_ema: bool = True):
    st = load_ckpt(os.path.join(run, f"{name}.pt"))
    cfg = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in st["cfg"].items()})
    m = Editor(cfg)
    m.load_state_dict(st["ema" if use_ema else "model"])
    return m.eval(), float(st["scaling_factor"]), int(st["step"])


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--steps", type=int, default=5500)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--n-per-task", type=int, default=600)
    p.add_argument("--no-task", action="store_true", help="ablation: no task embeddings")
    p.add_argument("--name", default=None, help="checkpoint name (default unet, or unet-notask)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--minutes", type=float, default=None, help="stop (and checkpoint) after this wall time")
    p.add_argument("--stop-at", type=int, default=None, help="stop after this many steps (LR schedule still spans --steps)")
    a = p.parse_args(argv)
    name = a.name or ("unet-notask" if a.no_task else "unet")
    deadline = time.time() + 60 * a.minutes if a.minutes else None
    train(a.run, a.steps, a.batch, a.lr, a.n_per_task, not a.no_task, a.device, name=name, deadline=deadline,
          stop_at=a.stop_at)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
