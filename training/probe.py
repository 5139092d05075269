"""Where in the sampling an edit goes wrong: DDIM started from the TRUE target's latent, noised to
the level of each of the sampler's timesteps (SDEdit from the truth), scored like evaluate.

    /usr/bin/python3 -m training.probe --run RUN --tasks detect,sketch,texture --per-task 48 [--split val]

Starting at the first timestep (pure noise) is the ordinary edit; starting at timestep t keeps
only what the model does below t. Success that stays low when the start moves from t = 999 to
t = 500 and climbs only below it says the model spoils an edit that is already laid out: the
fine-detail (low-noise) regime is where training helps, which `train_unet --t-range` targets.
Same scenes, phrasings, noise and sampler settings as training.evaluate.
"""
from __future__ import annotations

import argparse
import os
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import torch

from . import data as D
from . import diffusion as Df
from . import metrics as M
from . import tasks as T
from .common import log, setup, write_json
from .evaluate import DEFAULTS, load_edits

STARTS = (0, 5, 10, 14, 17, 19)  # indices into the 20 trailing timesteps: t = 999, 749, 499, 299, 149, 49


@torch.no_grad()
def probe(run: str, tasks: Sequence[str], per_task: int = 48, split: str = "val", starts: Sequence[int] = STARTS,
          steps: int = DEFAULTS["steps"], batch: int = 16, name: str = "unet") -> Dict[str, object]:
    setup("cpu")
    model, sf, _, ae, tok, pairs, ids, emb = load_edits(run, name, per_task, split, tasks)
    un, _ = model.text(torch.tensor(tok(""))[None])
    ab = Df.alphas_cumprod()
    ts = Df.ddim_timesteps(steps)
    rows: Dict[str, Dict[str, Dict[str, float]]] = {}
    for start in starts:
        t0 = int(ts[start])
        g = torch.Generator().manual_seed(0)
        per: Dict[str, List[Dict[str, float]]] = defaultdict(list)
        for i in range(0, len(pairs), batch):
            inp, tgt = pairs.inputs[i:i + batch], pairs.targets[i:i + batch]
            b = len(inp)
            z = ae.encoder(D.to_tensor(inp))
            # one generator over the batches, as training.evaluate draws its starting noise: the
            # start at t = 999 is exactly evaluate's edit
            x_init = torch.randn(z.shape, generator=g)
            if start > 0:
                a = ab[t0]
                x_init = a.sqrt() * ae.encoder(D.to_tensor(tgt)) * sf + (1 - a).sqrt() * x_init
            h, _ = model.text(ids[i:i + b])
            hid = torch.cat([h, un.expand(2 * b, -1, -1)])
            te = emb[i:i + b]
            te3 = torch.cat([te, te, te])
            x = Df.sample(lambda s, t: model.denoise(s, t, hid, te3), z, steps, DEFAULTS["g_text"], DEFAULTS["g_image"],
                          start=start, x_init=x_init)
            out = D.to_uint8(ae.decoder(x / sf, D.to_tensor(inp)))
            for k in range(b):
                task = T.TASK_NAMES[pairs.task_ids[i + k]]
                per[task].append(M.score(task, inp[k], tgt[k], out[k]))
        rows[str(t0)] = M.summarize(per)
        log(f"probe start t={t0}", **{task: v["success"] for task, v in rows[str(t0)].items()})
    return {"split": split, "per_task": per_task, "checkpoint": name, "by_start_t": rows}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--tasks", required=True, help="comma-separated")
    p.add_argument("--per-task", type=int, default=48)
    p.add_argument("--split", choices=("val", "test"), default="val")
    p.add_argument("--name", default="unet")
    p.add_argument("--out", default=None, help="json path (default RUN/probe-NAME-SPLIT.json)")
    a = p.parse_args(argv)
    tasks = [t for t in a.tasks.split(",") if t]
    unknown = [t for t in tasks if t not in T.TASK_NAMES]
    if unknown:
        p.error(f"unknown task(s) {unknown}; known: {', '.join(T.TASK_NAMES)}")
    if not tasks or a.per_task < 1:
        p.error("give at least one task and --per-task >= 1")
    res = probe(a.run, tasks, a.per_task, a.split, name=a.name)
    write_json(a.out or os.path.join(a.run, f"probe-{a.name}-{a.split}.json"), res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
