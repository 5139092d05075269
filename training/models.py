"""Model architectures: conv autoencoder, CLIP-like text encoder, Emu-style UNet, task classifier.

Everything is plain torch ops that export cleanly to ONNX opset 14 (no nn.MultiheadAttention).
Shapes: images [B,3,64,64] in [-1,1]; latents [B,C,16,16]; text [B,77,D]; task vector [B,E]
(E = task_vector_dim(cfg): what the UNet takes per task, see UNet.forward).
"""
from __future__ import annotations

import dataclasses
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclasses.dataclass
class Config:
    latent_channels: int = 8
    vae_channels: Tuple[int, int] = (64, 128)
    vocab_size: int = 1024
    text_dim: int = 128
    text_layers: int = 2
    text_heads: int = 4
    unet_channels: Tuple[int, int, int] = (64, 128, 160)
    unet_heads: int = 4
    task_dim: int = 64
    num_tasks: int = 16
    use_task: bool = True
    # tasks learned from the start beyond the 16 of tasks.TASK_NAMES (ids 16, 17, ...): the
    # "trained from the start" baseline that task inversion is measured against
    extra_tasks: Tuple[str, ...] = ()
    # learned absolute-position tables added at each UNet level: convolutions and attention alone
    # know only relative positions, but patterns anchored to the canvas (texture phase, where text
    # sits) need absolute ones. Off for the models trained before they existed.
    unet_pos: bool = False
    # how the task table reaches the UNet. True (training): rows of task_dim go through a small
    # MLP (UNet.task_t / task_tok) into task vectors. False (a model rebuilt from a package, whose
    # tasks.json holds the task vectors themselves): the table's rows ARE the task vectors, so
    # task_dim == task_vector_dim. Task inversion learns a task vector either way: the MLP saw only
    # the 16 table rows, and a vector reached through it inverts contour at half the success of a
    # vector learned directly (docs/model-card.md, "Task inversion").
    task_mlp: bool = True
    # the decoder also reads the edit's source image (`source_sample`, the image the UNet was
    # conditioned on) at 16x16 and 32x32, as an asymmetric decoder does: the latent says what the
    # edit is, the source where its object's pixels are, which a 16x16 latent cannot pin to one
    # pixel (detect's 2 px ring: docs/model-card.md, "A decoder that reads the source image").
    # Added by `training.finetune_decoder --source`;
    # off for every autoencoder trained before it, and in train_vae (a decoder that sees its own
    # target would learn to copy it).
    decoder_source: bool = False
    # width of a full-resolution refinement head after the decoder (0: none): three 3x3
    # convolutions over the decoded image ++ the source image at 64x64 whose output is added to
    # the decoding. The decoder's own last layers run at 32x32 and see the source only through
    # space-to-depth; detect's ring is placed by one pixel, and most of detect's misses are a ring
    # one pixel off the object's edge (docs/model-card.md, "A full-resolution refinement head").
    # Needs decoder_source; added by `training.finetune_decoder --refine W`.
    decoder_refine: int = 0

    @staticmethod
    def tiny(vocab_size: int) -> "Config":
        return Config(latent_channels=4, vae_channels=(8, 16), vocab_size=vocab_size, text_dim=32,
                      text_layers=1, text_heads=2, unet_channels=(16, 24, 32), unet_heads=2, task_dim=16)


def task_vector_dim(cfg: Config) -> int:
    """E: an offset of the timestep embedding (4 x the first UNet width) ++ one context token."""
    return 4 * cfg.unet_channels[0] + cfg.text_dim


# ---- autoencoder ----------------------------------------------------------------------------

