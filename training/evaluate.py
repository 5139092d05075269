"""Edit success on the held-out split (scenes AND phrasings never trained on), per task.

    /usr/bin/python3 -m training.evaluate --run training/runs/default [--per-task 20] [--name unet]

Sampling: DDIM (trailing) with 3-way CFG, the package's defaults. The task is the explicit task
(the classifier is measured separately, on held-out phrasings).

`--ceiling` measures the run's autoencoder instead: the success of decode(encode(target)) per task,
the best any UNet can reach in its latent space (`--split val` to choose a decoder by it).

`--latents F.npz` keeps the UNet's sampled latents in F (sampled on the first run, read on the next):
two decoders of one UNet (training.finetune_decoder) are then compared on the very same latents in
seconds instead of sampling every edit again. F records what was sampled (split, edits, tasks,
phrasings, sampler) and from which UNet and encoder; any difference is refused.

`--skip K` samples only the scenes after the first K of every task (of `--per-task`): a
confirmation on scenes no choice saw, without sampling the seen ones again. Its starting noise
is its own (shared by every evaluation with the same arguments), so `training.compare` pairs it
only with another evaluation made with the same `--skip`.

`--split val --phrasings reworded` edits the val scenes with instructions in words that neither
split uses (tasks.CLASSIFIER_VAL), for the 13 tasks whose edits have no variant: how far the
model's reading of instructions carries beyond its training vocabulary (paired with the plain
val evaluation of the same tasks, scene for scene, by `training.compare`'s per-task counts).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from . import data as D
from . import diffusion as Df
from . import metrics as M
from . import tasks as T
from .common import files_sha256, log, setup, write_json
from .editor import Editor
from .models import AutoEncoder
from .train_unet import load_editor, load_vae, tokenizer
from .train_vae import ceiling_summary

# the sampler settings shipped in the package (emuedit.json) and used by every evaluation; chosen
# on the val split (docs/model-card.md, "Sampler settings")
DEFAULTS = {"steps": 20, "g_text": 1.5, "g_image": 1.5}


@torch.no_grad()
def edit(model: Editor, ae: AutoEncoder, sf: float, ids: torch.Tensor, empty_ids: torch.Tensor, inputs: np.ndarray,
         task_emb: torch.Tensor, steps: int = DEFAULTS["steps"], g_text: float = DEFAULTS["g_text"],
         g_image: float = DEFAULTS["g_image"], seed: int = 0,
         batch: int = 16) -> np.ndarray:
    """Edit uint8 images [N,64,64,3] with token ids [N,77] and task embeddings [N,E] -> uint8 outputs."""
    z = edit_latents(model, ae, sf, ids, empty_ids, inputs, task_emb, steps, g_text, g_image, seed, batch)
    return decode(ae, z, inputs, batch)


@torch.no_grad()
def decode(ae: AutoEncoder, z: torch.Tensor, sources: np.ndarray, batch: int = 64) -> np.ndarray:
    """Unscaled latents [N,C,16,16] -> uint8 images, the decoder given each edit's source image
    (read only by a decoder conditioned on it, models.Config.decoder_source)."""
    return np.concatenate([D.to_uint8(ae.decoder(z[i:i + batch], D.to_tensor(sources[i:i + batch])))
                           for i in range(0, len(z), batch)])


@torch.no_grad()
def edit_latents(model: Editor, ae: AutoEncoder, sf: float, ids: torch.Tensor, empty_ids: torch.Tensor,
                 inputs: np.ndarray, task_emb: torch.Tensor, steps: int = DEFAULTS["steps"],
                 g_text: float = DEFAULTS["g_text"], g_image: float = DEFAULTS["g_image"], seed: int = 0,
                 batch: int = 16) -> torch.Tensor:
    """The sampled latents of edit(), unscaled (what the decoder reads): [N,C,16,16]."""
    outs: List[torch.Tensor] = []
    g = torch.Generator().manual_seed(seed)
    un, _ = model.text(empty_ids[None])
    for i in range(0, len(inputs), batch):
        z = ae.encoder(D.to_tensor(inputs[i:i + batch]))
        b = z.shape[0]
        h, _ = model.text(ids[i:i + b])
        hid = torch.cat([h, un.expand(2 * b, -1, -1)])
        te = task_emb[i:i + b]
        te3 = torch.cat([te, te, te])
        x = Df.sample(lambda s, t: model.denoise(s, t, hid, te3), z, steps, g_text, g_image, g)
        outs.append(x / sf)
    return torch.cat(outs)


@torch.no_grad()
def task_accuracy(model: Editor, tok, texts: Dict[str, List[str]]) -> Dict[str, float]:
    """Task classifier accuracy per task on the given instructions (task name -> texts), and the mean."""
    res: Dict[str, float] = {}
    for name, ts in texts.items():
        _, pooled = model.text(torch.tensor([tok(s) for s in ts]))
        res[name] = float((model.classifier(pooled).argmax(-1) == T.TASK_INDEX[name]).float().mean())
    res["mean"] = float(np.mean(list(res.values())))
    return res


def classifier_accuracy(model: Editor, tok, per_task: int = 100, split: str = "test") -> Dict[str, float]:
    """Task classifier accuracy on instructions from the given split's phrasings (held-out by default)."""
    texts = {}
    for name in T.TASK_NAMES:
        rng = np.random.default_rng([5, T.TASK_INDEX[name]])
        texts[name] = [T.make_example(name, rng, split)[2] for _ in range(per_task)]
    return task_accuracy(model, tok, texts)


