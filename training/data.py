"""Datasets of (input, target, instruction, task) drawn from the synthetic world.

Splits are disjoint seed streams (scenes) and disjoint template sets (phrasings): "train" never
sees a "test" scene seed or a held-out phrasing.
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence

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


def make_pairs(n_per_task: int, split: str, seed: int = 0, task_names: Optional[Sequence[str]] = None) -> Pairs:
    names = list(task_names or T.TASK_NAMES)
    ins, tgs, texts, ids = [], [], [], []
    for name in names:
        rng = np.random.default_rng([SPLIT_SEED[split], seed, T.TASK_INDEX.get(name, 100)])
        for _ in range(n_per_task):
            a, b, s = T.make_example(name, rng, "test" if split == "test" else "train")
            ins.append(a)
            tgs.append(b)
            texts.append(s)
            ids.append(T.TASK_INDEX.get(name, -1))
    return Pairs(np.stack(ins), np.stack(tgs), texts, np.asarray(ids, np.int64))


def to_tensor(imgs: np.ndarray) -> torch.Tensor:
    """uint8 [N,H,W,3] -> float [N,3,H,W] in [-1,1]."""
    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [N,3,H,W] in [-1,1] -> uint8 [N,H,W,3]."""
    return ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
