"""Render the numbers of a run (RUN/*.json) as markdown tables for docs/model-card.md.

    /usr/bin/python3 -m training.card --run training/runs/default
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Dict, Optional

from . import tasks as T


def _load(path: str) -> Optional[Dict[str, Any]]:
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def _f(x: Any, pct: bool = False) -> str:
    if x is None:
        return "—"
    return f"{100 * x:.0f}%" if pct else f"{x:.1f}"


def render(run: str) -> str:
    vae = _load(os.path.join(run, "vae_eval.json")) or {}
    ev = _load(os.path.join(run, "eval-unet.json")) or {}
    ab = _load(os.path.join(run, "eval-unet-notask.json")) or {}
    same = _load(os.path.join(run, "eval-unet-s1500.json")) or {}
    lines = ["| task | group | AE ceiling | edit success | PSNR in (dB) | PSNR out (dB) | L1 out | with task emb. @1500 | without @1500 |",
             "|---|---|---|---|---|---|---|---|---|"]
    ceil, per, abl, sm = vae.get("ceiling", {}), ev.get("per_task", {}), ab.get("per_task", {}), same.get("per_task", {})
    for td in T.TASKS:
        c, e, a, s1 = ceil.get(td.name, {}), per.get(td.name, {}), abl.get(td.name, {}), sm.get(td.name, {})
        lines.append(f"| {td.name} | {td.group} | {_f(c.get('success'), True)} | {_f(e.get('success'), True)} | "
                     f"{_f(e.get('psnr_in'))} | {_f(e.get('psnr_out'))} | {_f(e.get('l1_out'))} | "
                     f"{_f(s1.get('success'), True)} | {_f(a.get('success'), True)} |")
    lines.append(f"| **mean** | | {_f(vae.get('ceiling_mean_success'), True)} | {_f(ev.get('mean_success'), True)} | | | | "
                 f"{_f(same.get('mean_success'), True)} | {_f(ab.get('mean_success'), True)} |")
    clf = (_load(os.path.join(run, "classifier.json")) or {}).get("after") or ev.get("classifier") or {}
    if clf:
        lines += ["", "Task classifier on held-out phrasings: " + f"{100 * clf['mean']:.1f}% mean; per task: " +
                  ", ".join(f"{k} {100 * v:.0f}%" for k, v in clf.items() if k != "mean")]
    return "\n".join(lines)


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", default="training/runs/default")
    a = p.parse_args(argv)
    print(render(a.run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
