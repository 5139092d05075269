"""The whole default model from nothing: one command, resumable (every phase checkpoints or skips
when its output exists).

    /usr/bin/python3 -m training.recipe --run training/runs/default --out models/emu-edit-tiny

Phases: autoencoder (+ its per-task ceiling) -> tokenizer + pre-encoded pool -> UNet/text/tasks/
classifier -> classifier head fine-tuning (augmented training phrasings) -> held-out evaluation ->
ONNX package (+ ONNX-vs-torch check) -> optional: --pipeline-eval (a subset through the ONNX
package and the project's in-process pipeline), --extras (ablation without task embeddings,
multi-turn, task inversion k=1,10,100).
Everything lands in RUN/*.json; RUN/results.json gathers the numbers for docs/model-card.md.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, Dict, Optional

from . import classifier as C
from . import evaluate as E
from . import invert as I
from . import multiturn as MT
from . import package as P
from . import train_unet as U
from . import train_vae as V
from . import data as D
from .common import log, write_json
from .models import Config


def _load(path: str) -> Optional[Dict[str, Any]]:
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def _timed(times: Dict[str, float], key: str, fn, *args, **kw):
    t0 = time.time()
    r = fn(*args, **kw)
    times[key] = times.get(key, 0.0) + time.time() - t0
    return r


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", default="training/runs/default")
    p.add_argument("--out", default="models/emu-edit-tiny")
    p.add_argument("--device", default="cpu", help="cpu or cuda (training phases)")
    p.add_argument("--vae-steps", type=int, default=1000)
    p.add_argument("--unet-steps", type=int, default=5500)
    p.add_argument("--unet-minutes", type=float, default=None, help="stop UNet training after this wall time")
    p.add_argument("--pool-per-task", type=int, default=600)
    p.add_argument("--eval-per-task", type=int, default=12)
    p.add_argument("--sample-steps", type=int, default=20, help="DDIM steps when evaluating")
    p.add_argument("--extras", action="store_true", help="ablation, multi-turn and task inversion too")
    p.add_argument("--pipeline-eval", action="store_true",
                   help="also edit a subset through the ONNX package with the project's in-process pipeline")
    p.add_argument("--tiny", action="store_true", help="tiny widths and data (smoke test of the recipe)")
    a = p.parse_args(argv)
    run = a.run
    os.makedirs(run, exist_ok=True)
    times: Dict[str, float] = _load(os.path.join(run, "times.json")) or {}

    def save_times() -> None:
        write_json(os.path.join(run, "times.json"), times)

    vae_cfg = Config.tiny(0) if a.tiny else Config()
    n_vae = 20 if a.tiny else 500
    if _load(os.path.join(run, "vae_eval.json")) is None:
        ae = _timed(times, "vae_train_s", V.train, run, vae_cfg, a.vae_steps, n_per_task=n_vae, device=a.device)
        ae = ae.cpu()
        test = D.make_pairs(3 if a.tiny else 50, "test")
        res = {"scaling_factor": V.scaling_factor(ae, D.make_pairs(2 if a.tiny else 20, "train", 7)),
               "ceiling": _timed(times, "vae_ceiling_s", V.ceiling, ae, test)}
        res["ceiling_mean_success"] = sum(v["success"] for v in res["ceiling"].values()) / len(res["ceiling"])
        write_json(os.path.join(run, "vae_eval.json"), res)
        save_times()
    log("phase vae done")
    deadline = time.time() + 60 * a.unet_minutes if a.unet_minutes else None
    _timed(times, "unet_train_s", U.train, run, a.unet_steps, n_per_task=8 if a.tiny else a.pool_per_task,
           device=a.device, deadline=deadline, small=a.tiny)
    save_times()
    log("phase unet done")
    clf_n = 5 if a.tiny else 100
    if _load(os.path.join(run, "classifier.json")) is None:
        res = _timed(times, "classifier_s", C.finetune, run, 5 if a.tiny else 600, per_task=4 if a.tiny else 300,
                     eval_per_task=clf_n)
        write_json(os.path.join(run, "classifier.json"), res)
        ev = _load(os.path.join(run, "eval-unet.json"))
        if ev is not None:  # evaluated before the classifier was fine-tuned: refresh its number
            ev["classifier"] = res["after"]
            write_json(os.path.join(run, "eval-unet.json"), ev)
        save_times()
    log("phase classifier done")
    if _load(os.path.join(run, "eval-unet.json")) is None:
        res = _timed(times, "eval_s", E.evaluate, run, a.eval_per_task, steps=a.sample_steps, clf_per_task=clf_n)
        write_json(os.path.join(run, "eval-unet.json"), res)
        save_times()
    log("phase eval done")
    info = _timed(times, "package_s", P.build, run, a.out)
    write_json(os.path.join(run, "package.json"), info)
    save_times()
    log("phase package done", MB=info["bytes"] / 1e6)
    if a.pipeline_eval and _load(os.path.join(run, "pipeline-eval.json")) is None:
        from . import pipeline_eval as PE
        write_json(os.path.join(run, "pipeline-eval.json"),
                   _timed(times, "pipeline_eval_s", PE.run, a.out, 1 if a.tiny else 3, True))
        save_times()
    if a.extras:
        if _load(os.path.join(run, "eval-unet-notask.json")) is None:
            _timed(times, "ablation_train_s", U.train, run, a.unet_steps, n_per_task=8 if a.tiny else a.pool_per_task,
                   use_task=False, device=a.device, name="unet-notask", deadline=None, small=a.tiny)
            res = E.evaluate(run, a.eval_per_task, "unet-notask", steps=a.sample_steps, clf_per_task=0)
            write_json(os.path.join(run, "eval-unet-notask.json"), res)
        if _load(os.path.join(run, "multiturn.json")) is None:
            write_json(os.path.join(run, "multiturn.json"), _timed(times, "multiturn_s", MT.run_chains, run, 2 if a.tiny else 20, steps=a.sample_steps))
        for k in (1, 10, 100):
            path = os.path.join(run, "inversion", f"contour-k{k}.json")
            if _load(path) is None:
                res = _timed(times, f"inversion_k{k}_s", I.invert, run, k, 3 if a.tiny else 300, eval_n=2 if a.tiny else 20,
                             sample_steps=a.sample_steps)
                write_json(path, res)
                write_json(path.replace(".json", ".entry.json"), res["entry"])
        save_times()
    results = {k.replace(".json", ""): _load(os.path.join(run, k)) for k in
               ("vae_eval.json", "eval-unet.json", "classifier.json", "package.json", "pipeline-eval.json",
                "eval-unet-notask.json", "multiturn.json", "times.json")}
    results["inversion"] = {k: _load(os.path.join(run, "inversion", f"contour-k{k}.json")) for k in (1, 10, 100)}
    write_json(os.path.join(run, "results.json"), results)
    log("recipe done", results=os.path.join(run, "results.json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
