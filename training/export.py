"""ONNX export of the four models and writing of a model package (docs: docs/model-package.md)."""
from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

from .models import AutoEncoder, Config, TaskClassifier, TextEncoder, UNet, task_vector_dim

OPSET = 14
DIFFUSERS_VERSION = "0.25.0"


@dataclasses.dataclass
class ExportOptions:
    layout: str = "emu"                 # "emu" | "ip2p" (InstructPix2Pix-style user export)
    timestep_shape: str = "batch"       # "batch" [B] | "one" [1] | "scalar" []
    timestep_dtype: str = "float32"     # "float32" | "int64"
    input_ids_dtype: str = "int64"      # "int64" | "int32"
    external_data: bool = False         # weights in model.onnx_data next to model.onnx
    fp16_weights: bool = False          # fp16-stored weights, fp32 compute (graph I/O stays f32)
    # the UNet's task_embedding input: "vector" (task vectors [B,E], models.task_vector_dim) or
    # "row" (table rows [B,task_dim] through the task MLP inside the graph: the layout packages had
    # before task vectors; from_package exports it to read such packages back, the test fixture keeps it)
    task_input: str = "vector"
    # symbolic height/width on every spatial axis (UNet sample/out_sample, VAE encoder and decoder
    # images and latents), as real InstructPix2Pix exports have: the package runs at any size the
    # architecture accepts (models.py: multiples of 16 px). Off: the axes stay static at the
    # export sizes (64x64 px, 16x16 latents), as every package had before the option.
    dynamic_spatial: bool = False


# the symbolic axis names of a dynamic_spatial export: pixels, latent cells
PIXEL_AXES = {2: "height", 3: "width"}
LATENT_AXES = {2: "latent_height", 3: "latent_width"}


def _axes(opts: ExportOptions, spatial: Dict[int, str]) -> Dict[int, str]:
    """The dynamic axes of an image or latent tensor: batch, and height/width when dynamic_spatial."""
    return {0: "batch", **spatial} if opts.dynamic_spatial else {0: "batch"}


def task_input_dim(cfg: Config, opts: ExportOptions) -> int:
    return cfg.task_dim if opts.task_input == "row" else task_vector_dim(cfg)


class _TextWrap(nn.Module):
    def __init__(self, te: TextEncoder):
        super().__init__()
        self.te = te

    def forward(self, input_ids: torch.Tensor):
        return self.te(input_ids)


class _UNetWrap(nn.Module):
    def __init__(self, unet: UNet, with_task: bool, ts_shape: str, task_input: str = "vector"):
        super().__init__()
        self.unet, self.with_task, self.ts_shape, self.task_input = unet, with_task, ts_shape, task_input

    def forward(self, sample, timestep, encoder_hidden_states, task_embedding=None):
        t = timestep.to(torch.float32).reshape(-1)
        if self.ts_shape != "batch":
            t = t.expand(sample.shape[0])
        return unet_graph_forward(self.unet, self.with_task, self.task_input, sample, t, encoder_hidden_states,
                                  task_embedding)


def unet_graph_forward(unet: UNet, with_task: bool, task_input: str, sample: torch.Tensor, t: torch.Tensor,
                       ctx: torch.Tensor, task_embedding: Optional[torch.Tensor]) -> torch.Tensor:
    """What the exported UNet graph computes from its inputs (verify.py checks the graph against it)."""
    if not with_task:
        return unet(sample, t, ctx)
    if task_input == "row":
        return unet(sample, t, ctx, task_row=task_embedding)
    return unet(sample, t, ctx, task_embedding)


class _EncWrap(nn.Module):
    def __init__(self, ae: AutoEncoder, params: bool):
        super().__init__()
        self.ae, self.params = ae, params

    def forward(self, sample):
        z = self.ae.encoder(sample)
        if self.params:
            # deterministic autoencoder: mean ++ a very small constant logvar
            return torch.cat([z, torch.full_like(z, -30.0)], dim=1)
        return z


class _DecWrap(nn.Module):
    def __init__(self, ae: AutoEncoder):
        super().__init__()
        self.ae = ae

    def forward(self, latent_sample, source_sample=None):
        return self.ae.decoder(latent_sample, source_sample)