def load_edits(run: str, name: str, per_task: int, split: str, tasks: Optional[Sequence[str]],
               phrasings: Optional[str] = None, skip: int = 0):
    """The run's model, scaling factor, trained steps, autoencoder and tokenizer, and the split's
    edits with their token ids and task vectors: what every evaluation of edits starts from (the
    same scenes, phrasings and order for the same arguments). `skip` leaves out the first `skip`
    scenes of every task (skip_scenes)."""
    model, sf, trained_steps = load_editor(run, name)
    ae = load_vae(run)
    tok = tokenizer(run)
    pairs = skip_scenes(D.make_pairs(per_task, split, 0, tasks, phrasings=phrasings), per_task, skip)
    ids = torch.tensor([tok(s) for s in pairs.texts])
    emb = model.task_vectors(torch.from_numpy(pairs.task_ids))
    return model, sf, trained_steps, ae, tok, pairs, ids, emb


def skip_scenes(pairs: D.Pairs, per_task: int, skip: int) -> D.Pairs:
    """Every task's scenes after its first `skip` (make_pairs puts each task's scenes together, the
    first K of them the same for any larger count): a confirmation samples only the scenes no
    choice saw, instead of all of them again (96 new scenes per task after 336 cost 96/432 of
    sampling all 432). Its starting noise is its own, shared by every evaluation with the same
    arguments, so two models are still paired edit for edit."""
    if not 0 <= skip < per_task:
        raise ValueError(f"skip must be in [0, per_task) = [0, {per_task}), got {skip}")
    if skip == 0:
        return pairs
    keep = np.flatnonzero(np.arange(len(pairs)) % per_task >= skip)
    return D.Pairs(pairs.inputs[keep], pairs.targets[keep], [pairs.texts[i] for i in keep], pairs.task_ids[keep])


