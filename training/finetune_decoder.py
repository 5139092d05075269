"""Fine-tune only the autoencoder's decoder of a run (the encoder, hence the latent space the UNet
was trained in, stays fixed), with extra weight on the tasks whose ceiling is lowest.

    /usr/bin/python3 -m training.finetune_decoder --run training/runs/pkg --minutes 30 --task-weight texture=4

`--generated N` also teaches the decoder the UNet's own latents: N training edits per task are
sampled with the run's UNet (the package's sampler settings) and `--generated-fraction` of every
batch maps those sampled latents to the edits' true targets, so the decoder learns to undo the
UNet's systematic errors (impure colours, soft thin lines) while the rest keeps it exact on real
latents. `--generated-min-psnr DB` keeps only the sampled latents whose decoding (by the decoder
before fine-tuning) reaches a PSNR of at least DB against the target inside the edit region: those the UNet got roughly right, so the
decoder learns to sharpen them rather than to invent an edit the UNet did not make (texture).
`--generated-extra TASK=N` samples N more training edits of TASK (another seed, so other scenes),
so the tasks whose sampled latents need the most correcting take a larger share of that part of
every batch.

`--source` gives the decoder the edit's source image as a second input (models.Config
.decoder_source: two small branches into its 16x16 and 32x32 stages, starting at zero, so the
fine-tuning starts from exactly the decoder it had; `--source-lr-scale` their learning rate
relative to the decoder's). `--refine W` adds a full-resolution head of width W after it (decoded
image ++ source -> a correction, also starting at zero; `--refine-lr-scale`). Every training
image is decoded with its edit's source: a target or a sampled latent with the pair's input, an
input with itself (the edit that changes nothing).

Writes RUN/vae.pt (the previous one is kept as RUN/vae-before-decoder.pt) and
RUN/decoder_eval.json: the autoencoder ceiling per task (success of decode(encode(target)) on the
held-out split) before and after. Because the latents do not change, the UNet, the scaling factor
and every other part of the package stay valid; only vae_decoder/ is exported again.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import time
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from . import data as D
from . import metrics as M
from . import tasks as T
from .common import (Clock, cosine_lr, load_ckpt, log, parse_task_counts, parse_task_weights, save_ckpt, setup,
                     write_json)
from .evaluate import edit_latents
from .models import AutoEncoder
from .train_unet import config_of, encode_images, load_editor, tokenizer, trained_scene_seeds
from .train_vae import ceiling_summary, recon_loss

# parameters a decoder grows when fine-tuning adds the source branches or the refinement head
_NEW_PARTS = ("decoder.src16.", "decoder.src32.", "decoder.refine.")


def generated_pairs(run: str, ae: AutoEncoder, n_per_task: int, seed: int,
                    tasks: Optional[Sequence[str]] = None) -> Tuple[torch.Tensor, D.Pairs]:
    """(latents the run's UNet samples for n_per_task training edits per task, those edits);
    `tasks`: only those tasks' edits (all by default).

    Kept in RUN/generated-N-SEED[-TASK+...].pt: sampling is most of the cost (~5 edits/s on 2
    cores), and the UNet of a run does not change under decoder fine-tuning."""
    suffix = "-" + "+".join(tasks) if tasks else ""
    cache = os.path.join(run, f"generated-{n_per_task}-{seed}{suffix}.pt")
    pairs = D.make_pairs(n_per_task, "train", seed, tasks)
    if os.path.exists(cache):
        got = torch.load(cache)
        if not np.array_equal(got["targets"].numpy(), pairs.targets):
            raise ValueError(f"{cache} holds other edits than make_pairs({n_per_task}, 'train', {seed}, {tasks}): delete it")
        return got["z"], pairs
    model, sf, _ = load_editor(run)
    tok = tokenizer(run)
    t0 = time.time()
    z = edit_latents(model, ae, sf, torch.tensor([tok(s) for s in pairs.texts]), torch.tensor(tok("")), pairs.inputs,
                     model.task_vectors(torch.from_numpy(pairs.task_ids)).detach(), seed=seed, batch=64)
    log("decoder: sampled UNet latents", edits=len(pairs), seconds=time.time() - t0)
    torch.save({"z": z, "targets": torch.from_numpy(pairs.targets)}, cache)
    return z, pairs


@torch.no_grad()
def near_target(ae: AutoEncoder, z: torch.Tensor, pairs: D.Pairs, min_psnr: float) -> np.ndarray:
    """Mask of the sampled latents whose decoding reaches a PSNR of at least min_psnr against the
    target inside the edit region (an edit that changes nothing has an empty region, always kept)."""
    keep = np.zeros(len(pairs), bool)
    for i in range(0, len(z), 256):
        out = D.to_uint8(ae.decoder(z[i:i + 256], D.to_tensor(pairs.inputs[i:i + 256])))
        for j in range(len(out)):
            k = i + j
            keep[k] = M.score(T.TASK_NAMES[pairs.task_ids[k]], pairs.inputs[k], pairs.targets[k], out[j])["psnr_in"] >= min_psnr
    return keep


def finetune(run: str, minutes: float, batch: int = 32, lr: float = 2e-4, n_per_task: int = 500,
             task_weights: Optional[Dict[str, float]] = None, eval_per_task: int = 50, seed: int = 11,
             generated: int = 0, generated_fraction: float = 0.5, generated_min_psnr: float = 0.0,
             steps: Optional[int] = None, source: bool = False, source_lr_scale: float = 1.0,
             start: Optional[str] = None, generated_extra: Optional[Dict[str, int]] = None,
             generated_region_weight: float = 0.0, refine: int = 0, refine_lr_scale: float = 1.0) -> Dict[str, object]:
    """`steps`, when given, ends the training and spans its schedule instead of `minutes`: the same
    recipe then gives the same decoder on any machine and any number of threads. `start`: the
    vae.pt to start from instead of RUN/vae-before-decoder.pt (the run's decoder before its first
    fine-tuning). `generated_region_weight` W: the loss of a sampled latent's decoding weighs the
    pixels of its edit region (metrics.edit_region, where edit success is measured) 1 + W times.
    `refine` W: add a full-resolution refinement head of width W (models.Config.decoder_refine;
    implies `source`), trained at `refine_lr_scale` times the learning rate."""
    if refine < 0 or refine_lr_scale <= 0:
        raise ValueError(f"--refine must be >= 0 and --refine-lr-scale positive, not {refine} and {refine_lr_scale}")
    if generated_region_weight < 0:
        raise ValueError(f"--generated-region-weight must be >= 0, not {generated_region_weight}")
    if not 0.0 <= generated_fraction <= 1.0:
        raise ValueError(f"--generated-fraction must be in [0, 1], not {generated_fraction}")
    if generated_extra and not generated:
        raise ValueError("--generated-extra adds to the sampled latents of --generated, which is 0")
    if generated:
        unet = os.path.join(run, "unet.pt")
        if not os.path.exists(unet):
            raise ValueError(f"{unet} is missing: --generated samples edits with the run's UNet")
        # the UNet redraws the scenes it was trained on far better than unseen ones (detect 91% vs
        # 52%: docs/model-card.md, "The scenes the UNet was trained on"); their latents would teach
        # the decoder too few of the mistakes it has to undo
        seen = sorted(({seed + 2, seed + 3} if generated_extra else {seed + 2}) & trained_scene_seeds(load_ckpt(unet)))
        if seen:
            raise ValueError(f"seed {seed} samples the training scenes of seed stream {seen[0]}, which the UNet "
                             "was trained on: take another seed")
    setup("cpu")
    path = os.path.join(run, "vae.pt")
    before_path = os.path.join(run, "vae-before-decoder.pt")
    if start is None and not os.path.exists(before_path):
        shutil.copyfile(path, before_path)
    st = load_ckpt(start or before_path)  # always from the same decoder: a rerun does not compound
    cfg = config_of(st)
    ae = AutoEncoder(cfg)
    ae.load_state_dict(st["model"])
    ae.eval()
    test = D.make_pairs(eval_per_task, "test")
    before = ceiling_summary(ae, test)
    if refine and cfg.decoder_refine not in (0, refine):
        raise ValueError(f"{start or before_path} already has a refinement head of width {cfg.decoder_refine}, not {refine}")
    grow: Dict[str, object] = {}
    if (source or refine) and not cfg.decoder_source:
        grow["decoder_source"] = True
    if refine and not cfg.decoder_refine:
        grow["decoder_refine"] = refine
    if grow:
        cfg = dataclasses.replace(cfg, **grow)
        grown = AutoEncoder(cfg)
        missing, unexpected = grown.load_state_dict(st["model"], strict=False)
        if unexpected or any(not k.startswith(_NEW_PARTS) for k in missing):
            raise ValueError(f"{start or before_path}: not this architecture's autoencoder ({unexpected[:3] or missing[:3]})")
        ae = grown.eval()
    log("decoder: ceiling before", mean=before["mean_success"])
    # training images: every task's inputs and targets, plus more targets of the weighted tasks
    pairs = D.make_pairs(n_per_task, "train", seed)
    imgs, srcs = [pairs.inputs, pairs.targets], [pairs.inputs, pairs.inputs]
    for name, w in (task_weights or {}).items():
        extra = int(round((w - 1) * n_per_task))
        if extra > 0:
            more = D.make_pairs(extra, "train", seed + 1, [name])
            imgs.append(more.targets)
            srcs.append(more.inputs)
    pool, pool_src = np.concatenate(imgs), np.concatenate(srcs)
    z = encode_images(ae, pool, torch.device("cpu"))  # the encoder is frozen: its latents are computed once
    log("decoder: pool", images=len(pool))
    z_gen, y_gen, s_gen, r_gen, gen_kept = None, None, None, None, {}
    if generated:
        parts = [generated_pairs(run, ae, generated, seed + 2)]
        parts += [generated_pairs(run, ae, n, seed + 3, [name]) for name, n in (generated_extra or {}).items()]
        z_gen, gp = torch.cat([z for z, _ in parts]), D.concat_pairs([pairs for _, pairs in parts])
        del parts
        keep = near_target(ae, z_gen, gp, generated_min_psnr)
        if not keep.any():
            raise ValueError(f"no sampled latent reaches {generated_min_psnr} dB inside its edit region: lower --generated-min-psnr")
        gen_kept = {name: int(keep[gp.task_ids == i].sum()) for i, name in enumerate(T.TASK_NAMES)}
        z_gen, y_gen, s_gen = z_gen[torch.from_numpy(keep)], gp.targets[keep], gp.inputs[keep]
        if generated_region_weight:
            r_gen = torch.from_numpy(np.stack([M.edit_region(s, y) for s, y in zip(s_gen, y_gen)])).unsqueeze(1).float()
        log("decoder: sampled latents kept", kept=int(keep.sum()), of=len(keep), min_psnr=generated_min_psnr)
    for p in ae.encoder.parameters():
        p.requires_grad_(False)
    dec = ae.decoder
    dec.train()
    branches = [p for n, p in dec.named_parameters() if n.startswith(("src16.", "src32."))]
    head = [p for n, p in dec.named_parameters() if n.startswith("refine.")]
    rest = [p for n, p in dec.named_parameters() if not n.startswith(("src16.", "src32.", "refine."))]
    groups = [{"params": ps, "scale": sc} for ps, sc in ((rest, 1.0), (branches, source_lr_scale), (head, refine_lr_scale)) if ps]
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed)
    clock = Clock(steps, None) if steps else Clock(10 ** 9, minutes)
    step, t0, tl = 0, time.time(), 0.0
    while not clock.done(step):
        cur = cosine_lr(lr, clock.progress(step), (step + 1) / 50, 0.0)
        for gr in opt.param_groups:
            gr["lr"] = cur * gr["scale"]
        n_gen = int(round(batch * generated_fraction)) if z_gen is not None else 0
        idx = torch.randint(len(pool), (batch - n_gen,), generator=g)
        zb, yb, sb = z[idx], pool[idx.numpy()], pool_src[idx.numpy()]
        wb = None
        if n_gen:
            jdx = torch.randint(len(z_gen), (n_gen,), generator=g)
            zb, yb = torch.cat([zb, z_gen[jdx]]), np.concatenate([yb, y_gen[jdx.numpy()]])
            sb = np.concatenate([sb, s_gen[jdx.numpy()]])
            if r_gen is not None:
                wb = torch.cat([torch.ones(batch - n_gen, *r_gen.shape[1:]), 1.0 + generated_region_weight * r_gen[jdx]])
        loss = recon_loss(dec(zb, D.to_tensor(sb) if dec.takes_source else None), D.to_tensor(yb), wb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        tl += float(loss)
        if step % 50 == 0:
            log("decoder", step=step, loss=tl / 50, lr=cur, s_per_step=(time.time() - t0) / 50)
            tl, t0 = 0.0, time.time()
    ae.eval()
    after = ceiling_summary(ae, test)
    log("decoder: ceiling after", mean=after["mean_success"], steps=step)
    settings = {"steps": step, "minutes": None if steps else minutes, "batch": batch, "lr": lr, "n_per_task": n_per_task,
                "task_weights": task_weights or {}, "generated_per_task": generated, "generated_extra": generated_extra or {},
                "generated_fraction": generated_fraction, "generated_min_psnr": generated_min_psnr,
                "generated_region_weight": generated_region_weight,
                "generated_kept_per_task": gen_kept, "source": cfg.decoder_source, "source_lr_scale": source_lr_scale,
                "refine": cfg.decoder_refine, "refine_lr_scale": refine_lr_scale,
                "seed": seed}
    save_ckpt(path, **dict(st, model=ae.state_dict(), cfg=dataclasses.asdict(cfg), decoder_finetune=settings))
    res = dict(settings, images=int(len(pool)), before=before, after=after)
    write_json(os.path.join(run, "decoder_eval.json"), res)
    return res


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--steps", type=int, default=None, help="train this many steps instead of --minutes")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--n-per-task", type=int, default=500)
    p.add_argument("--eval-per-task", type=int, default=50)
    p.add_argument("--task-weight", action="append", default=[], metavar="TASK=W")
    p.add_argument("--generated", type=int, default=0, metavar="N",
                   help="also train on the UNet's sampled latents of N training edits per task")
    p.add_argument("--generated-fraction", type=float, default=0.5,
                   help="share of each batch taken from the sampled latents (the rest: real latents)")
    p.add_argument("--generated-min-psnr", type=float, default=0.0, metavar="DB",
                   help="keep only sampled latents whose decoding reaches DB PSNR inside the edit region")
    p.add_argument("--generated-region-weight", type=float, default=0.0, metavar="W",
                   help="weigh the edit region of each sampled latent's decoding 1 + W times in the loss (where edit success is measured)")
    p.add_argument("--generated-extra", action="append", default=[], metavar="TASK=N",
                   help="sample N more training edits of TASK for the sampled latents (needs --generated)")
    p.add_argument("--source", action="store_true",
                   help="give the decoder the edit's source image as a second input (models.Config.decoder_source)")
    p.add_argument("--source-lr-scale", type=float, default=1.0, metavar="S",
                   help="learning rate of the source branches relative to --lr")
    p.add_argument("--refine", type=int, default=0, metavar="W",
                   help="add a full-resolution refinement head of width W (models.Config.decoder_refine; implies --source)")
    p.add_argument("--refine-lr-scale", type=float, default=1.0, metavar="S",
                   help="learning rate of the refinement head relative to --lr")
    p.add_argument("--start", metavar="VAE_PT", default=None,
                   help="the vae.pt to start from instead of RUN/vae-before-decoder.pt (the run's decoder before its first fine-tuning)")
    p.add_argument("--seed", type=int, default=11,
                   help="the training edits' seed; the sampled latents use SEED+2, the extras SEED+3 (their cache names say which), "
                        "never the UNet's own training scenes (seed stream 100 + each train_unet --seed along its chain)")
    a = p.parse_args(argv)
    if a.source_lr_scale <= 0:
        p.error(f"--source-lr-scale must be positive, got {a.source_lr_scale}")
    if a.start is not None and not os.path.isfile(a.start):
        p.error(f"--start {a.start}: no such file")
    if a.steps is not None and a.steps <= 0:
        p.error(f"--steps must be positive, got {a.steps}")
    try:
        weights = parse_task_weights(a.task_weight, T.TASK_NAMES)
        extra = parse_task_counts(a.generated_extra, T.TASK_NAMES, "--generated-extra")
    except ValueError as e:
        p.error(str(e))
    try:
        res = finetune(a.run, a.minutes, a.batch, a.lr, a.n_per_task, weights, a.eval_per_task, generated=a.generated,
                       generated_fraction=a.generated_fraction, generated_min_psnr=a.generated_min_psnr, steps=a.steps,
                       source=a.source, source_lr_scale=a.source_lr_scale, generated_extra=extra, seed=a.seed,
                       generated_region_weight=a.generated_region_weight, refine=a.refine,
                       refine_lr_scale=a.refine_lr_scale, start=a.start)
    except ValueError as e:  # a bad share, weight or head, a filter that keeps nothing, a stale cache of sampled latents
        p.error(str(e))
    for name in T.TASK_NAMES:
        b, f = res["before"]["per_task"][name], res["after"]["per_task"][name]  # type: ignore[index]
        log(f"ceiling {name}", before=b["success"], after=f["success"], psnr_in_before=b["psnr_in"], psnr_in_after=f["psnr_in"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
