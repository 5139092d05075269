"""Tiny random-weight model packages for tests of the loader and services.

    /usr/bin/python3 -m training.fixture --out models/fixture-tiny
    /usr/bin/python3 -m training.fixture --out /tmp/ip2p --layout ip2p --timestep-shape one \
        --timestep-dtype int64 --input-ids-dtype int32 --external-data
    /usr/bin/python3 -m training.fixture --out /tmp/src --decoder-source   # decoder reads the source image

Same architecture code as the default model, tiny widths, random init (seeded), exact contract.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys

import numpy as np
import torch

from . import bpe, export
from . import tasks as T
from . import world as W
from .models import AutoEncoder, Config, TaskClassifier, TextEncoder, UNet


def build(out: str, opts: export.ExportOptions, seed: int = 0, merges_n: int = 200, check: bool = False,
          decoder_source: bool = False) -> None:
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
        emu = {"name": "fixture-tiny", "resolution": W.SIZE, "vae_scaling_factor": scaling,
               "task_embedding_dim": cfg.task_dim, "default_steps": 20, "default_guidance_scale": 2.5,
               "default_image_guidance_scale": 1.5, "tasks": "tasks/tasks.json",
               "task_classifier": "task_classifier/model.onnx"}
        export.write_package_meta(out, "emu", sched, emu, table)
    else:
        export.write_package_meta(out, "ip2p", sched)
    if check:
        from .verify import verify_package
        for name, diff in verify_package(out, te, unet, ae, clf if opts.layout == "emu" else None, opts).items():
            print(f"{name}: max abs diff {diff:.3g}")


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
    a = p.parse_args(argv)
    ip2p = a.layout == "ip2p"
    opts = export.ExportOptions(
        layout=a.layout,
        timestep_shape=a.timestep_shape or ("one" if ip2p else "batch"),
        timestep_dtype=a.timestep_dtype or ("int64" if ip2p else "float32"),
        input_ids_dtype=a.input_ids_dtype or ("int32" if ip2p else "int64"),
        external_data=a.external_data, fp16_weights=a.fp16_weights)
    build(a.out, opts, a.seed, check=a.check, decoder_source=a.decoder_source)
    print(f"wrote {a.out} ({export.dir_size(a.out) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
