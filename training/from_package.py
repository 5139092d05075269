"""Rebuild a training run (torch checkpoints) from an exported emu model package.

    /usr/bin/python3 -m training.from_package --package models/emu-edit-tiny --run training/runs/pkg

A clone of the repository has the committed package but not the run it came from (checkpoints are
never committed). This turns the package's ONNX weights back into vae.pt / unet.pt (the EMA weights
as both "ema" and "model"), the tokenizer and the scaling factor, so task inversion, evaluation and
further training work on the shipped model itself. The result is checked: the rebuilt torch models
must reproduce every ONNX graph of the package (max abs difference printed and bounded).

How the weights are found: torch's exporter keeps parameter names for most initializers, but
constant folding renames the transposed Linear weights (MatMul), the reshaped GroupNorm affine
parameters and the sliced position table. So a twin of the same architecture with distinct random
values is exported by the same code; each twin initializer is matched to the parameter whose values
it holds (as is, reshaped or transposed), and the package's initializer of the same name is copied
back through that map. A package from another exporter version fails with a clear message.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

from . import export
from .common import log, save_ckpt, write_json
from .editor import Editor
from .models import AutoEncoder, Config
from .verify import verify_package

MAX_ABS_DIFF = 1e-4  # fp32 weights round-trip exactly; anything above this is a wrong mapping
GRAPHS = ("text_encoder", "unet", "vae_encoder", "vae_decoder", "task_classifier")


def _read_graph(path: str) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """(initializer name -> fp32 array, graph input names); fp16-stored weights
    (export.weights_to_fp16) come back under their own name."""
    graph = onnx.load(path).graph
    out: Dict[str, np.ndarray] = {}
    for init in graph.initializer:
        name = init.name[:-5] if init.name.endswith("_fp16") else init.name
        out[name] = numpy_helper.to_array(init).astype(np.float32) if init.data_type in (
            onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16) else numpy_helper.to_array(init)
    return out, [i.name for i in graph.input]


def _package_graphs(pkg: str) -> Tuple[Dict[str, Dict[str, np.ndarray]], Dict[str, List[str]]]:
    """(graph -> its initializers, graph -> its input names), each file read once."""
    read = {g: _read_graph(os.path.join(pkg, g, "model.onnx")) for g in GRAPHS}
    return {g: r[0] for g, r in read.items()}, {g: r[1] for g, r in read.items()}


def infer_config(pkg: str, shipped: Dict[str, Dict[str, np.ndarray]], inputs: Dict[str, List[str]]) -> Config:
    """The architecture from initializer shapes (names the exporter keeps); attention heads leave
    no trace in the weights: rebuild() finds them by trial."""
    u, te, enc, dec = shipped["unet"], shipped["text_encoder"], shipped["vae_encoder"], shipped["vae_decoder"]
    with open(os.path.join(pkg, "tasks", "tasks.json"), encoding="utf-8") as f:
        tasks = json.load(f)
    # packages exported before task vectors hold the task MLP in the UNet graph and table rows in
    # tasks.json; later ones hold the task vectors there and no MLP
    legacy = "unet.task_tok.weight" in u
    try:
        vocab, text_dim = te["te.tok.weight"].shape
        layers = len({k.split(".")[2] for k in te if k.startswith("te.layers.")})
        cfg = Config(latent_channels=int(enc["ae.encoder.out.weight"].shape[0]),
                     vae_channels=(int(enc["ae.encoder.inp.weight"].shape[0]), int(enc["ae.encoder.down.weight"].shape[0])),
                     vocab_size=int(vocab), text_dim=int(text_dim), text_layers=layers,
                     unet_channels=(int(u["unet.inp.weight"].shape[0]), int(u["unet.d1.weight"].shape[0]),
                                    int(u["unet.d2.weight"].shape[0])),
                     task_dim=int(tasks["embedding_dim"]), num_tasks=len(tasks["tasks"]),
                     use_task=legacy or "task_embedding" in inputs["unet"],
                     task_mlp=legacy, unet_pos="unet.pos1" in u,
                     decoder_source="source_sample" in inputs["vae_decoder"],
                     decoder_refine=int(dec["ae.decoder.refine.0.weight"].shape[0]) if "ae.decoder.refine.0.weight" in dec else 0)
    except KeyError as e:
        raise ValueError(f"{pkg} was not exported by training/export.py (no initializer {e})") from None
    return cfg


def _randomize(m: nn.Module, seed: int) -> None:
    """Distinct values everywhere (the default init has zeros and ones, which would match anything)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g))