class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int = 0):
        super().__init__()
        self.n1 = nn.GroupNorm(min(8, cin), cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = nn.GroupNorm(min(8, cout), cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout) if temb else None
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, temb: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None and temb is not None:
            h = h + self.t(temb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class Encoder(nn.Module):
    """64x64x3 -> 16x16xC (deterministic: the posterior mode).

    Space-to-depth (2x2) first, so no convolution runs at full resolution: object edges stay
    exact at a fraction of the cost of full-resolution layers.
    """

    def __init__(self, cfg: Config):
        super().__init__()
        a, b = cfg.vae_channels[0], cfg.vae_channels[1]
        self.inp = nn.Conv2d(12, a, 3, padding=1)
        self.r1 = ResBlock(a, a)
        self.down = nn.Conv2d(a, b, 3, stride=2, padding=1)
        self.r2 = ResBlock(b, b)
        self.out = nn.Conv2d(b, cfg.latent_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.r1(self.inp(F.pixel_unshuffle(x, 2)))
        h = self.r2(self.down(h))
        return self.out(F.silu(h))


def _zero_start(*layers: nn.Module) -> nn.Sequential:
    """The layers in sequence, the last convolution set to zero: a part added to a trained decoder
    this way leaves its decoding exactly as it was until fine-tuning moves it."""
    seq = nn.Sequential(*layers)
    nn.init.zeros_(seq[-1].weight)
    nn.init.zeros_(seq[-1].bias)
    return seq


def _source_branch(cin: int, cout: int) -> nn.Sequential:
    """conv, SiLU, conv, added to the decoder's features."""
    return _zero_start(nn.Conv2d(cin, cout, 3, padding=1), nn.SiLU(), nn.Conv2d(cout, cout, 3, padding=1))


def _refine_head(width: int) -> nn.Sequential:
    """decoded image ++ source (6 channels, 64x64) -> a correction of the decoded image."""
    return _zero_start(nn.Conv2d(6, width, 3, padding=1), nn.SiLU(), nn.Conv2d(width, width, 3, padding=1), nn.SiLU(),
                       nn.Conv2d(width, 3, 3, padding=1))


class Decoder(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        a, b = cfg.vae_channels[0], cfg.vae_channels[1]
        self.inp = nn.Conv2d(cfg.latent_channels, b, 3, padding=1)
        self.r2 = ResBlock(b, b)
        self.r2b = ResBlock(b, b)
        self.up = nn.Conv2d(b, a, 3, padding=1)
        self.r1 = ResBlock(a, a)
        self.r1b = ResBlock(a, a)
        self.out = nn.Conv2d(a, 12, 3, padding=1)
        # the source image space-to-depth to each resolution (4x4 -> 48 channels at 16x16, 2x2 ->
        # 12 at 32x32), like the encoder's first step
        self.src16 = _source_branch(48, b) if cfg.decoder_source else None
        self.src32 = _source_branch(12, a) if cfg.decoder_source else None
        if cfg.decoder_refine and not cfg.decoder_source:
            raise ValueError("decoder_refine reads the source image: it needs decoder_source")
        self.refine = _refine_head(cfg.decoder_refine) if cfg.decoder_refine else None

    @property
    def takes_source(self) -> bool:
        return self.src16 is not None

    def forward(self, z: torch.Tensor, source: Optional[torch.Tensor] = None) -> torch.Tensor:
        """source: the edit's source image [B,3,64,64] in [-1,1]; required by (and only read by) a
        decoder with source branches."""
        if self.src16 is not None and self.src32 is not None:
            if source is None:
                raise ValueError("this decoder is conditioned on the source image: pass source")
            h = self.r2b(self.r2(self.inp(z) + self.src16(F.pixel_unshuffle(source, 4))))
            h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest")) + self.src32(F.pixel_unshuffle(source, 2))
        else:
            h = self.up(F.interpolate(self.r2b(self.r2(self.inp(z))), scale_factor=2.0, mode="nearest"))
        h = self.r1b(self.r1(h))
        y = F.pixel_shuffle(self.out(F.silu(h)), 2)
        if self.refine is not None:
            y = y + self.refine(torch.cat([y, source], 1))
        return y


class AutoEncoder(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    def forward(self, x: torch.Tensor, source: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """(decode(encode(x)), the latent); `source` for a decoder conditioned on the source image."""
        z = self.encoder(x)
        return self.decoder(z, source), z


# ---- attention ------------------------------------------------------------------------------

class Attention(nn.Module):
    def __init__(self, dim: int, ctx_dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(ctx_dim, dim, bias=False)
        self.v = nn.Linear(ctx_dim, dim, bias=False)
        self.o = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.k(ctx).reshape(b, -1, h, d // h).transpose(1, 2)
        v = self.v(ctx).reshape(b, -1, h, d // h).transpose(1, 2)
        w = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h))
        if mask is not None:
            w = w + mask
        a = torch.matmul(w.softmax(-1), v)
        return self.o(a.transpose(1, 2).reshape(b, n, d))


# ---- text encoder ---------------------------------------------------------------------------

class TextLayer(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.attn(h, h, mask)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    """CLIP-like: causal transformer, pooled output = final-LN hidden state at the first EOS."""

    def __init__(self, cfg: Config, max_len: int = 77):
        super().__init__()
        self.tok = nn.Embedding(cfg.vocab_size, cfg.text_dim)
        self.pos = nn.Parameter(torch.randn(max_len, cfg.text_dim) * 0.01)
        self.layers = nn.ModuleList([TextLayer(cfg.text_dim, cfg.text_heads) for _ in range(cfg.text_layers)])
        self.ln = nn.LayerNorm(cfg.text_dim)
        mask = torch.full((max_len, max_len), -1e4).triu(1)
        self.register_buffer("mask", mask, persistent=False)
        self.eos_id = cfg.vocab_size - 1  # <|endoftext|> is the last id in CLIP's vocabulary order

    def forward(self, ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        ids = ids.long()
        x = self.tok(ids) + self.pos[None, : ids.shape[1]]
        for layer in self.layers:
            x = layer(x, self.mask)
        x = self.ln(x)
        # first EOS position == argmax over ids (EOS is the largest id; argmax returns the first)
        idx = ids.argmax(-1)
        pooled = x[torch.arange(x.shape[0]), idx]
        return x, pooled


class TaskClassifier(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(cfg.text_dim, cfg.text_dim), nn.GELU(), nn.Linear(cfg.text_dim, cfg.num_tasks))

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net(pooled)


# ---- UNet -----------------------------------------------------------------------------------

def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)


class SpatialTransformer(nn.Module):
    """Self-attention + cross-attention to (text tokens ++ task token) + MLP on a feature map."""

    def __init__(self, ch: int, ctx_dim: int, heads: int):
        super().__init__()
        self.norm = nn.GroupNorm(8, ch)
        self.proj_in = nn.Linear(ch, ch)
        self.ln1 = nn.LayerNorm(ch)
        self.self_attn = Attention(ch, ch, heads)
        self.ln2 = nn.LayerNorm(ch)
        self.cross = Attention(ch, ctx_dim, heads)
        self.ln3 = nn.LayerNorm(ch)
        self.mlp = nn.Sequential(nn.Linear(ch, 2 * ch), nn.GELU(), nn.Linear(2 * ch, ch))
        self.proj_out = nn.Linear(ch, ch)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x).reshape(b, c, hh * ww).transpose(1, 2))
        n = self.ln1(h)
        h = h + self.self_attn(n, n)
        h = h + self.cross(self.ln2(h), ctx)
        h = h + self.mlp(self.ln3(h))
        h = self.proj_out(h).transpose(1, 2).reshape(b, c, hh, ww)
        return x + h


class UNet(nn.Module):
    """Input [B,2C,16,16] (noisy latent ++ image latent) -> prediction [B,C,16,16].

    Levels at 16, 8 and 4 px; cross-attention at 8 and 4 px. The task embedding is added to the
    timestep embedding and appended to the text as one extra context token (Emu Edit).
    """

    def __init__(self, cfg: Config):
        super().__init__()
        c1, c2, c3 = cfg.unet_channels
        C = cfg.latent_channels
        self.cfg = cfg
        temb = 4 * c1
        self.temb_dim = c1
        self.time = nn.Sequential(nn.Linear(c1, temb), nn.SiLU(), nn.Linear(temb, temb))
        if cfg.use_task and cfg.task_mlp:
            self.task_t = nn.Sequential(nn.Linear(cfg.task_dim, temb), nn.SiLU(), nn.Linear(temb, temb))
            self.task_tok = nn.Linear(cfg.task_dim, cfg.text_dim)
        self.inp = nn.Conv2d(2 * C, c1, 3, padding=1)
        self.e1 = ResBlock(c1, c1, temb)
        self.d1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.e2 = ResBlock(c2, c2, temb)
        self.a2 = SpatialTransformer(c2, cfg.text_dim, cfg.unet_heads)
        self.d2 = nn.Conv2d(c2, c3, 3, stride=2, padding=1)
        self.m1 = ResBlock(c3, c3, temb)
        self.am = SpatialTransformer(c3, cfg.text_dim, cfg.unet_heads)
        self.m2 = ResBlock(c3, c3, temb)
        self.u2 = nn.Conv2d(c3, c2, 3, padding=1)
        self.g2 = ResBlock(2 * c2, c2, temb)
        self.ga2 = SpatialTransformer(c2, cfg.text_dim, cfg.unet_heads)
        self.u1 = nn.Conv2d(c2, c1, 3, padding=1)
        self.g1 = ResBlock(2 * c1, c1, temb)
        self.out_norm = nn.GroupNorm(8, c1)
        self.out = nn.Conv2d(c1, C, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        if cfg.unet_pos:
            # zeros: adding the tables to a trained model leaves its function unchanged at first
            self.pos1 = nn.Parameter(torch.zeros(1, c1, 16, 16))
            self.pos2 = nn.Parameter(torch.zeros(1, c2, 8, 8))
            self.pos3 = nn.Parameter(torch.zeros(1, c3, 4, 4))

    def _pos(self, h: torch.Tensor, name: str) -> torch.Tensor:
        if not self.cfg.unet_pos:
            return h
        p = getattr(self, name)
        if p.shape[-2:] != h.shape[-2:]:  # another latent size: stretch the table (as ViT does)
            p = F.interpolate(p, size=h.shape[-2:], mode="bilinear", align_corners=False)
        return h + p

    def task_vector(self, row: torch.Tensor) -> torch.Tensor:
        """Task table rows [B,task_dim] -> task vectors [B,E] (a task_mlp model)."""
        return torch.cat([self.task_t(row), self.task_tok(row)], dim=1)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, text: torch.Tensor,
                task: Optional[torch.Tensor] = None, task_row: Optional[torch.Tensor] = None) -> torch.Tensor:
        """task: task vectors [B,E], added to the timestep embedding (first 4 x c1 values) and
        appended to the text as one context token (the rest). task_row: table rows of a task_mlp
        model instead, mapped inside (the UNet graph of packages exported before task vectors)."""
        t = self.time(timestep_embedding(timestep, self.temb_dim))
        ctx = text
        if self.cfg.use_task and task_row is not None:
            t = t + self.task_t(task_row)
            ctx = torch.cat([text, self.task_tok(task_row)[:, None]], dim=1)
        elif self.cfg.use_task and task is not None:
            n = t.shape[1]
            t = t + task[:, :n]
            ctx = torch.cat([text, task[:, None, n:]], dim=1)
        h1 = self.e1(self._pos(self.inp(sample), "pos1"), t)
        h2 = self.a2(self.e2(self._pos(self.d1(h1), "pos2"), t), ctx)
        h = self.m1(self._pos(self.d2(h2), "pos3"), t)
        h = self.m2(self.am(h, ctx), t)
        h = self.u2(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.ga2(self.g2(torch.cat([h, h2], 1), t), ctx)
        h = self.u1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.g1(torch.cat([h, h1], 1), t)
        return self.out(F.silu(self.out_norm(h)))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
