"""Edit success metrics (issue "The default model"): PSNR inside/outside the edit region, mask IoU."""
from __future__ import annotations

import math
from typing import Dict

import numpy as np

from . import world as W

THRESHOLD_DB = 20.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return math.inf
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def edit_region(inp: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """Pixels where the target differs from the input, dilated by 1 px. [H,W] bool."""
    return W.dilate((inp != tgt).any(-1), 1)


def score(task: str, inp: np.ndarray, tgt: np.ndarray, out: np.ndarray) -> Dict[str, float]:
    """psnr_in, psnr_out, l1_out (0..255 units), iou (segment only), success (0/1)."""
    r = edit_region(inp, tgt)
    p_in, p_out = psnr(out[r], tgt[r]), psnr(out[~r], tgt[~r])
    l1_out = float(np.abs(out[~r].astype(np.float64) - tgt[~r]).mean()) if (~r).any() else 0.0
    res = {"psnr_in": p_in, "psnr_out": p_out, "l1_out": l1_out}
    if task in ("segment", "contour"):
        a = out.astype(np.float64).mean(-1) > 127
        b = tgt.astype(np.float64).mean(-1) > 127
        union = (a | b).sum()
        res["iou"] = float((a & b).sum() / union) if union else 1.0
    if task == "segment":
        res["success"] = float(res["iou"] >= 0.7)
    else:
        res["success"] = float(p_in >= THRESHOLD_DB and p_out >= THRESHOLD_DB)
    return res


def summarize(rows: Dict[str, list]) -> Dict[str, Dict[str, float]]:
    """Per task means; infinite PSNRs are capped at 60 dB for averaging."""
    out: Dict[str, Dict[str, float]] = {}
    for task, rs in rows.items():
        keys = rs[0].keys()
        out[task] = {k: float(np.mean([min(r[k], 60.0) for r in rs])) for k in keys}
        out[task]["n"] = len(rs)
    return out
