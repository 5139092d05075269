"""Post-hoc fine-tuning of the task classifier head on a frozen text encoder, with instruction
augmentation built from the TRAINING phrasings only: WordNet synonyms in place of an instruction's
words (training/synonyms.py; needs Debian's wordnet-base), then word drop, filler words, swaps.

    /usr/bin/python3 -m training.classifier --run training/runs/default [--steps 1200]

Updates the classifier weights in RUN/unet.pt (model and EMA) and writes RUN/classifier.json
with the accuracy before and after on the held-out phrasings ("before" / "after") and on the
validation phrasings (tasks.CLASSIFIER_VAL, "val_before" / "val_after"), on which the settings
were chosen. --synonyms 0 is the recipe without WordNet.
"""
from __future__ import annotations

import argparse
import os
from typing import AbstractSet, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import synonyms as SYN
from . import tasks as T
from .common import load_ckpt, log, save_ckpt, setup, write_json
from .evaluate import classifier_accuracy, task_accuracy
from .train_unet import load_editor, tokenizer

# words a synonym never replaces: slot values and function words
KEEP = T.SLOT_WORDS | {"the", "a", "an", "to", "in", "of", "at", "on", "it", "is", "be", "with", "and", "me", "you",
                       "i", "can", "could", "please", "into", "as", "for"}
FILLERS = ["please", "now", "the", "a", "image", "picture", "can you", "could you", "i want to", "just", "quickly", "and"]


def augment(text: str, rng: np.random.Generator, keep: AbstractSet[str] = frozenset()) -> str:
    """Word drops, filler words and a swap; words in `keep` are never dropped or swapped (the UNet's
    instructions must still name what the target shows). The random draws do not depend on `keep`."""
    words = text.split()
    out: List[str] = []
    for w in words:
        if rng.random() < 0.12 and len(words) > 2 and w not in keep:
            continue
        out.append(w)
        if rng.random() < 0.08:
            out.append(FILLERS[int(rng.integers(len(FILLERS)))])
    if rng.random() < 0.3:
        out.insert(0, FILLERS[int(rng.integers(len(FILLERS)))])
    if len(out) > 2 and rng.random() < 0.2:
        i = int(rng.integers(len(out) - 1))
        if out[i] not in keep and out[i + 1] not in keep:
            out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out) if out else text


def replace_synonyms(text: str, syn: Dict[str, List[str]], rate: float, rng: np.random.Generator) -> str:
    """Each word that carries meaning is replaced, with probability `rate`, by one of its synonyms."""
    out = []
    for w in text.split():
        if w not in KEEP and w in syn and rng.random() < rate:
            w = syn[w][int(rng.integers(len(syn[w])))]
        out.append(w)
    return " ".join(out)


def val_accuracy(model, tok, per_template: int = 12) -> Dict[str, float]:
    """Accuracy on tasks.CLASSIFIER_VAL (phrasings in neither split), per task and mean."""
    texts = {}
    for name, tpls in T.CLASSIFIER_VAL.items():
        rng = np.random.default_rng([6, T.TASK_INDEX[name]])
        texts[name] = [T.fill_template(t, rng) for t in tpls for _ in range(per_template)]
    return task_accuracy(model, tok, texts)


def finetune(run: str, steps: int = 1200, per_task: int = 600, lr: float = 1e-3, seed: int = 0,
             name: str = "unet", eval_per_task: int = 100, synonyms: float = 0.8,
             synonym_rate: float = 0.5) -> Dict[str, object]:
    """`synonyms`: the share of training instructions whose words go through replace_synonyms."""
    setup("cpu")
    syn = SYN.load() if synonyms > 0 else {}
    model, _, _ = load_editor(run, name)
    tok = tokenizer(run)
    before, val_before = classifier_accuracy(model, tok, eval_per_task), val_accuracy(model, tok)
    rng = np.random.default_rng([seed, 31])
    texts, labels = [], []
    for tname in T.TASK_NAMES:
        r = np.random.default_rng([seed, T.TASK_INDEX[tname], 9])
        for _ in range(per_task):
            s = T.make_example(tname, r, "train")[2]
            if rng.random() < synonyms:
                s = replace_synonyms(s, syn, synonym_rate, rng)
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
    after, val_after = classifier_accuracy(model, tok, eval_per_task), val_accuracy(model, tok)
    path = os.path.join(run, f"{name}.pt")
    st = load_ckpt(path)
    sd = {k: v for k, v in clf.state_dict().items()}
    for key in [k for k in ("model", "ema") if k in st]:  # a carried run keeps only the EMA weights
        for k, v in sd.items():
            st[key][f"classifier.{k}"] = v.clone()
    st["classifier_finetuned"] = True
    save_ckpt(path, **st)
    return {"before": before, "after": after, "val_before": val_before, "val_after": val_after, "steps": steps,
            "train_texts": len(texts), "synonyms": synonyms, "synonym_rate": synonym_rate, "seed": seed}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--per-task", type=int, default=600, help="training instructions per task")
    p.add_argument("--synonyms", type=float, default=0.8, help="share of instructions given WordNet synonyms (0: none)")
    p.add_argument("--synonym-rate", type=float, default=0.5,
                   help="chance that each word of such an instruction is replaced")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="unet")
    a = p.parse_args(argv)
    for flag, v in (("--synonyms", a.synonyms), ("--synonym-rate", a.synonym_rate)):
        if not 0.0 <= v <= 1.0:
            p.error(f"{flag} must be in [0, 1], got {v}")
    try:
        res = finetune(a.run, a.steps, a.per_task, seed=a.seed, name=a.name, synonyms=a.synonyms,
                       synonym_rate=a.synonym_rate)
    except SYN.WordNetMissing as e:
        p.error(str(e))
    write_json(os.path.join(a.run, "classifier.json"), res)
    log("classifier", before=res["before"]["mean"], after=res["after"]["mean"],  # type: ignore[index]
        val_before=res["val_before"]["mean"], val_after=res["val_after"]["mean"])  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
