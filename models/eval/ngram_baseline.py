#!/usr/bin/env python3
"""Per-language naive Bayes baseline on UMSAB: is a language learnable from its own train split?

Trains one multinomial naive Bayes per language on word, word-pair and character 4-gram
presence features of UMSAB train and prints macro-F1 on UMSAB val. Standard library only;
about a second. It is a diagnostic, not a scorer: a language that stays at chance here
(macro-F1 ~0.33) has labels that surface features of its own tweets do not predict, so a
fine-tuned encoder stuck at chance there is not necessarily undertrained.

    python3 models/eval/ngram_baseline.py --umsab ../shared/data/umsab
"""
import argparse
import collections
import json
import math
import re
from pathlib import Path

CLASSES = ("negative", "neutral", "positive")


def features(text):
    t = re.sub(r"http\S+", "URL", text.lower())
    words = re.findall(r"\w+|[^\w\s]", t)
    padded = f" {t} "
    return set(words + [f"{a}_{b}" for a, b in zip(words, words[1:])]
               + [padded[i:i + 4] for i in range(len(padded) - 3)])


def macro_f1(truth, pred):
    f1 = []
    for c in CLASSES:
        tp = sum(p == c and t == c for t, p in zip(truth, pred))
        fp = sum(p == c and t != c for t, p in zip(truth, pred))
        fn = sum(p != c and t == c for t, p in zip(truth, pred))
        f1.append(2 * tp / max(1, 2 * tp + fp + fn))
    return sum(f1) / len(f1)


def evaluate(train, val, alpha=0.5):
    counts = {c: collections.Counter() for c in CLASSES}
    for row in train:
        counts[row["label"]].update(features(row["text"]))
    vocab = set().union(*counts.values())
    totals = {c: sum(counts[c].values()) + alpha * len(vocab) for c in CLASSES}
    pred = []
    for row in val:
        f = [x for x in features(row["text"]) if x in vocab]
        scores = {c: sum(math.log((counts[c][x] + alpha) / totals[c]) for x in f) for c in CLASSES}
        pred.append(max(scores, key=scores.get))
    return macro_f1([r["label"] for r in val], pred)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--umsab", required=True, type=Path, help="directory with UMSAB train.jsonl and val.jsonl")
    args = ap.parse_args()
    load = lambda name: [json.loads(line) for line in open(args.umsab / name, encoding="utf-8")]
    train, val = load("train.jsonl"), load("val.jsonl")
    langs = sorted({r["lang"] for r in val})
    scores = {}
    for lang in langs:
        scores[lang] = evaluate([r for r in train if r["lang"] == lang], [r for r in val if r["lang"] == lang])
        print(f"{lang} macro_f1={scores[lang]:.3f}")
    print(f"mean macro_f1={sum(scores.values()) / len(scores):.3f}")


if __name__ == "__main__":
    main()