def _save(model: onnx.ModelProto, path: str, opts: ExportOptions) -> None:
    if opts.fp16_weights:
        model = weights_to_fp16(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if opts.external_data:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx_data", size_threshold=0)
    else:
        onnx.save_model(model, path)
    onnx.checker.check_model(path)


def _export(module: nn.Module, args: tuple, path: str, inputs: List[str], outputs: List[str],
            dynamic: Dict[str, Dict[int, str]], opts: ExportOptions,
            static_outputs: Optional[Dict[str, List[int]]] = None) -> None:
    """static_outputs: output name -> its shape, for the axes not in `dynamic` that the exporter's
    shape inference left symbolic (the serving loader reads the VAE's scale factor from static
    decoder dims)."""
    module.eval()
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # newer torch defaults to the dynamo exporter, whose graphs and initializer names differ;
    # one exporter everywhere keeps packages (and from_package's name matching) alike
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(module, args, tmp, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, **legacy)
    model = onnx.load(tmp)
    os.remove(tmp)
    for out in model.graph.output:
        for axis, size in enumerate((static_outputs or {}).get(out.name, [])):
            if axis not in dynamic.get(out.name, {}):
                out.type.tensor_type.shape.dim[axis].dim_value = size
    _save(model, path, opts)


def weights_to_fp16(model: onnx.ModelProto, min_size: int = 256) -> onnx.ModelProto:
    """Store large float32 initializers as float16 with a Cast back to float32 (fp32 compute)."""
    graph = model.graph
    casts = []
    for init in list(graph.initializer):
        if init.data_type != onnx.TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_size:
            continue
        name = init.name
        half = numpy_helper.from_array(arr.astype(np.float16), name + "_fp16")
        graph.initializer.remove(init)
        graph.initializer.append(half)
        casts.append(onnx.helper.make_node("Cast", [name + "_fp16"], [name], to=onnx.TensorProto.FLOAT,
                                           name=name + "_cast"))
    for i, node in enumerate(casts):
        graph.node.insert(i, node)
    return model


def export_text_encoder(te: TextEncoder, out: str, opts: ExportOptions) -> None:
    dt = torch.int32 if opts.input_ids_dtype == "int32" else torch.int64
    ids = torch.zeros(2, 77, dtype=dt)
    _export(_TextWrap(te), (ids,), os.path.join(out, "text_encoder", "model.onnx"), ["input_ids"],
            ["last_hidden_state", "pooler_output"],
            {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}}, opts)


def export_unet(unet: UNet, out: str, opts: ExportOptions) -> None:
    cfg = unet.cfg
    if opts.task_input == "vector" and hasattr(unet, "task_t"):
        # the graph takes task vectors, so the task MLP is not in it; a module without it also
        # numbers the graph's unnamed initializers as a rebuilt model does (from_package matches them)
        unet = copy.deepcopy(unet)
        del unet.task_t, unet.task_tok
    with_task = opts.layout == "emu" and cfg.use_task
    b = 2
    sample = torch.randn(b, 2 * cfg.latent_channels, 16, 16)
    tdt = torch.int64 if opts.timestep_dtype == "int64" else torch.float32
    ts = {"batch": torch.full((b,), 500, dtype=tdt), "one": torch.full((1,), 500, dtype=tdt),
          "scalar": torch.tensor(500, dtype=tdt)}[opts.timestep_shape]
    ctx = torch.randn(b, 77, cfg.text_dim)
    names = ["sample", "timestep", "encoder_hidden_states"]
    args: tuple = (sample, ts, ctx)
    dyn: Dict[str, Dict[int, str]] = {"sample": _axes(opts, LATENT_AXES), "encoder_hidden_states": {0: "batch"},
                                      "out_sample": _axes(opts, LATENT_AXES)}
    if opts.timestep_shape == "batch":
        dyn["timestep"] = {0: "batch"}
    if with_task:
        names.append("task_embedding")
        args = args + (torch.randn(b, task_input_dim(cfg, opts)),)
        dyn["task_embedding"] = {0: "batch"}
    _export(_UNetWrap(unet, with_task, opts.timestep_shape, opts.task_input), args, os.path.join(out, "unet", "model.onnx"),
            names, ["out_sample"], dyn, opts)


