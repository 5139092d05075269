"""Tiny random-weight model packages for tests of the loader and services.

    /usr/bin/python3 -m training.fixture --out models/fixture-tiny
    /usr/bin/python3 -m training.fixture --out /tmp/ip2p --layout ip2p --timestep-shape one \
        --timestep-dtype int64 --input-ids-dtype int32 --external-data
    /usr/bin/python3 -m training.fixture --out /tmp/src --decoder-source   # decoder reads the source image
    /usr/bin/python3 -m training.fixture --out models/fixture-dynamic --decoder-source --dynamic-spatial

Same architecture code as the default model, tiny widths, random init (seeded), exact contract.
models/fixture-tiny was made with --decoder-source. --dynamic-spatial (models/fixture-dynamic) gives
the same weights with symbolic height/width on every image and latent axis, as real
InstructPix2Pix exports have: the package runs at any image whose sides are multiples of 16 px
(SPATIAL_MULTIPLE), and its emuedit.json states vae_scale_factor, which static decoder dims no
longer tell the loader.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from typing import Dict, Sequence, Tuple

import numpy as np
import torch

from . import bpe, export
from . import tasks as T
from . import world as W
from .models import AutoEncoder, Config, TaskClassifier, TextEncoder, UNet
from .verify import unet_vae_diffs, verify_package

# pixels per latent cell: the encoder's 2x2 space-to-depth, then one stride-2 convolution
VAE_SCALE_FACTOR = 4
# image sides a dynamic-spatial package accepts are multiples of this many pixels: the UNet halves
# its latent twice (16 -> 8 -> 4 cells at 64 px) and concatenates each upsampled level with the skip
# of the level above, so a latent side must be a multiple of 4 cells (an odd side at either level
# gives mismatched skip shapes). The VAE alone takes multiples of 4 px, the decoder's source
# branches included (space-to-depth by 4 and 2 of a side that is 4 x the latent's).
SPATIAL_MULTIPLE = 16
# (height, width) in pixels at which --check compares a dynamic-spatial package with torch
CHECK_SIZES = ((64, 64), (96, 64), (64, 128), (16, 48))


def build(out: str, opts: export.ExportOptions, seed: int = 0, merges_n: int = 200, check: bool = False,
          decoder_source: bool = False) -> Dict[str, torch.nn.Module]:
    """Writes the package to `out`; returns its torch modules (text_encoder, unet, ae, classifier)."""
    torch.manual_seed(seed)
    # the UNet maps 16-d table rows inside its graph (the layout packages had before task vectors):
    # the services see one input task_embedding [B,E] either way, and the tests' feeds stay as they are
    opts = dataclasses.replace(opts, task_input="row")
    merges = bpe.learn_bpe(T.corpus("train"), merges_n)
    tok = bpe.ClipTokenizer.from_merges(merges)
    cfg = Config.tiny(tok.vocab_size)
    cfg.use_task = opts.layout == "emu"
    ae, te, unet, clf = AutoEncoder(cfg), TextEncoder(cfg), UNet(cfg), TaskClassifier(cfg)
    # the output conv starts at zero for training; give the fixture non-trivial outputs
    torch.nn.init.normal_(unet.out.weight, std=0.05)
    if decoder_source:
        # grown after everything else is drawn, from its own seed: the other graphs stay those of
        # the plain fixture; the branches' last convs get weights so the source changes the output
        grown = AutoEncoder(dataclasses.replace(cfg, decoder_source=True))
        grown.load_state_dict(ae.state_dict(), strict=False)
        g = torch.Generator().manual_seed(seed + 7)
        with torch.no_grad():
            for br in (grown.decoder.src16, grown.decoder.src32):
                br[2].weight.copy_(torch.randn(br[2].weight.shape, generator=g) * 0.05)
        ae = grown
    for m in (ae, te, unet, clf):
        m.eval()
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    tok.save(os.path.join(out, "tokenizer"), merges)
    if opts.layout == "emu":
        rng = np.random.default_rng(seed)
        imgs = np.stack([W.render(W.random_scene(rng)) for _ in range(64)])
        x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 127.5 - 1
        with torch.no_grad():
            scaling = float(1.0 / ae.encoder(x).std())
    else:
        scaling = 0.18215
    export.export_text_encoder(te, out, opts)
    export.export_unet(unet, out, opts)
    export.export_vae(ae, cfg, out, opts, scaling)
    sched = export.euler_ancestral_config()
    if opts.layout == "emu":
        export.export_classifier(clf, cfg, out, opts)
        emb = np.random.default_rng(seed + 1).standard_normal((len(T.TASKS), cfg.task_dim)).astype(np.float32)
        table = export.tasks_table(T.TASK_NAMES, [t.group for t in T.TASKS], [t.description for t in T.TASKS],
                                   [T.task_examples(t.name) for t in T.TASKS], emb)
        emu = {"name": "fixture-dynamic" if opts.dynamic_spatial else "fixture-tiny", "resolution": W.SIZE,
               "vae_scaling_factor": scaling, "task_embedding_dim": cfg.task_dim, "default_steps": 20,
               "default_guidance_scale": 2.5, "default_image_guidance_scale": 1.5, "tasks": "tasks/tasks.json",
               "task_classifier": "task_classifier/model.onnx"}
        if opts.dynamic_spatial:
            # the loader reads the scale factor from static decoder dims otherwise
            emu["vae_scale_factor"] = VAE_SCALE_FACTOR
        export.write_package_meta(out, "emu", sched, emu, table)
    else:
        export.write_package_meta(out, "ip2p", sched)
    if check:
        for name, diff in verify_package(out, te, unet, ae, clf if opts.layout == "emu" else None, opts).items():
            print(f"{name}: max abs diff {diff:.3g}")
        if opts.dynamic_spatial:
            for name, diff in verify_sizes(out, unet, ae, opts, CHECK_SIZES, seed).items():
                print(f"{name}: max abs diff {diff:.3g}")
    return {"text_encoder": te, "unet": unet, "ae": ae, "classifier": clf}


def verify_sizes(out: str, unet: UNet, ae: AutoEncoder, opts: export.ExportOptions,
                 sizes: Sequence[Tuple[int, int]], seed: int = 0) -> Dict[str, float]:
    """ONNX-vs-torch max abs difference of the UNet and the VAE graphs at each (height, width) in
    pixels ("unet@96x64", ...): a dynamic-spatial package's graphs at sizes other than the export's.
    opts: those the package was exported with (build's: task_input "row"). Needs onnxruntime
    (ort.run); the text encoder and classifier do not depend on the image size
    (verify.verify_package checks them)."""
    g = torch.Generator().manual_seed(seed)
    cfg, b = unet.cfg, 2
    diffs: Dict[str, float] = {}
    for hp, wp in sizes:
        if hp % SPATIAL_MULTIPLE or wp % SPATIAL_MULTIPLE:
            raise ValueError(f"{hp}x{wp} px: image sides must be multiples of {SPATIAL_MULTIPLE}")
        x = torch.randn(b, 2 * cfg.latent_channels, hp // VAE_SCALE_FACTOR, wp // VAE_SCALE_FACTOR, generator=g)
        ctx = torch.randn(b, 77, cfg.text_dim, generator=g)
        task = torch.randn(b, export.task_input_dim(cfg, opts), generator=g)
        diffs.update(unet_vae_diffs(out, unet, ae, opts, g, x, torch.tensor([999.0, 250.0]), ctx, task, (hp, wp), f"@{hp}x{wp}"))
    return diffs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--layout", choices=["emu", "ip2p"], default="emu")
    p.add_argument("--timestep-shape", choices=["batch", "one", "scalar"], default=None,
                   help="default: batch for emu, one for ip2p")
    p.add_argument("--timestep-dtype", choices=["float32", "int64"], default=None,
                   help="default: float32 for emu, int64 for ip2p")
    p.add_argument("--input-ids-dtype", choices=["int32", "int64"], default=None,
                   help="default: int64 for emu, int32 for ip2p")
    p.add_argument("--external-data", action="store_true", help="weights in model.onnx_data files")
    p.add_argument("--fp16-weights", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--check", action="store_true", help="compare every ONNX graph with torch (onnxruntime)")
    p.add_argument("--decoder-source", action="store_true",
                   help="a decoder conditioned on the source image (vae_decoder input source_sample)")
    p.add_argument("--dynamic-spatial", action="store_true",
                   help=f"symbolic height/width on every image and latent axis (sides: multiples of {SPATIAL_MULTIPLE} px)")
    a = p.parse_args(argv)
    ip2p = a.layout == "ip2p"
    if ip2p and a.dynamic_spatial:
        # without emuedit.json the loader would take diffusers' default scale factor 8 (ours is 4)
        p.error("--dynamic-spatial needs --layout emu: emuedit.json carries its vae_scale_factor")
    opts = export.ExportOptions(
        layout=a.layout,
        timestep_shape=a.timestep_shape or ("one" if ip2p else "batch"),
        timestep_dtype=a.timestep_dtype or ("int64" if ip2p else "float32"),
        input_ids_dtype=a.input_ids_dtype or ("int32" if ip2p else "int64"),
        external_data=a.external_data, fp16_weights=a.fp16_weights, dynamic_spatial=a.dynamic_spatial)
    build(a.out, opts, a.seed, check=a.check, decoder_source=a.decoder_source)
    print(f"wrote {a.out} ({export.dir_size(a.out) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
