"""Edit success through the exported ONNX package and the project's in-process pipeline (a subset).

    /usr/bin/python3 -m training.pipeline_eval --package models/emu-edit-tiny --per-task 3 [--predict-task]

--predict-task leaves the task out of the request, so the pipeline resolves it with the package's
task classifier (the serving path); otherwise the explicit task is sent.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import tempfile
import time
from collections import defaultdict
from typing import Dict, Optional

import numpy as np

from . import data as D
from . import metrics as M
from . import tasks as T
from .common import log, write_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(package: str, per_task: int = 3, predict_task: bool = False, seed: int = 0) -> Dict[str, object]:
    with open(os.path.join(package, "emuedit.json")) as f:
        emu = json.load(f)
    pairs = D.make_pairs(per_task, "test", 0)
    cases = [{"image": base64.b64encode(pairs.inputs[i].tobytes()).decode(), "width": 64, "height": 64,
              "instruction": pairs.texts[i], "steps": emu["default_steps"], "guidanceScale": emu["default_guidance_scale"],
              "imageGuidanceScale": emu["default_image_guidance_scale"], "seed": seed + i,
              **({} if predict_task else {"task": T.TASK_NAMES[pairs.task_ids[i]]})} for i in range(len(pairs))]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as d:
        cp, op = os.path.join(d, "cases.json"), os.path.join(d, "out.json")
        with open(cp, "w") as f:
            json.dump({"cases": cases}, f)
        subprocess.run(["node", "--import", "tsx", os.path.join("training", "tools", "pipeline_eval.ts"),
                        os.path.abspath(package), cp, op], cwd=ROOT, check=True, capture_output=True, text=True)
        with open(op) as f:
            outs = json.load(f)["outputs"]
    rows: Dict[str, list] = defaultdict(list)
    resolved = 0
    for i, o in enumerate(outs):
        task = T.TASK_NAMES[pairs.task_ids[i]]
        img = np.frombuffer(base64.b64decode(o["image"]), np.uint8).reshape(64, 64, 3)
        rows[task].append(M.score(task, pairs.inputs[i], pairs.targets[i], img))
        resolved += int(o["task"] == task)
    per = M.summarize(rows)
    return {"per_task": per, "mean_success": float(np.mean([v["success"] for v in per.values()])),
            "task_resolved_correctly": resolved / len(outs), "predict_task": predict_task, "edits": len(outs),
            "mean_ms_per_edit": float(np.mean([o["ms"] for o in outs])), "seconds": time.time() - t0}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--package", default="models/emu-edit-tiny")
    p.add_argument("--per-task", type=int, default=3)
    p.add_argument("--predict-task", action="store_true")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    res = run(a.package, a.per_task, a.predict_task)
    if a.out:
        write_json(a.out, res)
    log("pipeline eval", mean=res["mean_success"], resolved=res["task_resolved_correctly"],
        ms_per_edit=res["mean_ms_per_edit"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
