"""Shared helpers: devices, threads, precision, learning-rate schedules, checkpoints, logging."""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from typing import Any, ContextManager, Dict, Optional, Sequence

import torch


def setup(device: str = "cpu", threads: Optional[int] = None) -> torch.device:
    """CPU work uses EMUEDIT_TRAIN_THREADS threads (default 2: this project's reference machine);
    on CUDA, matmuls and convolutions may use TF32."""
    torch.set_num_threads(threads or int(os.environ.get("EMUEDIT_TRAIN_THREADS", "2")))
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    return dev


def autocast(dev: torch.device) -> ContextManager[Any]:
    """bf16 autocast on CUDA (fp32 master weights and losses); plain fp32 on the CPU, where bf16
    is slower and the reference runs were made."""
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def cosine_lr(base: float, progress: float, warm: float, floor: float) -> float:
    """Linear warm-up over the first `warm` (fraction or steps, already divided), then cosine from
    base down to floor*base at progress 1."""
    p = min(max(progress, 0.0), 1.0)
    return base * min(1.0, warm) * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * p)))


class Clock:
    """Training progress in [0,1] by steps, or by wall time when a time budget is given (so a run on
    an unknown machine anneals its learning rate exactly within its budget)."""

    def __init__(self, steps: int, minutes: Optional[float]):
        self.steps = steps
        self.budget = 60.0 * minutes if minutes else None
        self.t0 = time.time()

    def progress(self, step: int) -> float:
        if self.budget is not None:
            return max(step / self.steps, (time.time() - self.t0) / self.budget)
        return step / self.steps

    def done(self, step: int) -> bool:
        return step >= self.steps or (self.budget is not None and time.time() - self.t0 >= self.budget)


def save_ckpt(path: str, **state: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written checkpoint


def load_ckpt(path: str) -> Dict[str, Any]:
    # our own files: configs and optimizer state are plain Python (torch >= 2.6 would refuse them by default)
    return torch.load(path, map_location="cpu", weights_only=False)


def parse_task_weights(values: Sequence[str], known: Sequence[str], option: str = "--task-weight",
                       value: str = "W") -> Dict[str, float]:
    """["text=2.5", ...] (--task-weight TASK=W) -> {"text": 2.5}; an unknown task or a weight that
    is not a positive number is a ValueError, not a silently ignored weight. `option` and `value`
    name the option and its number in the message."""
    out: Dict[str, float] = {}
    for v in values:
        name, sep, w = v.partition("=")
        if not sep or name not in known:
            raise ValueError(f"{option} {v!r}: expected TASK={value} with TASK one of {', '.join(known)}")
        try:
            out[name] = float(w)
        except ValueError:
            raise ValueError(f"{option} {v!r}: {value} must be a number") from None
        if not out[name] > 0:
            raise ValueError(f"{option} {v!r}: {value} must be positive")
    return out


def parse_task_counts(values: Sequence[str], known: Sequence[str], option: str) -> Dict[str, int]:
    """["detect=750", ...] (OPTION TASK=N) -> {"detect": 750}; N must be a positive whole number."""
    out: Dict[str, int] = {}
    for name, w in parse_task_weights(values, known, option, "N").items():
        if w != int(w):
            raise ValueError(f"{option} {name}={w:g}: N must be a whole number")
        out[name] = int(w)
    return out


def files_sha256(paths: Sequence[str]) -> Any:
    """One running SHA-256 over the bytes of the files, in order (callers may add more to it)."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h


def log(msg: str, **kv: Any) -> None:
    extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kv.items())
    print(f"[{time.strftime('%H:%M:%S')}] {msg} {extra}".rstrip(), flush=True)


def read_json(path: str) -> Optional[Dict[str, Any]]:
    """A phase's stored result, or None when the phase has not written it yet."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path: str, obj: Any) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