def _param_map(module: nn.Module, twin: Dict[str, np.ndarray]) -> Dict[str, Tuple[str, bool]]:
    """initializer name -> (parameter name, transposed) by value, for the twin export of `module`."""
    params = {n: p.detach().numpy() for n, p in module.named_parameters()}
    mapping: Dict[str, Tuple[str, bool]] = {}
    for iname, arr in twin.items():
        if not np.issubdtype(arr.dtype, np.floating):
            continue
        for pname, p in params.items():
            if arr.size != p.size:
                continue
            if np.array_equal(arr.reshape(p.shape), p):
                mapping[iname] = (pname, False)
                break
            if p.ndim == 2 and arr.ndim == 2 and np.array_equal(arr.T, p):
                mapping[iname] = (pname, True)
                break
    return mapping


def _load_graph(module: nn.Module, prefix: str, shipped: Dict[str, np.ndarray], twin: Dict[str, np.ndarray],
                graph: str) -> List[str]:
    mapping = _param_map(module, twin)
    missing = [n for n in twin if n not in shipped]
    if missing:
        raise ValueError(f"{graph}: package lacks initializers {missing[:3]}: not exported by this version of training/export.py")
    state = dict(module.named_parameters())
    done: List[str] = []
    with torch.no_grad():
        for iname, (pname, transposed) in mapping.items():
            arr = shipped[iname]
            if arr.shape != twin[iname].shape:
                raise ValueError(f"{graph}: {iname} has shape {arr.shape}, this architecture expects {twin[iname].shape}")
            val = torch.from_numpy(np.ascontiguousarray(arr.T if transposed else arr))
            state[pname].copy_(val.reshape(state[pname].shape))
            done.append(prefix + pname)
    return done


def _rebuild_with(pkg: str, shipped: Dict[str, Dict[str, np.ndarray]], cfg: Config,
                  seed: int) -> Tuple[Editor, AutoEncoder, float, Dict[str, float]]:
    editor, ae = Editor(cfg), AutoEncoder(cfg)
    _randomize(editor, seed)
    _randomize(ae, seed + 1)
    opts = export.ExportOptions(layout="emu", task_input="row" if cfg.task_mlp else "vector")
    with tempfile.TemporaryDirectory() as tmp:
        export.export_text_encoder(editor.text, tmp, opts)
        export.export_unet(editor.unet, tmp, opts)
        export.export_vae(ae, cfg, tmp, opts, 1.0)
        export.export_classifier(editor.classifier, cfg, tmp, opts)
        twins = _package_graphs(tmp)[0]
    loaded: List[str] = []
    loaded += _load_graph(editor.text, "text.", shipped["text_encoder"], twins["text_encoder"], "text_encoder")
    loaded += _load_graph(editor.unet, "unet.", shipped["unet"], twins["unet"], "unet")
    loaded += _load_graph(ae.encoder, "encoder.", shipped["vae_encoder"], twins["vae_encoder"], "vae_encoder")
    loaded += _load_graph(ae.decoder, "decoder.", shipped["vae_decoder"], twins["vae_decoder"], "vae_decoder")
    loaded += _load_graph(editor.classifier, "classifier.", shipped["task_classifier"], twins["task_classifier"],
                          "task_classifier")
    with open(os.path.join(pkg, "tasks", "tasks.json"), encoding="utf-8") as f:
        table = np.array([t["embedding"] for t in sorted(json.load(f)["tasks"], key=lambda t: t["id"])], np.float32)
    with torch.no_grad():
        editor.tasks.weight.copy_(torch.from_numpy(table))
    loaded.append("tasks.weight")
    expected = [p for p, _ in editor.named_parameters()] + [p for p, _ in ae.named_parameters()]
    unset = sorted(set(expected) - set(loaded))
    if unset:
        raise ValueError(f"no initializer in {pkg} holds {unset[:5]} ({len(unset)} parameters)")
    sf = float(_emu_meta(pkg)["vae_scaling_factor"])
    editor.eval()
    ae.eval()
    return editor, ae, sf, verify_package(pkg, editor.text, editor.unet, ae, editor.classifier, opts)