def latent_source(run: str, name: str, ae: AutoEncoder) -> str:
    """What sampled latents depend on besides the edits and the sampler: the UNet checkpoint and the
    encoder (the image latent it is conditioned on); a decoder's fine-tuning changes neither."""
    h = files_sha256([os.path.join(run, f"{name}.pt")])
    for k, v in sorted(ae.encoder.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def kept_latents(path: str, meta: Dict[str, object], sample) -> torch.Tensor:
    """The latents `sample()` returns, kept in `path` (an .npz) with `meta`: read back only for the
    same meta (the same edits, sampler, UNet and encoder)."""
    if os.path.exists(path):
        with np.load(path, allow_pickle=False) as got:
            saved = json.loads(str(got["meta"]))
            if saved != meta:
                diff = sorted(k for k in set(saved) | set(meta) if saved.get(k) != meta.get(k))
                raise ValueError(f"{path} holds the latents of another evaluation (differs in {', '.join(diff)}): "
                                 "use another file")
            return torch.from_numpy(got["z"])
    z = sample()
    tmp = path + ".tmp.npz"
    np.savez_compressed(tmp, z=z.numpy(), meta=json.dumps(meta, sort_keys=True))
    os.replace(tmp, path)
    return z


def evaluate(run: str, per_task: int = 20, name: str = "unet", steps: int = DEFAULTS["steps"],
             g_text: float = DEFAULTS["g_text"], g_image: float = DEFAULTS["g_image"], tasks: Optional[Sequence[str]] = None, device: str = "cpu",
             clf_per_task: int = 100, split: str = "test", phrasings: Optional[str] = None,
             latents: Optional[str] = None, skip: int = 0) -> Dict[str, object]:
    """split "val" (disjoint scenes, training phrasings) is for tuning sampler settings, so the
    held-out "test" numbers are not chosen on the test set. `phrasings` tasks.REWORDED: the same
    scenes with instructions in words neither split uses (data.make_pairs). `latents`: an .npz
    keeping the sampled latents (kept_latents). `skip` K: only the scenes after the first K
    of every task (skip_scenes)."""
    setup(device)
    t0 = time.time()
    model, sf, trained_steps, ae, tok, pairs, ids, emb = load_edits(run, name, per_task, split, tasks, phrasings, skip)

    def sample() -> torch.Tensor:
        return edit_latents(model, ae, sf, ids, torch.tensor(tok("")), pairs.inputs, emb, steps, g_text, g_image)
    if latents:
        meta = {"split": split, "per_task": per_task, "tasks": list(tasks) if tasks else None, "phrasings": phrasings,
                "sampler": {"steps": steps, "g_text": g_text, "g_image": g_image},
                "unet_and_encoder": latent_source(run, name, ae)}
        if skip:  # only then, so the latents kept before --skip existed are still read back
            meta["skip"] = skip
        z = kept_latents(latents, meta, sample)
    else:
        z = sample()
    out = decode(ae, z, pairs.inputs)
    rows: Dict[str, list] = defaultdict(list)
    for k in range(len(pairs)):
        task = T.TASK_NAMES[pairs.task_ids[k]]
        rows[task].append(M.score(task, pairs.inputs[k], pairs.targets[k], out[k]))
    per = M.summarize(rows)
    res: Dict[str, object] = {
        "checkpoint": name, "split": split, "phrasings": phrasings, "skip": skip, "trained_steps": trained_steps, "per_task": per, "sampler": {"steps": steps, "g_text": g_text, "g_image": g_image},
        "latents": latents,
        "mean_success": float(np.mean([v["success"] for v in per.values()])),
        "min_success": float(min(v["success"] for v in per.values())),
        "classifier": classifier_accuracy(model, tok, clf_per_task) if clf_per_task else None,
        # each edit's success in make_pairs order, so two evaluations can be compared edit by edit
        "edits": {task: [int(r["success"]) for r in rs] for task, rs in rows.items()},
        "seconds": time.time() - t0}
    np.savez_compressed(os.path.join(run, f"samples-{name}{'' if split == 'test' else '-' + split}.npz"), inputs=pairs.inputs[::max(1, per_task // 4)],
                        targets=pairs.targets[::max(1, per_task // 4)], outputs=out[::max(1, per_task // 4)])
    return res


def ceiling(run: str, per_task: int = 200, split: str = "test", tasks: Optional[Sequence[str]] = None) -> Dict[str, object]:
    setup("cpu")
    return dict(ceiling_summary(load_vae(run), D.make_pairs(per_task, split, 0, tasks)), split=split)


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--name", default="unet")
    p.add_argument("--per-task", type=int, default=20)
    p.add_argument("--steps", type=int, default=DEFAULTS["steps"])
    p.add_argument("--g-text", type=float, default=DEFAULTS["g_text"])
    p.add_argument("--g-image", type=float, default=DEFAULTS["g_image"])
    p.add_argument("--tasks", default=None, help="comma-separated subset")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None, help="json path (default RUN/eval-NAME.json)")
    p.add_argument("--split", default="test", choices=["test", "val"], help="val: for tuning the sampler settings")
    p.add_argument("--ceiling", action="store_true", help="the autoencoder's ceiling instead of edits")
    p.add_argument("--latents", default=None, metavar="F.npz",
                   help="keep the sampled latents in F (read back when F exists: another decoder of the same UNet)")
    p.add_argument("--skip", type=int, default=0, metavar="K",
                   help="sample only the scenes after the first K of every task (a confirmation on scenes "
                        "no choice saw; its noise is its own, so compare it only with the same --skip)")
    p.add_argument("--phrasings", choices=[T.REWORDED], default=None,
                   help="the split's scenes with instructions in words neither split uses (tasks.CLASSIFIER_VAL; "
                        "the tasks without variants only); with --split val")
    a = p.parse_args(argv)
    if a.phrasings and (a.split != "val" or a.ceiling):
        p.error("--phrasings goes with --split val and edits (not --ceiling)")
    if a.latents and (a.ceiling or not a.latents.endswith(".npz")):
        p.error("--latents F.npz goes with edits (not --ceiling) and names an .npz file")
    if not 0 <= a.skip < a.per_task or (a.skip and a.ceiling):
        p.error(f"--skip K needs 0 <= K < --per-task ({a.per_task}) and edits (not --ceiling)")
    tasks = a.tasks.split(",") if a.tasks else None
    if a.phrasings and tasks:
        try:  # before the model is loaded
            T.check_reworded(tasks)
        except ValueError as e:
            p.error(str(e))
    if a.ceiling:
        res = ceiling(a.run, a.per_task, a.split, tasks)
        write_json(a.out or os.path.join(a.run, f"ceiling-{a.split}.json"), res)
        for k, v in res["per_task"].items():  # type: ignore[union-attr]
            log(f"ceiling {k}", success=v["success"], psnr_in=v["psnr_in"], psnr_out=v["psnr_out"])
        log("ceiling", mean=res["mean_success"], min=res["min_success"])
        return 0
    try:
        res = evaluate(a.run, a.per_task, a.name, a.steps, a.g_text, a.g_image, tasks, a.device,
                       clf_per_task=0 if a.split == "val" else 100, split=a.split, phrasings=a.phrasings,
                       latents=a.latents, skip=a.skip)
    except ValueError as e:  # kept latents of another evaluation
        p.error(str(e))
    write_json(a.out or os.path.join(a.run, f"eval-{a.name}.json"), res)
    for k, v in res["per_task"].items():  # type: ignore[union-attr]
        log(f"eval {k}", success=v["success"], psnr_in=v["psnr_in"], psnr_out=v["psnr_out"], l1_out=v["l1_out"])
    log("eval", mean=res["mean_success"], min=res["min_success"],
        classifier=(res["classifier"] or {}).get("mean", -1.0))  # type: ignore[union-attr]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
