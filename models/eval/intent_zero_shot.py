#!/usr/bin/env python3
"""Zero-shot complaint detection with the local encoder (multilingual-e5-small, fp32 ONNX):
cosine of each post to described intents, complaint when its best complaint description beats
the best other one. An experiment for issue 17 (docs/intent.md), not used by the pipeline.
Runs on the dev and test splits of tests/data/intent/posts.tsv only (the holdout stays unseen).

Usage: $CACHE/venv-model/bin/python models/eval/intent_zero_shot.py ~/.cache/brandpulse/model
"""
import os, sys, numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
md = sys.argv[1]
tok = Tokenizer.from_file(md + "/tokenizer.json")
so = ort.SessionOptions(); so.intra_op_num_threads = 1
sess = ort.InferenceSession(md + "/e5-small.fp32.onnx", so, providers=["CPUExecutionProvider"])
names = [i.name for i in sess.get_inputs()]
def embed(texts, prefix="query: "):
    out = []
    for i in range(0, len(texts), 32):
        enc = [tok.encode(prefix + t).ids[:128] for t in texts[i:i+32]]
        L = max(map(len, enc)); ids = np.zeros((len(enc), L), np.int64); m = np.zeros_like(ids)
        for k, e in enumerate(enc): ids[k, :len(e)] = e; m[k, :len(e)] = 1
        f = {names[0]: ids, names[1]: m}
        if len(names) > 2: f[names[2]] = np.zeros_like(ids)
        h = sess.run(None, f)[0]
        if h.ndim == 3:
            h = (h * m[..., None]).sum(1) / m.sum(1, keepdims=True)
        h = h / np.linalg.norm(h, axis=1, keepdims=True)
        out.append(h)
    return np.vstack(out)
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(os.path.dirname(__file__), "../../tests/data/intent/posts.tsv"))]
rows = [r for r in rows if r[0] in ("dev", "test")]
texts = [r[5] for r in rows]
E = embed(texts)
protos = {
 "complaint": ["a customer complaining that a product or service failed, broke, was late or charged them wrongly",
               "something is not working and I am angry about it"],
 "question": ["a customer asking a question and wanting an answer"],
 "other": ["a news headline about a company", "a casual remark that mentions a brand", "a customer praising a product"],
}
P = {k: embed(v) for k, v in protos.items()}
score = {k: (E @ v.T).max(1) for k, v in P.items()}
truth_c = np.array(["complaint" in r[3] for r in rows])
for split in ("dev", "test"):
    idx = np.array([r[0] == split for r in rows])
    margin = score["complaint"] - np.maximum(score["question"], score["other"])
    for thr in (-0.02, 0.0, 0.02):
        pred = margin > thr
        tp = (pred & truth_c & idx).sum(); fp = (pred & ~truth_c & idx).sum(); fn = (~pred & truth_c & idx).sum()
        print(split, thr, "complaint P %.3f R %.3f" % (tp / max(1, tp + fp), tp / max(1, tp + fn)))
