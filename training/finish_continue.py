"""After a GPU continuation of the shipped UNet (training/gpu_continue.sh), everything this machine
does before the decision to ship it, as one resumable command (a finished step is skipped):

    /usr/bin/python3 -m training.finish_continue --parts OUT --run training/runs/cont \
        --base training/runs/pkg --decoder-from /tmp/prev/models/emu-edit-tiny

1. OUT (the packed run) is unpacked into RUN (a run trained on this machine needs no --parts).
2. RUN's decoder is replaced by the decoder of --decoder-from, a package whose decoder learned
   real latents only (the shipped one also learned the shipped UNet's sampled latents, which a
   continued UNet no longer produces). Its encoder must be RUN's: the UNet's latent space.
3. The decoder learns RUN's UNet's own sampled latents, with the shipped settings (DECODER).
   Then, from that decoder, it learns to read the edit's source image too (SOURCE_DECODER,
   finetune_decoder --source), as the shipped decoder does; `--source-decoder-steps 0` skips it.
   Then once more, from that one, with 3,000 sampled detect edits of scenes the UNet never saw
   (UNSEEN_DECODER, the shipped decoder's last fine-tuning); `--unseen-decoder-steps 0` skips it.
4. The classifier head is fine-tuned again with WordNet synonyms (training.classifier): the
   continuation also trained the text encoder, so the shipped head's fine-tuning no longer fits.
   A run trained with `train_unet --freeze-text` has the package's encoder and head unchanged:
   the head (its seed chosen on val) is kept and only its val accuracy is recorded.
5. BASE (the shipped model, rebuilt by training.from_package) and RUN edit the same val edits
   (disjoint scenes, training phrasings), compared edit by edit (training.compare).
6. RUN's autoencoder ceiling on val targets (the card's constraint: >= 95% on every task).

RUN/finish.json gathers the val numbers and the verdict (ship_candidate: better on val, p < 0.05, and
the ceiling kept). Nothing here reads the test split: it is
measured once, after the decision (docs/model-card.md). Threads: EMUEDIT_TRAIN_THREADS.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from . import carry
from . import classifier as C
from . import compare as CMP
from . import evaluate as E
from . import finetune_decoder as FD
from . import from_package as FP
from . import synonyms as SYN
from .common import files_sha256, load_ckpt, log, read_json, write_json
from .train_unet import editor_of, tokenizer

# the settings of the shipped decoder's second fine-tuning (docs/model-card.md, "Decoder trained on
# the UNet's own latents"), chosen on val; a new UNet gets the same recipe. It ran 25 minutes on one
# thread, 3,719 steps: a step count gives the same decoder with any number of threads
DECODER: Dict[str, Any] = {"steps": 3719, "n_per_task": 500, "generated": 250, "generated_fraction": 0.35,
                           "generated_min_psnr": 12.0,
                           "task_weights": {"texture": 10.0, "text": 2.0, "detect": 2.0, "sketch": 2.0}}
# the settings of the shipped decoder's third fine-tuning, from the decoder DECODER made: the same
# sampled latents (and their filter), a second input for the source image (docs/model-card.md,
# "A decoder that reads the source image"); 2,000 steps at batch 32
SOURCE_DECODER: Dict[str, Any] = {"steps": 2000, "n_per_task": 500, "generated": 250, "generated_fraction": 0.45,
                                  "generated_extra": {"detect": 750, "texture": 750},
                                  "generated_min_psnr": 12.0, "source_lr_scale": 1.0,
                                  "task_weights": {"detect": 2.0, "texture": 10.0, "sketch": 2.0, "style": 2.0}}
# the shipped decoder's last fine-tuning, from the decoder SOURCE_DECODER made: sampled edits of
# seed 41's scenes (no UNet trained on them), half of every batch (docs/model-card.md, "A decoder
# that reads the source image", its third version)
UNSEEN_DECODER: Dict[str, Any] = {"steps": 2000, "lr": 1e-4, "seed": 41, "n_per_task": 500, "generated": 100,
                                  "generated_fraction": 0.5, "generated_extra": {"detect": 3000, "texture": 750},
                                  "generated_min_psnr": 12.0,
                                  "task_weights": {"detect": 2.0, "texture": 10.0, "sketch": 2.0, "style": 2.0}}
CEILING_MIN = 0.95


def encoder_mismatch(a: str, b: str) -> Optional[str]:
    """Why the autoencoders in two vae.pt files do not share one latent space, or None when their
    encoders are identical."""
    ea = {k: v for k, v in load_ckpt(a)["model"].items() if k.startswith("encoder.")}
    eb = {k: v for k, v in load_ckpt(b)["model"].items() if k.startswith("encoder.")}
    if set(ea) != set(eb):
        return "their encoders have different layers"
    for k in sorted(ea):
        if ea[k].shape != eb[k].shape or not torch.equal(ea[k], eb[k]):
            return f"their encoders differ at {k}"
    return None


def swap_decoder(run: str, package: str) -> None:
    """RUN/vae.pt gets the autoencoder of `package`, whose encoder must equal RUN's."""
    with tempfile.TemporaryDirectory(prefix="emuedit-decoder-") as tmp:
        FP.write_run(package, tmp)
        why = encoder_mismatch(os.path.join(run, "vae.pt"), os.path.join(tmp, "vae.pt"))
        if why:
            raise ValueError(f"--decoder-from {package}: not the latent space of {run} ({why})")
        shutil.copyfile(os.path.join(tmp, "vae.pt"), os.path.join(run, "vae.pt"))