def export_vae(ae: AutoEncoder, cfg: Config, out: str, opts: ExportOptions, scaling_factor: float, resolution: int = 64) -> None:
    params = opts.layout == "ip2p"
    oname = "latent_parameters" if params else "latent_sample"
    x = torch.zeros(2, 3, resolution, resolution)
    pix, lat = _axes(opts, PIXEL_AXES), _axes(opts, LATENT_AXES)
    _export(_EncWrap(ae, params), (x,), os.path.join(out, "vae_encoder", "model.onnx"), ["sample"], [oname],
            {"sample": pix, oname: lat}, opts)
    z = torch.zeros(2, cfg.latent_channels, resolution // 4, resolution // 4)
    if ae.decoder.takes_source:
        # the serving contract's optional decoder input (packages/model-package/README.md): the edit's source
        # image, in the encoder's `sample` format
        _export(_DecWrap(ae), (z, x), os.path.join(out, "vae_decoder", "model.onnx"), ["latent_sample", "source_sample"],
                ["sample"], {"latent_sample": lat, "source_sample": pix, "sample": pix}, opts,
                static_outputs={"sample": list(x.shape)})
    else:
        _export(_DecWrap(ae), (z,), os.path.join(out, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"],
                {"latent_sample": lat, "sample": pix}, opts)
    vae_cfg = {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION, "in_channels": 3,
               "out_channels": 3, "latent_channels": cfg.latent_channels, "sample_size": resolution,
               "scaling_factor": scaling_factor}
    for sub in ("vae_encoder", "vae_decoder"):
        _write_json(os.path.join(out, sub, "config.json"), vae_cfg)


def export_classifier(clf: TaskClassifier, cfg: Config, out: str, opts: ExportOptions) -> None:
    _export(clf, (torch.randn(2, cfg.text_dim),), os.path.join(out, "task_classifier", "model.onnx"),
            ["pooled_output"], ["logits"], {"pooled_output": {0: "batch"}, "logits": {0: "batch"}}, opts)


def _write_json(path: str, obj: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def euler_ancestral_config() -> Dict[str, Any]:
    return {"_class_name": "EulerAncestralDiscreteScheduler", "_diffusers_version": DIFFUSERS_VERSION,
            "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "prediction_type": "epsilon", "steps_offset": 1, "timestep_spacing": "linspace", "trained_betas": None}


def ddim_vpred_config() -> Dict[str, Any]:
    """The default model's schedule: v-prediction, zero terminal SNR, trailing DDIM steps."""
    return {"_class_name": "DDIMScheduler", "_diffusers_version": DIFFUSERS_VERSION,
            "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "prediction_type": "v_prediction", "rescale_betas_zero_snr": True, "timestep_spacing": "trailing",
            "steps_offset": 1, "clip_sample": False, "set_alpha_to_one": False, "thresholding": False,
            "trained_betas": None}


# emuedit.json (ours only): the train_unet --seed of every pool the UNet trained on
# (train_unet.pool_seeds), written by training.package and read back by training.from_package
POOL_SEEDS_KEY = "training_pool_seeds"


def write_package_meta(out: str, layout: str, scheduler: Dict[str, Any], emu: Optional[Dict[str, Any]] = None,
                       tasks: Optional[Dict[str, Any]] = None) -> None:
    index: Dict[str, Any] = {
        "_class_name": "EmuEditPipeline" if layout == "emu" else "StableDiffusionInstructPix2PixPipeline",
        "_diffusers_version": DIFFUSERS_VERSION,
        "scheduler": ["diffusers", scheduler["_class_name"]],
        "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
        "safety_checker": [None, None],
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
    }
    _write_json(os.path.join(out, "model_index.json"), index)
    _write_json(os.path.join(out, "scheduler", "scheduler_config.json"), scheduler)
    if emu is not None:
        _write_json(os.path.join(out, "emuedit.json"), emu)
    if tasks is not None:
        _write_json(os.path.join(out, "tasks", "tasks.json"), tasks)


def tasks_table(names: Sequence[str], groups: Sequence[str], descriptions: Sequence[str],
                examples: Sequence[Sequence[str]], embeddings: np.ndarray) -> Dict[str, Any]:
    return {"embedding_dim": int(embeddings.shape[1]), "tasks": [
        {"id": i, "name": n, "group": g, "description": d, "examples": list(ex),
         "embedding": [float(v) for v in embeddings[i].astype(np.float32)]}
        for i, (n, g, d, ex) in enumerate(zip(names, groups, descriptions, examples))]}


def dir_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)
