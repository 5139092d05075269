"""Run exported ONNX models with onnxruntime: the Python package if present, else onnxruntime-node."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Dict

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_NODE_DIR = os.path.join(ROOT, "packages", "onnx-runtime")
CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "ort_check.mjs")


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
        return True
    except ImportError:
        return os.path.isdir(os.path.join(ORT_NODE_DIR, "node_modules", "onnxruntime-node"))


def run(model_path: str, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    try:
        import onnxruntime as ort  # type: ignore
        sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        return dict(zip(names, sess.run(names, inputs)))
    except ImportError:
        pass
    spec = {k: {"dtype": str(v.dtype), "dims": list(v.shape), "data": v.reshape(-1).tolist()} for k, v in inputs.items()}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    try:
        res = subprocess.run(["node", CHECKER, os.path.abspath(model_path), path], cwd=ORT_NODE_DIR,
                             capture_output=True, text=True, check=True)
    finally:
        os.remove(path)
    out = json.loads(res.stdout)
    return {k: np.asarray(v["data"], np.float32).reshape(v["dims"]) for k, v in out.items()}