def fingerprint(run: str, files: Sequence[str] = ("unet.pt", "vae.pt")) -> str:
    """Which weights a stored result belongs to: a result of other weights is not reused."""
    return files_sha256([os.path.join(run, f) for f in files]).hexdigest()


def _cached(path: str, key: str, compute: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
    res = read_json(path)
    if res is None or res.get("fingerprint") != key:
        res = dict(compute(), fingerprint=key)
        write_json(path, res)
    return res


def _kept_start(run: str, name: str) -> str:
    """RUN/vae.pt copied to RUN/name once: a decoder pass resumed after a crash starts again from
    the decoder it started from, not from a half-made one."""
    start = os.path.join(run, name)
    if not os.path.exists(start):
        shutil.copyfile(os.path.join(run, "vae.pt"), start + ".tmp")
        os.replace(start + ".tmp", start)
    return start


def _decoder_pass(run: str, done: str, settings: Dict[str, Any], eval_per_task: int,
                  start_name: Optional[str] = None) -> None:
    """One decoder fine-tuning of step 3, `settings` being training.finetune_decoder.finetune's
    keyword arguments; skipped when it has 0 steps or RUN/done is there. With `start_name` it
    starts from RUN/vae.pt as it was before this pass (kept once as RUN/start_name) and trains a
    decoder that reads the source image; without, from RUN/vae-before-decoder.pt (finetune's
    default: the swapped-in decoder)."""
    if settings["steps"] == 0 or read_json(os.path.join(run, done)) is not None:
        return
    start = {} if start_name is None else {"start": _kept_start(run, start_name), "source": True}
    write_json(os.path.join(run, done), FD.finetune(run, 0.0, eval_per_task=eval_per_task, **start, **settings))


def finish(parts: Optional[str], run: str, base: str, decoder_from: str, val_per_task: int = 24, ceiling_per_task: int = 200,
           decoder: Optional[Dict[str, Any]] = None, classifier_steps: int = 1200, classifier_per_task: int = 600,
           decoder_eval_per_task: int = 50, classifier_seed: int = 0,
           source_decoder: Optional[Dict[str, Any]] = None,
           unseen_decoder: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Each step leaves a finish-*.json in RUN and is skipped when that file is there; the val
    evaluations and the ceiling are redone when the weights they belong to changed.
    `source_decoder` {"steps": 0} leaves the decoder without the source image (and skips the
    unseen-scenes pass, which continues it); `unseen_decoder` {"steps": 0} skips only that pass."""
    dec = dict(DECODER, **(decoder or {}))
    src = dict(SOURCE_DECODER, **(source_decoder or {}))
    uns = dict(UNSEEN_DECODER, **(unseen_decoder or {}))
    if src["steps"] == 0:
        uns["steps"] = 0
    if not os.path.exists(os.path.join(run, "unet.pt")):
        if not parts:
            raise ValueError(f"{run}/unet.pt is missing and no packed run was given")
        carry.unpack(parts, run)
    swapped = os.path.join(run, "finish-swap.json")
    if not os.path.exists(swapped):
        swap_decoder(run, decoder_from)
        # finetune_decoder starts from vae-before-decoder.pt when it exists: it must be this decoder
        before = os.path.join(run, "vae-before-decoder.pt")
        if os.path.exists(before):
            os.remove(before)
        write_json(swapped, {"decoder_from": os.path.abspath(decoder_from)})
        log("finish: decoder replaced", source=decoder_from)
    _decoder_pass(run, "finish-decoder.json", dec, decoder_eval_per_task)
    _decoder_pass(run, "finish-source-decoder.json", src, decoder_eval_per_task, "vae-before-source.pt")
    _decoder_pass(run, "finish-unseen-decoder.json", uns, decoder_eval_per_task, "vae-before-unseen.pt")
    clf = read_json(os.path.join(run, "finish-classifier.json"))
    st = load_ckpt(os.path.join(run, "unet.pt")) if clf is None else None
    if st is not None and st.get("freeze_text"):
        model = editor_of(st)
        clf = {"kept": "text encoder frozen in the continuation: the package's head is kept",
               "val_after": C.val_accuracy(model, tokenizer(run))}
        write_json(os.path.join(run, "finish-classifier.json"), clf)
        log("finish: classifier head kept (text encoder frozen)", val=clf["val_after"]["mean"])
    del st  # the checkpoint holds the optimizer state too: not kept for the evaluations below
    if clf is not None and "kept" not in clf and clf.get("seed", 0) != classifier_seed:
        # the head was fine-tuned in place: another seed must start again from the jointly trained one
        raise ValueError(f"{run}: the head was fine-tuned with seed {clf.get('seed', 0)}, not {classifier_seed}; "
                         "unpack the run again (or use copies, training/README.md) to try another seed")
    if clf is None:
        clf = C.finetune(run, steps=classifier_steps, per_task=classifier_per_task, seed=classifier_seed)
        write_json(os.path.join(run, "classifier.json"), clf)
        write_json(os.path.join(run, "finish-classifier.json"), clf)
    evals = {}
    for who, r in (("base", base), ("run", run)):
        evals[who] = _cached(os.path.join(r, f"finish-val-{val_per_task}.json"), fingerprint(r),
                             lambda r=r: E.evaluate(r, val_per_task, split="val", clf_per_task=0))
        log(f"finish: val {who}", mean=evals[who]["mean_success"], min=evals[who]["min_success"])
    cmp = CMP.compare(evals["base"], evals["run"])
    ceil = _cached(os.path.join(run, f"finish-ceiling-val-{ceiling_per_task}.json"), fingerprint(run, ("vae.pt",)),
                   lambda: E.ceiling(run, ceiling_per_task, "val"))
    res = {
        "val": {"base": evals["base"]["mean_success"], "run": evals["run"]["mean_success"],
                "per_task": {t: {"base": evals["base"]["per_task"][t]["success"], "run": v["success"]}
                             for t, v in evals["run"]["per_task"].items()},
                "edits_per_task": val_per_task},
        "compare": cmp,
        "ceiling_val": {"mean": ceil["mean_success"], "min": ceil["min_success"], "per_task_n": ceiling_per_task,
                        "per_task": {t: v["success"] for t, v in ceil["per_task"].items()}},
        "ceiling_ok": ceil["min_success"] >= CEILING_MIN,
        "classifier_val": clf["val_after"]["mean"],
        "decoder": dec,
        "source_decoder": src,
        "unseen_decoder": uns,
    }
    res["ship_candidate"] = cmp["verdict"] == "better" and res["ceiling_ok"]
    write_json(os.path.join(run, "finish.json"), res)
    return res


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default=None,
                   help="the folder gpu_continue.sh packed the run into (OUT); not needed when RUN/unet.pt exists")
    p.add_argument("--run", required=True, help="where the continued run is unpacked and finished")
    p.add_argument("--base", default="training/runs/pkg", help="the shipped model's run (training.from_package)")
    p.add_argument("--decoder-from", required=True, help="a package whose decoder learned real latents only")
    p.add_argument("--val-per-task", type=int, default=24)
    p.add_argument("--ceiling-per-task", type=int, default=200)
    p.add_argument("--decoder-steps", type=int, default=DECODER["steps"])
    p.add_argument("--source-decoder-steps", type=int, default=SOURCE_DECODER["steps"],
                   help="steps of the decoder's fine-tuning with the source image (0: a decoder without it)")
    p.add_argument("--unseen-decoder-steps", type=int, default=UNSEEN_DECODER["steps"],
                   help="steps of its last fine-tuning, on sampled edits of scenes no UNet saw (0: skip it)")
    p.add_argument("--classifier-seed", type=int, default=0,
                   help="the head's fine-tuning seed (training.classifier --seed), chosen on its val phrasings")
    a = p.parse_args(argv)
    for flag, v in (("--val-per-task", a.val_per_task), ("--ceiling-per-task", a.ceiling_per_task),
                    ("--decoder-steps", a.decoder_steps)):
        if v <= 0:
            p.error(f"{flag} must be positive, got {v}")
    for flag, v in (("--source-decoder-steps", a.source_decoder_steps),
                    ("--unseen-decoder-steps", a.unseen_decoder_steps)):
        if v < 0:
            p.error(f"{flag} must be 0 or more, got {v}")
    for flag, path, what in (("--base", os.path.join(a.base, "unet.pt"), "make it with training.from_package"),
                             ("--decoder-from", os.path.join(a.decoder_from, "emuedit.json"), "not a model package")):
        if not os.path.exists(path):
            p.error(f"{flag}: {path} is missing ({what})")
    if not os.path.exists(os.path.join(a.run, "unet.pt")) and not (a.parts and os.path.isdir(a.parts)):
        p.error(f"--parts {a.parts}: no such folder, and no {a.run}/unet.pt to finish")
    if not SYN.available():
        p.error(f"WordNet not found in {SYN.wordnet_dir()}: apt-get install -y wordnet-base")
    try:
        res = finish(a.parts, a.run, a.base, a.decoder_from, a.val_per_task, a.ceiling_per_task,
                     {"steps": a.decoder_steps}, classifier_seed=a.classifier_seed,
                     source_decoder={"steps": a.source_decoder_steps},
                     unseen_decoder={"steps": a.unseen_decoder_steps})
    except ValueError as e:
        p.error(str(e))
    t = res["compare"]["total"]
    log("finish", val_base=res["val"]["base"], val_run=res["val"]["run"], gained=t["gained"], lost=t["lost"],
        p=res["compare"]["p"], verdict=res["compare"]["verdict"], ceiling_min=res["ceiling_val"]["min"],
        ship_candidate=res["ship_candidate"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
