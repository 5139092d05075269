"""Render the numbers of a run (RUN/*.json) as markdown tables for docs/model-card.md.

    /usr/bin/python3 -m training.card --run training/runs/default
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Optional

from . import tasks as T
from .common import read_json


def _f(x: Any, pct: bool = False) -> str:
    if x is None:
        return "—"
    return f"{100 * x:.0f}%" if pct else f"{x:.1f}"


def render(run: str) -> str:
    vae = read_json(os.path.join(run, "vae_eval.json")) or {}
    ev = read_json(os.path.join(run, "eval-unet.json")) or {}
    ab = read_json(os.path.join(run, "eval-unet-notask.json")) or {}
    # "with task embeddings" at the ablation's own step count: the contour-from-start model (the same
    # recipe, trained side by side with the ablation) when it was evaluated on the 16 tasks
    same = read_json(os.path.join(run, "eval-unet-contour.json")) or read_json(os.path.join(run, "eval-unet-s1500.json")) or {}
    ws, wo = same.get("trained_steps", "?"), ab.get("trained_steps", "?")
    lines = [f"| task | group | AE ceiling | edit success | PSNR in (dB) | PSNR out (dB) | L1 out | with task emb. @{ws} | without @{wo} |",
             "|---|---|---|---|---|---|---|---|---|"]
    ceil, per, abl, sm = vae.get("ceiling", {}), ev.get("per_task", {}), ab.get("per_task", {}), same.get("per_task", {})
    for td in T.TASKS:
        c, e, a, s1 = ceil.get(td.name, {}), per.get(td.name, {}), abl.get(td.name, {}), sm.get(td.name, {})
        lines.append(f"| {td.name} | {td.group} | {_f(c.get('success'), True)} | {_f(e.get('success'), True)} | "
                     f"{_f(e.get('psnr_in'))} | {_f(e.get('psnr_out'))} | {_f(e.get('l1_out'))} | "
                     f"{_f(s1.get('success'), True)} | {_f(a.get('success'), True)} |")
    lines.append(f"| **mean** | | {_f(vae.get('ceiling_mean_success'), True)} | {_f(ev.get('mean_success'), True)} | | | | "
                 f"{_f(same.get('mean_success'), True)} | {_f(ab.get('mean_success'), True)} |")
    clf = (read_json(os.path.join(run, "classifier.json")) or {}).get("after") or ev.get("classifier") or {}
    if clf:
        lines += ["", "Task classifier on held-out phrasings: " + f"{100 * clf['mean']:.1f}% mean; per task: " +
                  ", ".join(f"{k} {100 * v:.0f}%" for k, v in clf.items() if k != "mean")]
    inv = [(k, read_json(os.path.join(run, "inversion", f"contour-k{k}.json"))) for k in (1, 10, 100)]
    base = read_json(os.path.join(run, "inversion", "contour-from-start.json"))
    if any(r for _, r in inv) or base:
        lines += ["", "| contour | success | outline IoU | PSNR in (dB) | PSNR out (dB) | vs from start |", "|---|---|---|---|---|---|"]
        b = (base or {}).get("metrics", {})
        for k, r in inv:
            if r:
                m = r["metrics"]
                ratio = f"{m['success'] / b['success']:.2f}x success, {m['iou'] / b['iou']:.2f}x IoU" if b.get("success") else "—"
                lines.append(f"| inversion k={k} | {_f(m['success'], True)} | {m['iou']:.3f} | {_f(m['psnr_in'])} | "
                             f"{_f(m['psnr_out'])} | {ratio} |")
        if b:
            lines.append(f"| trained from the start ({base['trained_steps']} steps) | {_f(b['success'], True)} | "
                         f"{b['iou']:.3f} | {_f(b['psnr_in'])} | {_f(b['psnr_out'])} | 1 |")
    sweep = []
    sdir = os.path.join(run, "sweep")
    for f in sorted(os.listdir(sdir)) if os.path.isdir(sdir) else []:
        r = read_json(os.path.join(sdir, f))
        if r and r.get("split") == "val":
            sweep.append((r["checkpoint"], r["sampler"], r["mean_success"]))
    if sweep:
        lines += ["", "| checkpoint | DDIM steps | text guidance | image guidance | val edit success |", "|---|---|---|---|---|"]
        for name, smp, m in sorted(sweep, key=lambda x: (x[0], x[1]["steps"], x[1]["g_text"], x[1]["g_image"])):
            lines.append(f"| {name} | {smp['steps']} | {smp['g_text']} | {smp['g_image']} | {_f(m, True)} |")
    pe = read_json(os.path.join(run, "pipeline-eval.json"))
    if pe:
        lines += ["", f"ONNX package through the in-process pipeline: {_f(pe['mean_success'], True)} success on "
                  f"{pe['edits']} edits, task resolved correctly for {_f(pe['task_resolved_correctly'], True)} "
                  f"(predicted: {pe['predict_task']}), {pe['mean_ms_per_edit']:.0f} ms per edit"]
    mt = read_json(os.path.join(run, "multiturn.json"))
    if mt:
        lines += ["", f"Multi-turn ({mt['chains']} chains x {mt['length']}): untouched region "
                  f"{mt['plain']['psnr_untouched']:.1f} dB plain, {mt['thresholded']['psnr_untouched']:.1f} dB thresholded; "
                  f"final vs ground truth {mt['plain']['psnr_final_vs_gt']:.1f} / {mt['thresholded']['psnr_final_vs_gt']:.1f} dB"]
    pk = read_json(os.path.join(run, "package.json"))
    if pk:
        lines += ["", "ONNX vs torch max abs diff: " + ", ".join(f"{k} {v:.1e}" for k, v in pk["max_abs_diff"].items())]
    return "\n".join(lines)


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", default="training/runs/default")
    a = p.parse_args(argv)
    print(render(a.run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
