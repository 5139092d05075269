"""Carry a run's results between machines: the weights that later phases need (no optimizer
state; side models in fp16), the JSON results, the tokenizer and the logs, as one tar.gz cut into
parts small enough for a file-size-limited transfer (e.g. back from a rented GPU).

    python3 -m training.carry pack --run RUN --out DIR [--part-mb 15]
    /usr/bin/python3 -m training.carry unpack --parts DIR --run RUN

Checkpoints travel as raw little-endian tensors plus a JSON index (not pickles), so a run made
with one torch/numpy version unpacks under another (the GPU image has torch 2.x and numpy 2.x;
Debian 12 has torch 1.13 and numpy 1.24). A packed run resumes with the recipe like any other:
finished phases are skipped, and the phases after training (classifier head, evaluation,
package, extras) run where it was unpacked.
"""
from __future__ import annotations

import argparse
import glob
import io
import json
import os
import tarfile
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from .common import load_ckpt, log, save_ckpt

MAIN = "unet"  # the shipped model keeps fp32 weights; the ablation and baseline models travel in fp16
STATE_KEYS = ("model", "ema")


def encode_ckpt(st: Dict[str, Any], name: str) -> Tuple[bytes, bytes]:
    """-> (JSON index, raw tensor bytes) of a slimmed checkpoint."""
    st = dict(st)
    st.pop("opt", None)
    if "ema" in st:  # UNet checkpoints: the EMA weights are what every later phase uses
        st.pop("model", None)
    meta: Dict[str, Any] = {"tensors": {}, "meta": {}}
    raw = io.BytesIO()
    for key, value in st.items():
        if key not in STATE_KEYS:
            meta["meta"][key] = value
            continue
        for tname, t in value.items():
            t = t.detach().cpu().contiguous()
            if key == "ema" and name != MAIN and t.is_floating_point():
                t = t.half()
            arr = t.numpy()
            meta["tensors"][f"{key}/{tname}"] = {"dtype": str(arr.dtype), "shape": list(arr.shape),
                                                 "offset": raw.tell(), "nbytes": arr.nbytes}
            raw.write(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
    return json.dumps(meta).encode(), raw.getvalue()


def decode_ckpt(index: bytes, raw: bytes) -> Dict[str, Any]:
    meta = json.loads(index)
    st: Dict[str, Any] = dict(meta["meta"])
    for full, d in meta["tensors"].items():
        key, tname = full.split("/", 1)
        arr = np.frombuffer(raw, dtype=np.dtype(d["dtype"]).newbyteorder("<"), count=int(np.prod(d["shape"], dtype=np.int64)),
                            offset=d["offset"]).reshape(d["shape"])
        t = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))
        if key == "ema" and t.dtype == torch.float16:
            t = t.float()
        st.setdefault(key, {})[tname] = t
    return st


def _add(tar: tarfile.TarFile, rel: str, data: bytes) -> None:
    info = tarfile.TarInfo(rel)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def pack(run: str, out: str, part_mb: float = 15.0) -> List[str]:
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "run.tgz.part*")):
        os.remove(old)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        for root, _, files in os.walk(run):
            for f in sorted(files):
                p = os.path.join(root, f)
                rel = os.path.relpath(p, run)
                if f.endswith(".tmp") or f.startswith("pool") or f.endswith(".npz"):
                    continue  # pools are rebuilt from the seeds where needed
                if f.endswith(".pt"):
                    index, raw = encode_ckpt(load_ckpt(p), f[:-3])
                    _add(tar, rel + ".json", index)
                    _add(tar, rel + ".bin", raw)
                else:
                    tar.add(p, rel)
    data = buf.getvalue()
    step = int(part_mb * 1024 * 1024)
    paths = []
    for i in range(0, len(data), step):
        path = os.path.join(out, f"run.tgz.part{i // step:02d}")
        with open(path + ".tmp", "wb") as f:
            f.write(data[i:i + step])
        os.replace(path + ".tmp", path)
        paths.append(path)
    log("carry: packed", run=run, MB=len(data) / 1e6, parts=len(paths))
    return paths


def unpack(parts: str, run: str) -> Dict[str, int]:
    chunks = []
    for p in sorted(glob.glob(os.path.join(parts, "run.tgz.part*"))):
        with open(p, "rb") as f:
            chunks.append(f.read())
    if not chunks:
        raise SystemExit(f"no run.tgz.part* in {parts}: not a packed run (training.carry pack)")
    data = b"".join(chunks)
    os.makedirs(run, exist_ok=True)
    n = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        for name, m in members.items():
            if name.startswith("/") or ".." in name.split("/"):
                raise SystemExit(f"refusing to unpack {name!r} outside the run directory")
            if name.endswith(".pt.bin"):
                continue
            blob = tar.extractfile(m).read()  # type: ignore[union-attr]
            if name.endswith(".pt.json"):
                raw = tar.extractfile(members[name[:-5] + ".bin"]).read()  # type: ignore[union-attr]
                save_ckpt(os.path.join(run, name[:-5]), **decode_ckpt(blob, raw))
            else:
                os.makedirs(os.path.dirname(os.path.join(run, name)) or ".", exist_ok=True)
                with open(os.path.join(run, name), "wb") as f:
                    f.write(blob)
            n += 1
    log("carry: unpacked", run=run, files=n)
    return {"files": n, "bytes": len(data)}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack")
    pk.add_argument("--run", required=True)
    pk.add_argument("--out", required=True)
    pk.add_argument("--part-mb", type=float, default=15.0)
    up = sub.add_parser("unpack")
    up.add_argument("--parts", required=True)
    up.add_argument("--run", required=True)
    a = p.parse_args(argv)
    if a.cmd == "pack":
        pack(a.run, a.out, a.part_mb)
    else:
        unpack(a.parts, a.run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
