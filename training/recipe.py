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
import os
import subprocess
import sys
import time
from typing import Dict, Optional

from . import classifier as C
from . import evaluate as E
from . import invert as I
from . import multiturn as MT
from . import package as P
from . import synonyms as SYN
from . import train_unet as U
from . import train_vae as V
from . import data as D
from .common import log, read_json, write_json
from .models import Config


def _timed(times: Dict[str, float], key: str, fn, *args, **kw):
    t0 = time.time()
    r = fn(*args, **kw)
    times[key] = times.get(key, 0.0) + time.time() - t0
    return r


def _start_side_runs(run: str, a: argparse.Namespace, n_pool: int) -> list:
    """The ablation (no task embeddings) and the contour-from-start model, as processes that share
    the device with the main run: the same settings, data and wall-time budget."""
    dev = U.setup(a.device)
    U.build_pool(run, n_pool, dev)  # built once here, not raced by three processes
    U.build_pool(run, n_pool, dev, extra_tasks=("contour",))
    common = ["--run", run, "--steps", str(a.unet_steps), "--batch", str(a.unet_batch), "--lr", str(a.unet_lr),
              "--n-per-task", str(n_pool), "--device", a.device, "--warmup", str(a.unet_warmup),
              "--ckpt-every", str(a.ckpt_every)] + (["--small"] if a.tiny else [])
    if a.unet_budget_minutes:
        common += ["--budget-minutes", str(a.unet_budget_minutes)]
    out = []
    for name, extra in (("unet-notask", ["--no-task"]), ("unet-contour", ["--name", "unet-contour", "--extra-task", "contour"])):
        logf = os.path.join(run, f"{name}.log")
        with open(logf, "a") as f:
            proc = subprocess.Popen([sys.executable, "-m", "training.train_unet", *common, *extra], stdout=f,
                                    stderr=subprocess.STDOUT, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        out.append((name, proc, logf))
    return out


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
    g = p.add_argument_group("budgets for a machine of unknown speed (e.g. a GPU): wall time instead of steps")
    g.add_argument("--vae-minutes", type=float, default=None, help="autoencoder wall-time budget (LR schedule spans it)")
    g.add_argument("--unet-budget-minutes", type=float, default=None,
                   help="UNet wall-time budget (LR schedule spans it); --unet-steps becomes an upper bound")
    g.add_argument("--vae-batch", type=int, default=32)
    g.add_argument("--vae-n-per-task", type=int, default=500, help="pairs per task the autoencoder trains on")
    g.add_argument("--unet-batch", type=int, default=32)
    g.add_argument("--unet-lr", type=float, default=5e-4)
    g.add_argument("--unet-warmup", type=int, default=200)
    g.add_argument("--ckpt-every", type=int, default=250, help="UNet checkpoint interval in steps")
    g.add_argument("--parallel-extras", action="store_true",
                   help="with --extras: train the ablation and the contour-from-start model at the same time as "
                        "the main UNet (subprocesses sharing the device; same settings and budget)")
    g.add_argument("--stop-after", choices=["vae", "train"], default=None,
                   help="stop after the autoencoder, or after every training phase (finish elsewhere)")
    a = p.parse_args(argv)
    # the classifier phase needs it: say so now, not after the training phases (a run that stops
    # before it, e.g. gpu_recipe.sh on a machine without apt, does not)
    if a.stop_after is None and not SYN.available():
        p.error(f"WordNet not found in {SYN.wordnet_dir()}: apt-get install -y wordnet-base")
    run = a.run
    os.makedirs(run, exist_ok=True)
    times: Dict[str, float] = read_json(os.path.join(run, "times.json")) or {}

    def save_times() -> None:
        write_json(os.path.join(run, "times.json"), times)

    vae_cfg = Config.tiny(0) if a.tiny else Config()
    n_vae = 20 if a.tiny else a.vae_n_per_task
    if read_json(os.path.join(run, "vae_eval.json")) is None:
        ae = _timed(times, "vae_train_s", V.train, run, vae_cfg, a.vae_steps, batch=a.vae_batch, n_per_task=n_vae,
                    device=a.device, minutes=a.vae_minutes)
        ae = ae.cpu()
        test = D.make_pairs(3 if a.tiny else 50, "test")
        ceil = _timed(times, "vae_ceiling_s", V.ceiling_summary, ae, test)
        res = {"scaling_factor": V.scaling_factor(ae, D.make_pairs(2 if a.tiny else 20, "train", 7)),
               "ceiling": ceil["per_task"], "ceiling_mean_success": ceil["mean_success"]}
        write_json(os.path.join(run, "vae_eval.json"), res)
        save_times()
    log("phase vae done")
    if a.stop_after == "vae":
        return 0
    deadline = time.time() + 60 * a.unet_minutes if a.unet_minutes else None
    n_pool = 8 if a.tiny else a.pool_per_task
    unet_kw = dict(batch=a.unet_batch, lr=a.unet_lr, n_per_task=n_pool, device=a.device, small=a.tiny,
                   minutes=a.unet_budget_minutes, warmup=a.unet_warmup, ckpt_every=a.ckpt_every)
    side = []
    if a.extras and a.parallel_extras:
        side = _start_side_runs(run, a, n_pool)
    _timed(times, "unet_train_s", U.train, run, a.unet_steps, deadline=deadline, **unet_kw)
    for name, proc, logf in side:
        if proc.wait() != 0:
            raise SystemExit(f"{name} training failed (exit {proc.returncode}); see {logf}")
    save_times()
    log("phase unet done")
    if a.extras and not a.parallel_extras:
        _timed(times, "ablation_train_s", U.train, run, a.unet_steps, use_task=False, name="unet-notask", **unet_kw)
        _timed(times, "contour_train_s", U.train, run, a.unet_steps, name="unet-contour", extra_tasks=("contour",),
               **unet_kw)
        save_times()
    if a.stop_after == "train":
        return 0
    clf_n = 5 if a.tiny else 100
    if read_json(os.path.join(run, "classifier.json")) is None:
        size = {"steps": 5, "per_task": 4} if a.tiny else {}
        res = _timed(times, "classifier_s", C.finetune, run, eval_per_task=clf_n, **size)
        write_json(os.path.join(run, "classifier.json"), res)
        ev = read_json(os.path.join(run, "eval-unet.json"))
        if ev is not None:  # evaluated before the classifier was fine-tuned: refresh its number
            ev["classifier"] = res["after"]
            write_json(os.path.join(run, "eval-unet.json"), ev)
        save_times()
    log("phase classifier done")
    if read_json(os.path.join(run, "eval-unet.json")) is None:
        res = _timed(times, "eval_s", E.evaluate, run, a.eval_per_task, steps=a.sample_steps, clf_per_task=clf_n)
        write_json(os.path.join(run, "eval-unet.json"), res)
        save_times()
    log("phase eval done")
    info = _timed(times, "package_s", P.build, run, a.out)
    write_json(os.path.join(run, "package.json"), info)
    save_times()
    log("phase package done", MB=info["bytes"] / 1e6)
    if a.pipeline_eval and read_json(os.path.join(run, "pipeline-eval.json")) is None:
        from . import pipeline_eval as PE
        write_json(os.path.join(run, "pipeline-eval.json"),
                   _timed(times, "pipeline_eval_s", PE.run, a.out, 1 if a.tiny else 3, True))
        save_times()
    if a.extras:
        if read_json(os.path.join(run, "eval-unet-notask.json")) is None:
            res = E.evaluate(run, a.eval_per_task, "unet-notask", steps=a.sample_steps, clf_per_task=0)
            write_json(os.path.join(run, "eval-unet-notask.json"), res)
        if read_json(os.path.join(run, "multiturn.json")) is None:
            write_json(os.path.join(run, "multiturn.json"), _timed(times, "multiturn_s", MT.run_chains, run, 2 if a.tiny else 20, steps=a.sample_steps))
        for k in (1, 10, 100):
            path = os.path.join(run, "inversion", f"contour-k{k}.json")
            if read_json(path) is None:
                res = _timed(times, f"inversion_k{k}_s", I.invert, run, k, 3 if a.tiny else 300, eval_n=2 if a.tiny else 20,
                             sample_steps=a.sample_steps)
                write_json(path, res)
                write_json(path.replace(".json", ".entry.json"), res["entry"])
        path = os.path.join(run, "inversion", "contour-from-start.json")
        if read_json(path) is None:
            write_json(path, I.from_start(run, eval_n=2 if a.tiny else 20, sample_steps=a.sample_steps))
        save_times()
    results = {k.replace(".json", ""): read_json(os.path.join(run, k)) for k in
               ("vae_eval.json", "eval-unet.json", "classifier.json", "package.json", "pipeline-eval.json",
                "eval-unet-notask.json", "multiturn.json", "times.json")}
    results["inversion"] = {k: read_json(os.path.join(run, "inversion", f"contour-k{k}.json")) for k in (1, 10, 100)}
    results["inversion"]["from_start"] = read_json(os.path.join(run, "inversion", "contour-from-start.json"))
    write_json(os.path.join(run, "results.json"), results)
    log("recipe done", results=os.path.join(run, "results.json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
