"""Paired comparison of two evaluations of the same edits: which edits each model gets right, per
task, and an exact two-sided sign test on the edits where they disagree.

    /usr/bin/python3 -m training.compare BEFORE.json AFTER.json [--alpha 0.05] [--from-edit K] [--out F.json]

BEFORE and AFTER are `training.evaluate` outputs made with the same split, edits per task, tasks
and sampler settings (so the same scenes, instructions and noise). Pairing is what makes small
differences visible: on 384 edits one standard error of a success rate is ~2.4 points, while the
edits on which two models disagree carry the whole difference between them. "better" / "worse"
means p < alpha; anything else is "no significant difference". This is how the model card's
"measurably better" is decided.

`--from-edit K` leaves out the first K edits of every task: the scenes of an evaluation with K
edits per task are the first K of one with more (each task is its own seed stream), so a larger
evaluation checked from edit K on confirms a choice on scenes that the choice never saw.
`--to-edit K` keeps only the first K: the choice itself, made on the same evaluation files as its
confirmation (with the same starting noise, which an evaluation with K edits per task does not share).
Evaluations made with `training.evaluate --skip K` (only the scenes after the first K) are compared
only with each other (the same --skip): their scenes and noise are not a full evaluation's.

`--across-samplers` compares two sampler settings on the same model instead: the scenes,
instructions and starting noise of `training.evaluate` do not depend on the sampler (DDIM adds no
noise of its own), so the edits are still paired; the result names both settings.
"""
from __future__ import annotations

import argparse
import json
import math
from typing import Any, Dict, Optional

from .common import log, write_json

ALPHA = 0.05


def sign_test(gained: int, lost: int) -> float:
    """Two-sided exact binomial test of gained vs lost edits (p = 0.5 under no difference)."""
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(gained, lost) + 1)) / 2.0 ** n
    return min(1.0, 2.0 * tail)


def _check_comparable(a: Dict[str, Any], b: Dict[str, Any], across_samplers: bool = False) -> None:
    for name, ev in (("before", a), ("after", b)):
        if "edits" not in ev:
            raise ValueError(f"{name}: no per-edit results (made by an older training.evaluate; evaluate again)")
    for key in ("split", "phrasings") if across_samplers else ("split", "phrasings", "sampler"):
        if a.get(key) != b.get(key):
            raise ValueError(f"not the same edits: {key} is {a.get(key)!r} before and {b.get(key)!r} after")
    if a.get("skip", 0) != b.get("skip", 0):  # other scenes and other starting noise (evaluate --skip)
        raise ValueError(f"not the same edits: skip is {a.get('skip', 0)} before and {b.get('skip', 0)} after")
    if set(a["edits"]) != set(b["edits"]):
        raise ValueError(f"not the same tasks: {sorted(a['edits'])} before, {sorted(b['edits'])} after")
    for task, xs in a["edits"].items():
        if len(xs) != len(b["edits"][task]):
            raise ValueError(f"{task}: {len(xs)} edits before, {len(b['edits'][task])} after")


def compare(before: Dict[str, Any], after: Dict[str, Any], alpha: float = ALPHA,
            across_samplers: bool = False, from_edit: int = 0, to_edit: Optional[int] = None) -> Dict[str, Any]:
    _check_comparable(before, after, across_samplers)
    fewest = min(len(xs) for xs in before["edits"].values())
    end = fewest if to_edit is None else to_edit
    if not 0 <= from_edit < end <= fewest:
        raise ValueError(f"need 0 <= from_edit < to_edit <= {fewest} (edits per task), not {from_edit} and {end}")
    per: Dict[str, Dict[str, int]] = {}
    for task, xs in before["edits"].items():
        xs, ys = xs[from_edit:end], after["edits"][task][from_edit:end]
        per[task] = {"n": len(xs), "before": sum(xs), "after": sum(ys),
                     "gained": sum(1 for x, y in zip(xs, ys) if y and not x),
                     "lost": sum(1 for x, y in zip(xs, ys) if x and not y)}
    tot = {k: sum(v[k] for v in per.values()) for k in ("n", "before", "after", "gained", "lost")}
    p = sign_test(tot["gained"], tot["lost"])
    if p < alpha:
        verdict = "better" if tot["gained"] > tot["lost"] else "worse"
    else:
        verdict = "no significant difference"
    sampler = before["sampler"] if before["sampler"] == after["sampler"] else \
        {"before": before["sampler"], "after": after["sampler"]}
    return {"per_task": per, "total": tot, "p": p, "alpha": alpha, "verdict": verdict,
            "split": before["split"], "sampler": sampler, "from_edit": from_edit, "to_edit": to_edit}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--alpha", type=float, default=ALPHA)
    p.add_argument("--out", default=None)
    p.add_argument("--from-edit", type=int, default=0, metavar="K",
                   help="leave out the first K edits of every task (scenes a choice already saw)")
    p.add_argument("--to-edit", type=int, default=None, metavar="K",
                   help="keep only the first K edits of every task (the scenes a choice is made on)")
    p.add_argument("--across-samplers", action="store_true",
                   help="BEFORE and AFTER are one model's edits at two sampler settings")
    a = p.parse_args(argv)
    if not 0.0 < a.alpha < 1.0:
        p.error(f"--alpha must be in (0, 1), got {a.alpha}")
    evs = []
    for path in (a.before, a.after):
        try:
            with open(path) as f:
                evs.append(json.load(f))
        except (OSError, ValueError) as e:
            p.error(f"{path}: {e}")
    try:
        res = compare(evs[0], evs[1], a.alpha, a.across_samplers, a.from_edit, a.to_edit)
    except ValueError as e:
        p.error(str(e))
    for task, v in res["per_task"].items():
        log(f"compare {task}", **v)
    log("compare", verdict=res["verdict"], p=res["p"], **res["total"])
    if a.out:
        write_json(a.out, res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