def _emu_meta(pkg: str) -> Dict[str, Any]:
    with open(os.path.join(pkg, "emuedit.json"), encoding="utf-8") as f:
        return json.load(f)


def _head_candidates(cfg: Config) -> List[int]:
    dims = [d for d in (1, 2, 4, 8, 16, 32) if cfg.text_dim % d == 0 and min(cfg.unet_channels) % d == 0]
    return sorted(set(dims), key=lambda d: (d != Config.text_heads, d))


def rebuild(pkg: str, seed: int = 0) -> Tuple[Editor, AutoEncoder, float, Dict[str, float]]:
    """-> (editor, autoencoder, scaling factor, max abs difference per graph vs the package).

    The number of attention heads leaves no trace in the weights: each candidate is tried (the
    default first) until the text encoder's and the UNet's outputs match the package's graphs."""
    shipped, inputs = _package_graphs(pkg)
    cfg = infer_config(pkg, shipped, inputs)
    heads: Dict[str, int] = {}
    last: Dict[str, float] = {}
    for h in _head_candidates(cfg):
        trial = dataclasses.replace(cfg, text_heads=heads.get("text_encoder", h), unet_heads=heads.get("unet", h))
        editor, ae, sf, last = _rebuild_with(pkg, shipped, trial, seed)
        for graph in ("text_encoder", "unet"):
            if graph not in heads and last[graph] <= MAX_ABS_DIFF:
                heads[graph] = h
        if max(last.values()) <= MAX_ABS_DIFF:
            return editor, ae, sf, last
    raise ValueError(f"rebuilt torch models disagree with {pkg}: {last} (max allowed {MAX_ABS_DIFF})")


def write_run(pkg: str, run: str) -> Dict[str, object]:
    editor, ae, sf, diffs = rebuild(pkg)
    cfg = dataclasses.asdict(editor.cfg)
    os.makedirs(run, exist_ok=True)
    save_ckpt(os.path.join(run, "vae.pt"), cfg=cfg, model=ae.state_dict(), finished=True, source=os.path.abspath(pkg))
    weights = editor.state_dict()
    # the package holds one set of weights (the EMA ones); they are both "model" and "ema" here, and
    # step 0 of this run: --init-from continues from them
    seeds = _emu_meta(pkg).get(export.POOL_SEEDS_KEY)
    extra = {} if seeds is None else {"pool_seeds": [int(x) for x in seeds]}  # absent: seed 0's (train_unet.pool_seeds)
    save_ckpt(os.path.join(run, "unet.pt"), cfg=cfg, model=weights, ema=weights, step=0, scaling_factor=sf,
              finished=True, budget=True, source=os.path.abspath(pkg), **extra)
    tok = os.path.join(run, "tokenizer")
    if os.path.exists(tok):
        shutil.rmtree(tok)
    shutil.copytree(os.path.join(pkg, "tokenizer"), tok)
    write_json(os.path.join(run, "vae_eval.json"), {"scaling_factor": sf, "source": os.path.abspath(pkg)})
    info = {"package": os.path.abspath(pkg), "config": cfg, "max_abs_diff": diffs}
    write_json(os.path.join(run, "from_package.json"), info)
    return info


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--package", required=True, help="an emu model package (e.g. models/emu-edit-tiny)")
    p.add_argument("--run", required=True, help="the run directory to write")
    a = p.parse_args(argv)
    info = write_run(a.package, a.run)
    for k, v in info["max_abs_diff"].items():  # type: ignore[union-attr]
        log(f"rebuilt {k} vs package", max_abs_diff=v)
    log("run written", run=a.run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
