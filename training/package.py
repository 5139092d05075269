"""Phase 3: write the model package from a run (ONNX export + metadata + ONNX-vs-torch check).

    /usr/bin/python3 -m training.package --run training/runs/default --out models/emu-edit-tiny
"""
from __future__ import annotations

import argparse
import os
import shutil
from typing import Dict, Optional

import torch

from . import export, tasks as T, world as W
from .common import load_ckpt, log, write_json
from .evaluate import DEFAULTS
from .train_unet import editor_of, load_vae, pool_seeds, tokenizer
from .verify import verify_package

MAX_BYTES = 30 * 1024 * 1024


def _round_fp16(m: torch.nn.Module) -> torch.nn.Module:
    """Torch twin of an fp16-stored export: weights rounded to fp16, compute in fp32."""
    with torch.no_grad():
        for p in m.parameters():
            if p.numel() >= 256:
                p.copy_(p.half().float())
    return m


def build(run: str, out: str, name: str = "unet", fp16: Optional[bool] = None, check: bool = True,
          model_name: str = "emu-edit-tiny", task_input: str = "vector") -> Dict[str, object]:
    """task_input "row" writes the layout of packages made before task vectors (tests of
    from_package read such packages back)."""
    st = load_ckpt(os.path.join(run, f"{name}.pt"))
    model, sf, steps = editor_of(st), float(st["scaling_factor"]), int(st["step"])
    # a continued run's step counts only its own phase; init_steps are those of the run it started from
    init_steps = int(st.get("init_steps", 0))
    seeds = pool_seeds(st)
    del st
    if task_input == "row" and not model.cfg.task_mlp:
        raise ValueError(f"{run}/{name}.pt holds task vectors, not table rows: it can only be packaged with task vectors")
    ae = load_vae(run)
    tok = tokenizer(run)
    cfg = model.cfg
    n_params = sum(p.numel() for p in model.parameters()) + sum(p.numel() for p in ae.parameters())
    if fp16 is None:
        fp16 = n_params * 4 > MAX_BYTES * 0.9
    opts = export.ExportOptions(layout="emu", fp16_weights=fp16, task_input=task_input)
    tmp = out + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    shutil.copytree(os.path.join(run, "tokenizer"), os.path.join(tmp, "tokenizer"))
    export.export_text_encoder(model.text, tmp, opts)
    export.export_unet(model.unet, tmp, opts)
    export.export_vae(ae, cfg, tmp, opts, sf)
    export.export_classifier(model.classifier, cfg, tmp, opts)
    with torch.no_grad():  # what the UNet graph takes: task vectors (the task MLP is not in it) or rows
        emb = (model.tasks.weight if task_input == "row" else model.task_vectors()).numpy()
    table = export.tasks_table(T.TASK_NAMES, [t.group for t in T.TASKS], [t.description for t in T.TASKS],
                               [T.task_examples(t.name) for t in T.TASKS], emb)
    emu = {"name": model_name, "resolution": W.SIZE, "vae_scaling_factor": sf, "task_embedding_dim": int(emb.shape[1]),
           "default_steps": DEFAULTS["steps"], "default_guidance_scale": DEFAULTS["g_text"],
           "default_image_guidance_scale": DEFAULTS["g_image"], "tasks": "tasks/tasks.json",
           "task_classifier": "task_classifier/model.onnx"}
    if seeds != [0]:
        # which training scenes the UNet saw, so a run rebuilt from the package (training.from_package)
        # still refuses to sample them as "unseen" (finetune_decoder); seed 0's alone is what a package
        # without the key means, and leaves emuedit.json as every earlier package wrote it
        emu[export.POOL_SEEDS_KEY] = seeds
    export.write_package_meta(tmp, "emu", export.ddim_vpred_config(), emu, table)
    info: Dict[str, object] = {"fp16_weights": fp16, "params": n_params, "trained_steps": steps,
                               "init_steps": init_steps, "steps_behind_weights": init_steps + steps}
    if check:
        twins = [model.text, model.unet, ae, model.classifier]
        if fp16:
            import copy
            twins = [_round_fp16(copy.deepcopy(m)) for m in twins]
        info["max_abs_diff"] = verify_package(tmp, twins[0], twins[1], twins[2], twins[3], opts)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.replace(tmp, out)
    info["bytes"] = export.dir_size(out)
    return info


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="unet")
    p.add_argument("--fp16", choices=["auto", "yes", "no"], default="auto")
    a = p.parse_args(argv)
    info = build(a.run, a.out, a.name, None if a.fp16 == "auto" else a.fp16 == "yes")
    write_json(os.path.join(a.run, "package.json"), info)
    log("package", out=a.out, MB=info["bytes"] / 1e6, fp16=info["fp16_weights"])  # type: ignore[operator]
    for k, v in (info.get("max_abs_diff") or {}).items():  # type: ignore[union-attr]
        log(f"onnx vs torch {k}", max_abs_diff=v)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
