"""Phase 2: tokenizer, pre-encoded pool, then text encoder + task embeddings + UNet + classifier.

    /usr/bin/python3 -m training.train_unet --run training/runs/default --steps 5000 [--no-task]

v-prediction on a zero-terminal-SNR schedule, EMA weights, InstructPix2Pix CFG dropout (5% text,
5% image, 5% both), classifier cross-entropy on the pooled text (weight 0.1) trained jointly.
`--pos-emb` adds learned absolute-position tables to the UNet (models.Config.unet_pos); with
`--init-from` they join a model trained without them at zero, so it starts from its own function.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import signal
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from . import bpe
from . import data as D
from . import diffusion as Df
from . import tasks as T
from .common import Clock, autocast, cosine_lr, load_ckpt, log, parse_task_weights, save_ckpt, setup
from .editor import EMA, Editor
from .models import AutoEncoder, Config


def config_of(st: Dict[str, Any]) -> Config:
    """The architecture a checkpoint was saved with."""
    return Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in st["cfg"].items()})


def load_vae(run: str) -> AutoEncoder:
    st = load_ckpt(os.path.join(run, "vae.pt"))
    ae = AutoEncoder(config_of(st))
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


def encode_pairs(ae: AutoEncoder, pairs: D.Pairs, sf: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """(input latents, target latents * sf) on the CPU: what the frozen-model fits (inversion,
    refine_task, text_robust) condition on and denoise towards."""
    cpu = torch.device("cpu")
    return encode_images(ae, pairs.inputs, cpu), encode_images(ae, pairs.targets, cpu) * sf


# a run's pool holds the training pairs of seed stream POOL_SEED_OFFSET + its seed
POOL_SEED_OFFSET = 100


def pool_seeds(ckpt: Dict[str, Any]) -> List[int]:
    """The train_unet seeds of every pool a UNet checkpoint was trained on, along its --init-from
    chain; a checkpoint that does not record them (every one before --seed, and a run rebuilt from
    a package) trained on seed 0's."""
    return [int(x) for x in ckpt.get("pool_seeds", [0])]


def trained_scene_seeds(ckpt: Dict[str, Any]) -> Set[int]:
    """The seed streams (data.make_pairs) of the training scenes a UNet checkpoint has seen."""
    return {POOL_SEED_OFFSET + x for x in pool_seeds(ckpt)}


def pool_path(run: str, extra_tasks: Sequence[str] = (), seed: int = 0) -> str:
    # seed 0 keeps the name every earlier run used; another seed is another set of scenes
    stem = "pool" + (f"-seed{seed}" if seed else "")
    return os.path.join(run, f"{stem}.pt" if not extra_tasks else f"{stem}-{'-'.join(extra_tasks)}.pt")


def build_pool(run: str, n_per_task: int, device: torch.device, seed: int = 0,
               extra_tasks: Sequence[str] = ()) -> Dict[str, torch.Tensor]:
    """Pre-encode train pairs once: z_in, z_tgt (unscaled), token ids, task ids (extra tasks get
    ids 16, 17, ... after the table's)."""
    path = pool_path(run, extra_tasks, seed)
    n_tasks = len(T.TASK_NAMES) + len(extra_tasks)
    if os.path.exists(path):
        pool = torch.load(path, weights_only=False)
        if len(pool["task"]) == n_per_task * n_tasks:
            return pool
    t0 = time.time()
    tok = tokenizer(run)
    ae = load_vae(run).to(device)
    # every task is its own seed stream, so a pool with extra tasks is the base pool plus their pairs
    base = build_pool(run, n_per_task, device, seed) if extra_tasks else None
    names = list(extra_tasks) if base is not None else list(T.TASK_NAMES)
    pairs = D.make_pairs(n_per_task, "train", POOL_SEED_OFFSET + seed, names)
    first = len(T.TASK_NAMES) if base is not None else 0
    task = torch.tensor([first + i for i in range(len(names)) for _ in range(n_per_task)], dtype=torch.int64)
    pool = {"z_in": encode_images(ae, pairs.inputs, device), "z_tgt": encode_images(ae, pairs.targets, device),
            "ids": torch.tensor([tok(s) for s in pairs.texts], dtype=torch.int64), "task": task}
    if base is not None:
        pool = {k: torch.cat([base[k], v]) for k, v in pool.items()}
    torch.save(pool, path)
    log("pool: encoded", pairs=len(pairs), seconds=time.time() - t0)
    return pool


