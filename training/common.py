"""Shared helpers: devices, threads, checkpoints, logging."""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict

import torch


def setup(device: str = "cpu", threads: int = 2) -> torch.device:
    torch.set_num_threads(threads)
    return torch.device(device)


def save_ckpt(path: str, **state: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written checkpoint


def load_ckpt(path: str) -> Dict[str, Any]:
    return torch.load(path, map_location="cpu")


def log(msg: str, **kv: Any) -> None:
    extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kv.items())
    print(f"[{time.strftime('%H:%M:%S')}] {msg} {extra}".rstrip(), flush=True)


def write_json(path: str, obj: Any) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
