"""Post-hoc fine-tuning of the task classifier head on a frozen text encoder, with instruction
augmentation built from the TRAINING phrasings only (word drop, filler words, word swaps).

    /usr/bin/python3 -m training.classifier --run training/runs/default [--steps 600]

Updates the classifier weights in RUN/unet.pt (model and EMA) and writes RUN/classifier.json
with held-out accuracy before and after.
"""
from __future__ import annotations

import argparse
import os
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import tasks as T
from .common import load_ckpt, log, save_ckpt, setup, write_json
from .evaluate import classifier_accuracy
from .train_unet import load_editor, tokenizer

FILLERS = ["please", "now", "the", "a", "image", "picture", "can you", "could you", "i want to", "just", "quickly", "and"]


def augment(text: str, rng: np.random.Generator) -> str:
    words = text.split()
    out: List[str] = []
    for w in words:
        if rng.random() < 0.12 and len(words) > 2:
            continue
        out.append(w)
        if rng.random() < 0.08:
            out.append(FILLERS[int(rng.integers(len(FILLERS)))])
    if rng.random() < 0.3:
        out.insert(0, FILLERS[int(rng.integers(len(FILLERS)))])
    if len(out) > 2 and rng.random() < 0.2:
        i = int(rng.integers(len(out) - 1))
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out) if out else text


def finetune(run: str, steps: int = 600, per_task: int = 300, lr: float = 1e-3, seed: int = 0,
             name: str = "unet", eval_per_task: int = 100) -> Dict[str, object]:
    setup("cpu")
    model, _, _ = load_editor(run, name)
    tok = tokenizer(run)
    before = classifier_accuracy(model, tok, eval_per_task)
    rng = np.random.default_rng([seed, 31])
    texts, labels = [], []
    for tname in T.TASK_NAMES:
        r = np.random.default_rng([seed, T.TASK_INDEX[tname], 9])
        for _ in range(per_task):
            s = T.make_example(tname, r, "train")[2]
            texts.append(augment(s, rng) if rng.random() < 0.7 else s)
            labels.append(T.TASK_INDEX[tname])
    with torch.no_grad():
        ids = torch.tensor([tok(s) for s in texts])
        pooled = torch.cat([model.text(ids[i:i + 256])[1] for i in range(0, len(ids), 256)])
    y = torch.tensor(labels)
    clf = model.classifier
    clf.train()
    opt = torch.optim.AdamW(clf.parameters(), lr=lr, weight_decay=0.05)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(0, len(y), (256,), generator=g)
        loss = F.cross_entropy(clf(pooled[idx]), y[idx], label_smoothing=0.05)
        opt.zero_grad()
        loss.backward()
        opt.step()
    clf.eval()
    after = classifier_accuracy(model, tok, eval_per_task)
    path = os.path.join(run, f"{name}.pt")
    st = load_ckpt(path)
    sd = {k: v for k, v in clf.state_dict().items()}
    for key in [k for k in ("model", "ema") if k in st]:  # a carried run keeps only the EMA weights
        for k, v in sd.items():
            st[key][f"classifier.{k}"] = v.clone()
    st["classifier_finetuned"] = True
    save_ckpt(path, **st)
    return {"before": before, "after": after, "steps": steps, "train_texts": len(texts)}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--name", default="unet")
    a = p.parse_args(argv)
    res = finetune(a.run, a.steps, name=a.name)
    write_json(os.path.join(a.run, "classifier.json"), res)
    log("classifier", before=res["before"]["mean"], after=res["after"]["mean"])  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