def make_config(run: str, use_task: bool = True, small: bool = False, extra_tasks: Sequence[str] = (),
                pos: bool = False) -> Config:
    tok = tokenizer(run)
    vae_cfg = load_ckpt(os.path.join(run, "vae.pt"))["cfg"]
    cfg = Config(vocab_size=tok.vocab_size, latent_channels=vae_cfg["latent_channels"],
                 vae_channels=tuple(vae_cfg["vae_channels"]), use_task=use_task,
                 num_tasks=len(T.TASK_NAMES) + len(extra_tasks), extra_tasks=tuple(extra_tasks), unet_pos=pos)
    if small:
        cfg = dataclasses.replace(cfg, text_dim=64, text_layers=1, unet_channels=(32, 48, 64), task_dim=32)
    return cfg


def _sigterm_interrupts() -> None:
    """SIGTERM (a scheduler's or `timeout`'s stop) interrupts training like Ctrl-C, so it checkpoints."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals to the caller
        pass


# learning-rate multiplier of parameters added zero-initialised to a trained model: at the
# continuation's small rate they would barely leave zero in a CPU-sized run
NEW_PARAM_LR_SCALE = 10.0


def _optimizer(model: torch.nn.Module, lr: float, dev: torch.device,
               new: Sequence[str] = (), new_lr_scale: float = NEW_PARAM_LR_SCALE) -> torch.optim.Optimizer:
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in named if n not in new], "lr_scale": 1.0}]
    if new:
        groups.append({"params": [p for n, p in named if n in new], "lr_scale": new_lr_scale})
    if dev.type == "cuda":
        try:  # one fused kernel for the whole update where this torch has it
            return torch.optim.AdamW(groups, lr=lr, weight_decay=0.01, fused=True)
        except (TypeError, RuntimeError):
            pass
    return torch.optim.AdamW(groups, lr=lr, weight_decay=0.01)


# `--batch auto`: each candidate runs PROBE_WARMUP + PROBE_STEPS steps on a copy of the model; a
# larger batch is chosen only when it trains at least BATCH_GAIN times as many samples per second
# (on a GPU a model this small is bound by kernel launches, not arithmetic, so a larger batch can
# cost the same time per step; on a CPU it cannot, and the smallest candidate stays)
BATCH_CANDIDATES = (256, 512, 1024, 2048)
BATCH_GAIN = 1.2
PROBE_WARMUP, PROBE_STEPS = 3, 8


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def seconds_per_step(one_step: Callable[[], None], dev: torch.device, warmup: int = PROBE_WARMUP,
                     steps: int = PROBE_STEPS) -> float:
    for _ in range(warmup):  # also lets cudnn pick its kernels for the new shapes
        one_step()
    _sync(dev)
    t = time.perf_counter()
    for _ in range(steps):
        one_step()
    _sync(dev)
    return (time.perf_counter() - t) / steps


def probe_batch(trial: Callable[[int], float], candidates: Sequence[int]) -> Dict[int, float]:
    """Samples per second of each candidate batch (trial: batch -> seconds per step), in
    increasing order, up to the first that does not fit in memory."""
    out: Dict[int, float] = {}
    for b in sorted(candidates):
        try:
            out[b] = b / trial(b)
        except RuntimeError as e:  # torch.cuda.OutOfMemoryError is one
            if "out of memory" not in str(e):
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            log("batch probe: out of memory", batch=b)
            break
    if not out:
        raise RuntimeError(f"batch probe: not even batch {min(candidates)} fits in memory")
    return out


def pick_batch(samples_per_s: Dict[int, float], gain: float = BATCH_GAIN) -> int:
    """The smallest batch, unless a larger one is at least `gain` times faster per sample than
    the one chosen so far."""
    best = min(samples_per_s)
    for b in sorted(samples_per_s):
        if samples_per_s[b] >= gain * samples_per_s[best]:
            best = b
    return best


def train(run: str, steps: int, batch: int = 32, lr: float = 5e-4, n_per_task: int = 2000, use_task: bool = True,
          device: str = "cpu", ckpt_every: int = 250, seed: int = 0, log_every: int = 50, name: str = "unet",
          deadline: Optional[float] = None, small: bool = False, stop_at: Optional[int] = None,
          minutes: Optional[float] = None, extra_tasks: Sequence[str] = (), warmup: int = 200,
          ema_decay: float = 0.999, init_from: Optional[str] = None,
          task_weights: Optional[Dict[str, float]] = None, pos: bool = False,
          new_lr_scale: float = NEW_PARAM_LR_SCALE, task_noise: float = 0.0,
          batch_candidates: Sequence[int] = BATCH_CANDIDATES, t_range: Tuple[int, int] = (0, Df.T_TRAIN),
          freeze_text: bool = False) -> Dict[str, Any]:
    """`deadline` (epoch seconds) stops a step-scheduled run early (resumable later); `minutes`
    instead makes the run a fixed wall-time budget with the cosine schedule spread over it (the
    GPU recipe: the number of steps a machine manages is not known in advance). A run that ended
    its schedule is marked finished and never trained again.

    `init_from` continues another run's weights (its EMA, e.g. a carried GPU run) with a fresh
    optimizer; `task_weights` (task name -> relative sampling weight, default 1) spends the
    steps on the tasks that need them. `pos` gives the UNet absolute-position tables
    (Config.unet_pos); a continued model without them gets them zero-initialised, so it starts
    from exactly the function it had. `task_noise` adds Gaussian noise of that std (per dimension)
    to the task embedding the UNet sees, so that its task pathway is trained around each task's
    point and not only at it (meant for task inversion, which searches that space); the noise
    has its own generator, so the data order equals that of the same run without it. `t_range`
    (lo, hi) draws the training timesteps from [lo, hi) instead of all of them: a continuation
    can spend its samples where the model's edits go wrong (docs/model-card.md: detect, sketch
    and texture are lost below t = 500). `freeze_text` trains neither the text encoder nor the
    classifier head, so both stay exactly the package's (no head to fit again). `batch` 0
    is "auto": probe_batch over `batch_candidates` picks it (the learning rate is kept as given),
    and the checkpoint records it, so a resumed run keeps it."""
    lo, hi = _checked_t_range(*t_range)  # before any work
    dev = setup(device)
    path = os.path.join(run, f"{name}.pt")
    _sigterm_interrupts()
    st = load_ckpt(path) if os.path.exists(path) else None
    if st is not None:
        if st.get("finished") and (st.get("budget") or st["step"] >= steps):
            return {"steps": int(st["step"])}
        if "opt" not in st:  # carried from another machine (training/carry.py): EMA weights only, used as they are
            log(f"{name}: carried checkpoint without optimizer state, not resumable; using it as is", step=st["step"])
            return {"steps": int(st["step"])}
    pool = {k: v.to(dev) for k, v in build_pool(run, n_per_task, dev, seed, extra_tasks).items()}
    tok = tokenizer(run)
    sf = scaling_of(run)
    src = load_ckpt(init_from) if init_from is not None else None
    # a continued model keeps its own architecture (e.g. one rebuilt from a package by from_package)
    cfg = config_of(src) if src is not None else make_config(run, use_task, small, extra_tasks, pos)
    added_pos = src is not None and pos and not cfg.unet_pos
    if added_pos:
        cfg = dataclasses.replace(cfg, unet_pos=True)
    torch.manual_seed(seed)
    model = Editor(cfg).to(dev)
    if freeze_text:
        for p_ in [*model.text.parameters(), *model.classifier.parameters()]:
            p_.requires_grad_(False)
    ema = EMA(model, ema_decay)
    opt = _optimizer(model, lr, dev, [n for n, _ in model.named_parameters() if n.startswith("unet.pos")] if added_pos else (),
                     new_lr_scale)
    step = 0
    init_steps = 0
    seeds = sorted(set(pool_seeds(src)) | {seed}) if src is not None else [seed]
    if src is not None:
        for m in (model, ema.model):
            missing, unexpected = m.load_state_dict(src["ema"], strict=not added_pos)
            if unexpected or any(not k.startswith("unet.pos") for k in missing):
                raise ValueError(f"{init_from} does not fit this architecture: missing {missing}, unexpected {unexpected}")
        init_steps = int(src["step"]) + int(src.get("init_steps", 0))
        log(f"{name}: starting from {init_from}", steps_there=init_steps)
    if st is not None:
        model.load_state_dict(st["model"])
        ema.model.load_state_dict(st["ema"])
        opt.load_state_dict(st["opt"])
        step = st["step"]
        log(f"{name}: resumed", step=step)
    ab = Df.alphas_cumprod().to(dev)
    empty = torch.tensor(tok(""), dtype=torch.int64).to(dev)
    g = torch.Generator(device=dev).manual_seed(seed * 1_000_003 + step * 17 + 1)
    g_noise = torch.Generator(device=dev).manual_seed(seed * 1_000_003 + step * 17 + 2)
    n = len(pool["task"])
    names = list(T.TASK_NAMES) + list(extra_tasks)
    weights = None
    if task_weights:
        weights = torch.tensor([task_weights.get(names[int(i)], 1.0) for i in pool["task"]], device=dev)
    clock = Clock(steps, minutes)  # a batch probe below counts against a wall-time budget

    def losses(m: Editor, bsz: int, gen: torch.Generator, gen_noise: torch.Generator):
        idx = (torch.randint(n, (bsz,), device=dev, generator=gen) if weights is None else
               torch.multinomial(weights, bsz, replacement=True, generator=gen))
        z_in, z_tgt = pool["z_in"][idx], pool["z_tgt"][idx] * sf
        ids, task = pool["ids"][idx], pool["task"][idx]
        r = torch.rand(bsz, device=dev, generator=gen)
        drop_text, drop_img = Df.cfg_drop(r)
        ids = torch.where(drop_text[:, None], empty[None], ids)
        z_in = z_in * (~drop_img).float().view(-1, 1, 1, 1)
        t = torch.randint(lo, hi, (bsz,), device=dev, generator=gen)
        noise = torch.randn(z_tgt.shape, device=dev, generator=gen)
        xt, v = Df.add_noise(z_tgt, noise, t, ab)
        with autocast(dev):
            hidden, pooled = m.text(ids)
            noise_rows = (task_noise * torch.randn((bsz, m.cfg.task_dim), device=dev, generator=gen_noise)
                          if task_noise > 0 else None)
            pred = m.denoise(torch.cat([xt, z_in], 1), t.float(), hidden, m.task_vectors(task, noise_rows))
            logits = m.classifier(pooled)
        diff = F.mse_loss(pred.float(), v)
        keep = (~drop_text).float()
        ce = (F.cross_entropy(logits.float(), task, reduction="none") * keep).sum() / keep.sum().clamp(min=1.0)
        if freeze_text:  # reported, not trained
            ce = ce.detach()
        return diff + 0.1 * ce, diff, ce

    def update(m: Editor, o: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        o.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        o.step()

    if batch <= 0:  # "auto": the batch a probe finds fastest per sample; a resumed run keeps its own
        if st is not None and st.get("batch"):
            batch = int(st["batch"])
        else:
            def trial(bsz: int) -> float:
                # on copies: the run's own weights, optimizer and data order stay as they are
                m = copy.deepcopy(model)
                o, e = _optimizer(m, lr, dev), EMA(m, ema_decay)
                gen = torch.Generator(device=dev).manual_seed(seed + 7)

                def one() -> None:
                    update(m, o, losses(m, bsz, gen, gen)[0])
                    e.update(m, step)
                return seconds_per_step(one, dev)
            probe = probe_batch(trial, batch_candidates)
            batch = pick_batch(probe)
            log(f"{name}: batch probe", **{f"samples_per_s@{b}": round(v, 1) for b, v in probe.items()}, chosen=batch)
    t0 = time.time()
    # running sums stay on the device: a float() per step would make the host wait for the GPU
    acc = torch.zeros(3, device=dev)
    model.train()

    def save(finished: bool = False) -> None:
        save_ckpt(path, model=model.state_dict(), ema=ema.model.state_dict(), opt=opt.state_dict(), step=step,
                  cfg=dataclasses.asdict(cfg), scaling_factor=sf, finished=finished, budget=minutes is not None,
                  init_steps=init_steps, init_from=init_from, task_weights=task_weights, task_noise=task_noise,
                  batch=batch, t_range=list(t_range), freeze_text=freeze_text, seed=seed, pool_seeds=seeds)

    try:
        while not clock.done(step) and (stop_at is None or step < stop_at):
            if deadline is not None and time.time() > deadline:
                log(f"{name}: deadline reached", step=step)
                break
            cur = cosine_lr(lr, clock.progress(step), (step + 1) / warmup, 0.1)
            for gr in opt.param_groups:
                gr["lr"] = cur * gr.get("lr_scale", 1.0)
            loss, diff, ce = losses(model, batch, g, g_noise)
            update(model, opt, loss)
            ema.update(model, step)
            step += 1
            acc += torch.stack([loss.detach(), diff.detach(), ce.detach()])
            if step % log_every == 0:
                m = (acc / log_every).tolist()
                log(name, step=step, loss=m[0], diff=m[1], ce=m[2], lr=cur, s_per_step=(time.time() - t0) / log_every)
                acc.zero_()
                t0 = time.time()
            if step % ckpt_every == 0:
                save()
    except KeyboardInterrupt:
        # an interrupted run (Ctrl-C, or a time limit's SIGINT/SIGTERM) keeps its last step, not its last checkpoint
        save()
        log(f"{name}: interrupted, checkpoint saved", step=step)
        raise
    save(finished=clock.done(step))
    return {"steps": step}


def editor_of(st: dict, use_ema: bool = True) -> Editor:
    """The editor held by a loaded checkpoint, for callers that read other fields of it too."""
    m = Editor(config_of(st))
    m.load_state_dict(st["ema" if use_ema else "model"])
    return m.eval()


def load_editor(run: str, name: str = "unet", use_ema: bool = True):
    st = load_ckpt(os.path.join(run, f"{name}.pt"))
    return editor_of(st, use_ema), float(st["scaling_factor"]), int(st["step"])


def _batch_arg(v: str) -> int:
    if v == "auto":
        return 0
    if not v.isdigit() or int(v) < 1:
        raise argparse.ArgumentTypeError(f"a positive integer or 'auto', got {v!r}")
    return int(v)


def _batches_arg(v: str) -> tuple:
    bs = [x.strip() for x in v.split(",")]
    if not bs or any(not x.isdigit() or int(x) < 1 for x in bs):
        raise argparse.ArgumentTypeError(f"comma-separated positive integers, got {v!r}")
    return tuple(sorted(int(x) for x in bs))


def _checked_t_range(lo: int, hi: int) -> Tuple[int, int]:
    if not 0 <= lo < hi <= Df.T_TRAIN:
        raise ValueError(f"a timestep range needs 0 <= LO < HI <= {Df.T_TRAIN}, got {lo}:{hi}")
    return lo, hi


def t_range_arg(v: str) -> Tuple[int, int]:
    parts = v.split(":")
    if len(parts) != 2 or not all(x.strip().isdigit() for x in parts):
        raise argparse.ArgumentTypeError(f"LO:HI with integers, got {v!r}")
    try:
        return _checked_t_range(int(parts[0]), int(parts[1]))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--steps", type=int, default=5500)
    p.add_argument("--batch", type=_batch_arg, default=32,
                   help="batch size, or 'auto': the fastest per sample of --batch-candidates (a short probe)")
    p.add_argument("--batch-candidates", type=_batches_arg, default=BATCH_CANDIDATES, metavar="B1,B2,...")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--n-per-task", type=int, default=600)
    p.add_argument("--no-task", action="store_true", help="ablation: no task embeddings")
    p.add_argument("--name", default=None, help="checkpoint name (default unet, or unet-notask)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--minutes", type=float, default=None, help="stop (and checkpoint) after this wall time")
    p.add_argument("--budget-minutes", type=float, default=None,
                   help="a fixed wall-time budget: the LR schedule spans it and the run ends finished")
    p.add_argument("--stop-at", type=int, default=None, help="stop after this many steps (LR schedule still spans --steps)")
    p.add_argument("--extra-task", action="append", default=[], help="also learn this task from the start (e.g. contour)")
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--ckpt-every", type=int, default=250)
    p.add_argument("--small", action="store_true", help="tiny widths (smoke tests)")
    p.add_argument("--init-from", default=None, help="start from this checkpoint's EMA weights (fresh optimizer)")
    p.add_argument("--pos-emb", action="store_true",
                   help="absolute-position tables in the UNet (added zero-initialised to an --init-from model without them)")
    p.add_argument("--new-lr-scale", type=float, default=NEW_PARAM_LR_SCALE,
                   help="learning-rate multiplier of the parameters --pos-emb adds to an --init-from model")
    p.add_argument("--task-weight", action="append", default=[], metavar="TASK=W",
                   help="relative sampling weight of a task (default 1), repeatable")
    p.add_argument("--task-noise", type=float, default=0.0,
                   help="std of Gaussian noise added to the task embedding in training (for task inversion)")
    p.add_argument("--t-range", type=t_range_arg, default=(0, Df.T_TRAIN), metavar="LO:HI",
                   help=f"train on timesteps in [LO, HI) only (default 0:{Df.T_TRAIN})")
    p.add_argument("--freeze-text", action="store_true",
                   help="train neither the text encoder nor the classifier head (both stay as --init-from has them)")
    p.add_argument("--seed", type=int, default=0,
                   help="the pool's scenes (training pairs of seed stream SEED+100) and the batch order; every "
                        "shipped UNet was trained on seed 0's, so a continuation on other scenes takes another")
    a = p.parse_args(argv)
    if a.task_noise < 0:
        p.error(f"--task-noise must be >= 0, got {a.task_noise}")
    try:
        tw = parse_task_weights(a.task_weight, list(T.TASK_NAMES) + list(a.extra_task)) or None
    except ValueError as e:
        p.error(str(e))
    name = a.name or ("unet-notask" if a.no_task else "unet")
    deadline = time.time() + 60 * a.minutes if a.minutes else None
    res = train(a.run, a.steps, a.batch, a.lr, a.n_per_task, not a.no_task, a.device, name=name, deadline=deadline,
                stop_at=a.stop_at, minutes=a.budget_minutes, extra_tasks=a.extra_task, warmup=a.warmup,
                ckpt_every=a.ckpt_every, small=a.small, init_from=a.init_from, task_weights=tw,
                pos=a.pos_emb, new_lr_scale=a.new_lr_scale, task_noise=a.task_noise,
                batch_candidates=a.batch_candidates, t_range=a.t_range, freeze_text=a.freeze_text, seed=a.seed)
    log(f"{name}: done", steps=res["steps"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
