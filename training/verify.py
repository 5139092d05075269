"""ONNX-vs-torch agreement of an exported package (max abs difference per graph)."""
from __future__ import annotations

import os
from typing import Dict, Optional, Tuple

import numpy as np
import torch

from . import ort
from .export import ExportOptions, task_input_dim, unet_graph_forward
from .models import AutoEncoder, TaskClassifier, TextEncoder, UNet


def verify_package(out: str, te: TextEncoder, unet: UNet, ae: AutoEncoder, clf: Optional[TaskClassifier],
                   opts: ExportOptions, seed: int = 0) -> Dict[str, float]:
    g = torch.Generator().manual_seed(seed)
    cfg = unet.cfg
    b = 3
    diffs: Dict[str, float] = {}
    ids = torch.randint(0, cfg.vocab_size - 1, (b, 77), generator=g)
    ids[:, 0] = cfg.vocab_size - 2
    ids[:, 9:] = cfg.vocab_size - 1
    with torch.no_grad():
        h, pooled = te(ids)
    r = ort.run(os.path.join(out, "text_encoder", "model.onnx"),
                {"input_ids": ids.numpy().astype(np.int32 if opts.input_ids_dtype == "int32" else np.int64)})
    diffs["text_encoder"] = max(float(np.abs(r["last_hidden_state"] - h.numpy()).max()),
                                float(np.abs(r["pooler_output"] - pooled.numpy()).max()))
    x = torch.randn(b, 2 * cfg.latent_channels, 16, 16, generator=g)
    t = torch.tensor([999.0, 500.0, 1.0])
    task = torch.randn(b, task_input_dim(cfg, opts), generator=g)
    diffs.update(unet_vae_diffs(out, unet, ae, opts, g, x, t, h, task, (64, 64)))
    if clf is not None:
        with torch.no_grad():
            logits = clf(pooled)
        r = ort.run(os.path.join(out, "task_classifier", "model.onnx"), {"pooled_output": pooled.numpy()})
        diffs["task_classifier"] = float(np.abs(r["logits"] - logits.numpy()).max())
    return diffs


def unet_vae_diffs(out: str, unet: UNet, ae: AutoEncoder, opts: ExportOptions, g: torch.Generator, x: torch.Tensor,
                   t: torch.Tensor, ctx: torch.Tensor, task: torch.Tensor, pixels: Tuple[int, int],
                   tag: str = "") -> Dict[str, float]:
    """The UNet at sample x (timesteps t, context ctx, task rows), then the VAE on random images of
    `pixels` (height, width) drawn from g: max abs difference ONNX vs torch, keyed "unet"+tag, ..."""
    cfg, b = unet.cfg, x.shape[0]
    diffs: Dict[str, float] = {}
    with_task = opts.layout == "emu" and cfg.use_task
    if opts.timestep_shape != "batch":
        t = t[:1].expand(b)
    with torch.no_grad():
        ref = unet_graph_forward(unet, with_task, opts.task_input, x, t, ctx, task)
    tnp = t.numpy().astype(np.int64 if opts.timestep_dtype == "int64" else np.float32)
    tnp = {"batch": tnp, "one": tnp[:1], "scalar": tnp[0].reshape(())}[opts.timestep_shape]
    feeds = {"sample": x.numpy(), "timestep": tnp, "encoder_hidden_states": ctx.numpy()}
    if with_task:
        feeds["task_embedding"] = task.numpy()
    r = ort.run(os.path.join(out, "unet", "model.onnx"), feeds)
    diffs["unet" + tag] = float(np.abs(r["out_sample"] - ref.numpy()).max())
    hp, wp = pixels
    img = torch.rand(b, 3, hp, wp, generator=g) * 2 - 1
    src = torch.rand(b, 3, hp, wp, generator=g) * 2 - 1 if ae.decoder.takes_source else None
    with torch.no_grad():
        z = ae.encoder(img)
        dec = ae.decoder(z, src)
    r = ort.run(os.path.join(out, "vae_encoder", "model.onnx"), {"sample": img.numpy()})
    lat = r.get("latent_sample")
    if lat is None:
        lat = r["latent_parameters"][:, : cfg.latent_channels]
    diffs["vae_encoder" + tag] = float(np.abs(lat - z.numpy()).max())
    feeds = {"latent_sample": z.numpy()}
    if src is not None:
        feeds["source_sample"] = src.numpy()
    r = ort.run(os.path.join(out, "vae_decoder", "model.onnx"), feeds)
    diffs["vae_decoder" + tag] = float(np.abs(r["sample"] - dec.numpy()).max())
    return diffs
