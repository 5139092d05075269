"""Text-encoder continuation on reworded instructions, with the UNet, task vectors and autoencoder
frozen: the instruction-side counterpart of the classifier's WordNet prior (training/classifier.py).

    /usr/bin/python3 -m training.text_robust --run training/runs/pkg --minutes 25 [--synonyms 0.5] [--out unet-text]

The text encoder only ever saw the training phrasings, so a reworded instruction ("decorate the
circle with a stripe design") conditions the UNet on something it never met: on val scenes, texture
edits pass 82% with training phrasings and 58% with the phrasings of tasks.CLASSIFIER_VAL
(docs/model-card.md). Here a share `--synonyms` of the training instructions is reworded on the fly
(WordNet synonyms for each meaning word with probability `--synonym-rate`, then word drop, filler
words and swaps: classifier.replace_synonyms / classifier.augment) and the text encoder (and the
classifier head, jointly, as in training) learns to condition the frozen UNet on them as it does on
the originals: the same v-prediction loss, CFG dropout and classifier term as train_unet. The
instructions left as they are (and the empty prompt) are also held to the starting encoder's states
(`--anchor`, an MSE over all token states), so what the UNet was trained on stays where it was.

Writes RUN/OUT.pt (model and EMA = the trained weights; the UNet's part is the input's) and
RUN/OUT.json. Then `training.classifier --name OUT` for the head and the val comparisons, as
every model change; it fine-tunes the head in place, so copy OUT.pt first to keep the jointly
trained head (the shipped package's: it scored higher on the validation phrasings).
"""
from __future__ import annotations

import argparse
import copy
import os
import time
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import diffusion as Df
from . import synonyms as SYN
from . import tasks as T
from .classifier import augment, replace_synonyms
from .common import Clock, cosine_lr, load_ckpt, log, save_ckpt, setup, write_json
from .train_unet import encode_pairs, load_editor, load_vae, tokenizer

CE_WEIGHT = 0.1  # the classifier term's weight, as in train_unet
TRAINED = ("text.", "classifier.")
ANCHOR = 1.0  # weight of the pull towards the starting encoder's states (docs/model-card.md)


def reword(text: str, syn: Dict[str, list], rate: float, rng: np.random.Generator) -> str:
    """Synonyms (never for slot values), then drops, fillers and swaps that leave the slot words (colours,
    shapes, positions, textures, words to write) in place: the reworded instruction must still
    describe the target. (Without that, a first 25-minute run lost 11 of 48 val `add` edits.)"""
    return augment(replace_synonyms(text, syn, rate, rng), rng, keep=T.SLOT_WORDS)


