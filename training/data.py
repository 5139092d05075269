"""Datasets of (input, target, instruction, task) drawn from the synthetic world.

Splits are disjoint seed streams (scenes) and disjoint template sets (phrasings): "train" never
sees a "test" scene seed or a held-out phrasing.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing
import os
import signal
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from . import tasks as T

SPLIT_SEED = {"train": 1, "test": 2, "val": 3}


@dataclasses.dataclass
class Pairs:
    inputs: np.ndarray      # [N,64,64,3] uint8
    targets: np.ndarray     # [N,64,64,3] uint8
    texts: List[str]
    task_ids: np.ndarray    # [N] int64 (index into T.TASK_NAMES; -1 for tasks outside the table)

    def __len__(self) -> int:
        return len(self.texts)


def _task_pairs(args: Tuple[str, int, str, int, Optional[str]]) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    name, n_per_task, split, seed, phrasings = args
    rng = np.random.default_rng([SPLIT_SEED[split], seed, T.TASK_INDEX.get(name, 100)])
    ins, tgs, texts = [], [], []
    for _ in range(n_per_task):
        a, b, s = T.make_example(name, rng, phrasings or ("test" if split == "test" else "train"))
        ins.append(a)
        tgs.append(b)
        texts.append(s)
    return np.stack(ins), np.stack(tgs), texts


def _default_sigterm() -> None:
    # a forked worker inherits train_unet's SIGTERM-checkpoints handler, and the pool ends its
    # workers with SIGTERM: each would print a KeyboardInterrupt traceback on the way out
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def default_workers() -> int:
    return int(os.environ.get("EMUEDIT_DATA_WORKERS", "0")) or max(1, min(16, os.cpu_count() or 1))


def make_pairs(n_per_task: int, split: str, seed: int = 0, task_names: Optional[Sequence[str]] = None,
               workers: Optional[int] = None, phrasings: Optional[str] = None) -> Pairs:
    """Each task is its own seed stream, so the result is the same whatever the number of worker
    processes (one task per process; worth it from a few hundred pairs per task). `phrasings`
    T.REWORDED gives the split's scenes (the same ones) with instructions in words neither split
    uses (T.CLASSIFIER_VAL), for T.REWORDED_TASKS only."""
    if phrasings not in (None, T.REWORDED):
        raise ValueError(f"phrasings must be None or {T.REWORDED!r}, got {phrasings!r}")
    names = list(task_names or (T.REWORDED_TASKS if phrasings else T.TASK_NAMES))
    jobs = [(name, n_per_task, split, seed, phrasings) for name in names]
    w = min(len(jobs), default_workers() if workers is None else workers)
    if w > 1 and n_per_task * len(jobs) >= 2000:
        # fork is cheap, but not after CUDA is initialised in this process: spawn then
        ctx = "spawn" if torch.cuda.is_available() and torch.cuda.is_initialized() else "fork"
        with multiprocessing.get_context(ctx).Pool(w, initializer=_default_sigterm) as pool:
            parts = pool.map(_task_pairs, jobs)
    else:
        parts = [_task_pairs(j) for j in jobs]
    texts = [s for _, _, ts in parts for s in ts]
    ids = [T.TASK_INDEX.get(name, -1) for name in names for _ in range(n_per_task)]
    return Pairs(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), texts,
                 np.asarray(ids, np.int64))


def concat_pairs(parts: Sequence[Pairs]) -> Pairs:
    return Pairs(np.concatenate([p.inputs for p in parts]), np.concatenate([p.targets for p in parts]),
                 [s for p in parts for s in p.texts], np.concatenate([p.task_ids for p in parts]))


def to_tensor(imgs: Union[np.ndarray, torch.Tensor]) -> torch.Tensor:
    """uint8 [N,H,W,3] (numpy, or a torch tensor on any device) -> float [N,3,H,W] in [-1,1]."""
    t = imgs if isinstance(imgs, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(imgs))
    return t.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [N,3,H,W] in [-1,1] -> uint8 [N,H,W,3]."""
    return ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def fingerprint(n_per_task: int = 8, split: str = "train") -> Dict[str, str]:
    """A digest per task of a few pairs: equal digests on two machines mean their numpy and Pillow
    make the same training data (a run trained on a GPU machine is evaluated on this one)."""
    out = {}
    for name in T.TASK_NAMES:
        a, b, texts = _task_pairs((name, n_per_task, split, 0, None))
        h = hashlib.sha256(a.tobytes() + b.tobytes() + "\n".join(texts).encode())
        out[name] = h.hexdigest()[:16]
    return out


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="training data digests: write here, check on another machine")
    p.add_argument("action", choices=["write", "check"])
    p.add_argument("file")
    a = p.parse_args(argv)
    got = fingerprint()
    if a.action == "write":
        with open(a.file, "w") as f:
            json.dump(got, f, indent=1)
        return 0
    try:
        with open(a.file) as f:
            want = json.load(f)
    except (OSError, ValueError) as e:
        p.error(f"{a.file}: not a fingerprint written by `training.data write` ({e})")
    if not isinstance(want, dict) or not want:
        p.error(f"{a.file}: not a fingerprint written by `training.data write` (no tasks)")
    differ = sorted(k for k in want if want[k] != got.get(k))
    print("data fingerprint:", "same on every task" if not differ else f"DIFFERS on {', '.join(differ)}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
