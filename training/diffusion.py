"""Noise schedule (scaled_linear, rescaled to zero terminal SNR), v-prediction targets, and the
DDIM sampler with InstructPix2Pix's 3-way classifier-free guidance (diffusers numerics)."""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import numpy as np
import torch

T_TRAIN = 1000


def alphas_cumprod(zero_snr: bool = True) -> torch.Tensor:
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T_TRAIN, dtype=torch.float64) ** 2
    ab = torch.cumprod(1.0 - betas, 0)
    if zero_snr:
        # diffusers.rescale_zero_terminal_snr: shift/scale sqrt(alpha_bar) so the last step is 0
        s = ab.sqrt()
        s0, sT = s[0].clone(), s[-1].clone()
        s = (s - sT) * s0 / (s0 - sT)
        ab = s ** 2
        alphas = torch.cat([ab[:1], ab[1:] / ab[:-1]])
        betas = 1 - alphas
        ab = torch.cumprod(1.0 - betas, 0)
    return ab.float()


def cfg_drop(r: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(drop_text, drop_image) row masks from uniform draws r in [0, 1): InstructPix2Pix's dropout
    for 3-way guidance, 5% of rows without text, 5% without image, 5% without both. Every training
    of the UNet's conditioning (train_unet, refine_task, text_robust) uses it, since sampling reads
    the conditioning in all three branches."""
    return (r < 0.05) | ((r >= 0.10) & (r < 0.15)), (r >= 0.05) & (r < 0.15)


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, ab: torch.Tensor):
    a = ab[t].view(-1, 1, 1, 1)
    xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
    v = a.sqrt() * noise - (1 - a).sqrt() * x0
    return xt, v


def ddim_timesteps(steps: int) -> np.ndarray:
    """diffusers' "trailing" spacing."""
    return (np.round(np.arange(T_TRAIN, 0, -T_TRAIN / steps)) - 1).astype(np.int64)


@torch.no_grad()
def sample(model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], img_latent: torch.Tensor, steps: int = 20,
           g_text: float = 2.5, g_image: float = 1.5, generator: Optional[torch.Generator] = None,
           ab: Optional[torch.Tensor] = None, start: int = 0, x_init: Optional[torch.Tensor] = None) -> torch.Tensor:
    """model(sample[3B,2C,h,w], t[3B]) -> v[3B,C,h,w], rows ordered (text+image, image, neither).

    Returns the scaled latent x0 [B,C,h,w]. img_latent is the unscaled posterior mode. `x_init`
    replaces the starting noise; with `start` > 0 the first `start` of the `steps` timesteps are
    skipped and `x_init` is a sample at timestep ddim_timesteps(steps)[start] (training.probe
    starts from the true target, noised).
    """
    ab = alphas_cumprod() if ab is None else ab
    b = img_latent.shape[0]
    ts = ddim_timesteps(steps)
    if not 0 <= start < len(ts) or (start > 0 and x_init is None):
        raise ValueError(f"start {start} of {len(ts)} steps (start > 0 needs x_init)")
    x = torch.randn(img_latent.shape, generator=generator) if x_init is None else x_init
    img3 = torch.cat([img_latent, img_latent, torch.zeros_like(img_latent)])
    for t in ts[start:]:
        inp = torch.cat([torch.cat([x, x, x]), img3], 1)
        v = model(inp, torch.full((3 * b,), float(t)))
        v_ti, v_i, v_n = v[:b], v[b:2 * b], v[2 * b:]
        v = v_n + g_text * (v_ti - v_i) + g_image * (v_i - v_n)
        a_t = ab[t]
        prev = t - T_TRAIN // steps
        a_p = ab[prev] if prev >= 0 else ab[0]
        x0 = a_t.sqrt() * x - (1 - a_t).sqrt() * v
        eps = a_t.sqrt() * v + (1 - a_t).sqrt() * x
        x = a_p.sqrt() * x0 + (1 - a_p).sqrt() * eps
    return x
