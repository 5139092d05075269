"""The trainable editing model: text encoder + task embeddings + UNet + task classifier."""
from __future__ import annotations

import copy
from typing import Optional

import torch
import torch.nn as nn

from .models import Config, TaskClassifier, TextEncoder, UNet, task_vector_dim


class Editor(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.text = TextEncoder(cfg)
        self.unet = UNet(cfg)
        if not cfg.task_mlp and cfg.task_dim != task_vector_dim(cfg):
            raise ValueError(f"a table of task vectors needs task_dim {task_vector_dim(cfg)}, got {cfg.task_dim}")
        self.tasks = nn.Embedding(cfg.num_tasks, cfg.task_dim)
        nn.init.normal_(self.tasks.weight, std=1.0)
        self.classifier = TaskClassifier(cfg)

    def task_vectors(self, ids: Optional[torch.Tensor] = None, noise: Optional[torch.Tensor] = None) -> torch.Tensor:
        """What the UNet takes for tasks `ids` (all of them when None): [B,E]. `noise` is added to the
        table rows first (train_unet --task-noise)."""
        rows = self.tasks.weight if ids is None else self.tasks(ids)
        if noise is not None:
            rows = rows + noise
        return self.unet.task_vector(rows) if self.cfg.use_task and self.cfg.task_mlp else rows

    def denoise(self, sample: torch.Tensor, t: torch.Tensor, hidden: torch.Tensor,
                task_vec: Optional[torch.Tensor]) -> torch.Tensor:
        return self.unet(sample, t, hidden, task_vec if self.cfg.use_task else None)


class EMA:
    """Exponential moving average of a module's parameters (warm-up: decay grows with steps)."""

    def __init__(self, model: nn.Module, decay: float = 0.999):
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))
        # frozen parameters are left out: x * d + x * (1 - d) is not always x in floating point, and
        # a frozen part (e.g. the text encoder under --freeze-text) must stay byte for byte as it was
        pairs = [(e, p) for e, p in zip(self.model.parameters(), model.parameters()) if p.requires_grad]
        ema_p = [e for e, _ in pairs]
        # one fused kernel per op over all tensors, not two launches per parameter (matters on a GPU)
        torch._foreach_mul_(ema_p, d)
        torch._foreach_add_(ema_p, [p.detach() for _, p in pairs], alpha=1 - d)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)