def train_text(run: str, minutes: Optional[float], steps: int = 10 ** 9, name: str = "unet",
               out_name: str = "unet-text", n_per_task: int = 500, batch: int = 32, lr: float = 1e-4,
               synonyms: float = 0.5, synonym_rate: float = 0.5, warmup: int = 100, seed: int = 0,
               anchor: float = ANCHOR) -> Dict[str, object]:
    if not 0.0 <= synonyms <= 1.0 or not 0.0 <= synonym_rate <= 1.0:
        raise ValueError("synonyms and synonym_rate must be in [0, 1]")
    if not anchor >= 0.0:
        raise ValueError(f"anchor must be >= 0, got {anchor}")
    if n_per_task < 1 or batch < 1 or steps < 1 or not lr > 0:
        raise ValueError("n_per_task, batch and steps must be >= 1 and lr > 0")
    setup("cpu")
    t0 = time.time()
    syn = SYN.load() if synonyms > 0 else {}
    model, sf, _ = load_editor(run, name)
    ae = load_vae(run)
    tok = tokenizer(run)
    pairs = D.make_pairs(n_per_task, "train", seed + 900)
    z_in, z_tgt = encode_pairs(ae, pairs, sf)
    task = torch.from_numpy(pairs.task_ids)
    # the encoder as it was: instructions left as they are should keep the states the frozen UNet was
    # trained on (the runs without it lost val edits of the training phrasings: add, detect, local)
    teacher = copy.deepcopy(model.text).eval().requires_grad_(False) if anchor > 0 else None
    for n_, p in model.named_parameters():
        p.requires_grad_(n_.startswith(TRAINED))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    ab = Df.alphas_cumprod()
    empty = torch.tensor(tok(""))
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng([seed, 77])
    clock = Clock(steps, minutes)
    step, shown, reworded, tl = 0, 0, 0, 0.0
    while not clock.done(step):
        for gr in opt.param_groups:
            gr["lr"] = cosine_lr(lr, clock.progress(step), (step + 1) / warmup, 0.1)
        idx = torch.randint(len(pairs), (batch,), generator=g)
        texts, changed = [], []
        for i in idx.tolist():
            s = pairs.texts[i]
            if rng.random() < synonyms:
                s, reworded = reword(s, syn, synonym_rate, rng), reworded + 1
            texts.append(s)
            changed.append(s != pairs.texts[i])
        ids = torch.tensor([tok(s) for s in texts])
        r = torch.rand(batch, generator=g)
        drop_text, drop_img = Df.cfg_drop(r)
        ids = torch.where(drop_text[:, None], empty[None], ids)
        zi = z_in[idx] * (~drop_img).float().view(-1, 1, 1, 1)
        t = torch.randint(0, Df.T_TRAIN, (batch,), generator=g)
        xt, v = Df.add_noise(z_tgt[idx], torch.randn(z_tgt[idx].shape, generator=g), t, ab)
        hidden, pooled = model.text(ids)
        pred = model.denoise(torch.cat([xt, zi], 1), t.float(), hidden, model.task_vectors(task[idx]))
        keep = (~drop_text).float()
        ce = (F.cross_entropy(model.classifier(pooled), task[idx], reduction="none") * keep).sum() / keep.sum().clamp(min=1.0)
        loss = F.mse_loss(pred, v) + CE_WEIGHT * ce
        if teacher is not None:
            same = ~torch.tensor(changed) | drop_text  # the empty prompt (CFG's unconditional branch) too
            if bool(same.any()):
                with torch.no_grad():
                    ref, _ = teacher(ids[same])
                loss = loss + anchor * F.mse_loss(hidden[same], ref)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step, shown, tl = step + 1, shown + batch, tl + float(loss)
        if step % 100 == 0:
            log("text_robust", step=step, loss=tl / 100, s_per_step=(time.time() - t0) / step)
            tl = 0.0
    st = load_ckpt(os.path.join(run, f"{name}.pt"))
    trained = {k: v.detach().clone() for k, v in model.state_dict().items() if k.startswith(TRAINED)}
    for key in [k for k in ("model", "ema") if k in st]:
        st[key].update(trained)
    st["text_robust"] = {"steps": step, "synonyms": synonyms, "synonym_rate": synonym_rate, "lr": lr, "anchor": anchor}
    save_ckpt(os.path.join(run, f"{out_name}.pt"), **st)
    return {"from": name, "checkpoint": out_name, "steps": step, "samples": shown, "reworded": reworded,
            "n_per_task": n_per_task, "batch": batch, "lr": lr, "synonyms": synonyms,
            "synonym_rate": synonym_rate, "anchor": anchor, "seed": seed, "seconds": time.time() - t0}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--in", dest="name", default="unet", help="checkpoint to start from (RUN/NAME.pt)")
    p.add_argument("--out", default="unet-text", help="checkpoint to write (RUN/OUT.pt)")
    p.add_argument("--minutes", type=float, default=None, help="wall-time budget (the lr anneals within it)")
    p.add_argument("--steps", type=int, default=10 ** 9)
    p.add_argument("--n-per-task", type=int, default=500, help="training pairs per task")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--synonyms", type=float, default=0.5, help="share of instructions reworded")
    p.add_argument("--synonym-rate", type=float, default=0.5, help="chance that each meaning word is replaced")
    p.add_argument("--anchor", type=float, default=ANCHOR,
                   help="weight of the MSE between the encoder's states and the starting encoder's, on "
                        "instructions not reworded and the empty prompt (0: none)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.out == a.name:
        p.error("--out must differ from --in (the starting checkpoint is kept)")
    if a.minutes is None and a.steps == 10 ** 9:
        p.error("give --minutes or --steps")
    try:
        res = train_text(a.run, a.minutes, a.steps, a.name, a.out, a.n_per_task, a.batch, a.lr, a.synonyms,
                         a.synonym_rate, a.warmup, a.seed, a.anchor)
    except (ValueError, SYN.WordNetMissing) as e:
        p.error(str(e))
    write_json(os.path.join(a.run, f"{a.out}.json"), res)
    log("text_robust done", steps=res["steps"], reworded=res["reworded"], seconds=res["seconds"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
