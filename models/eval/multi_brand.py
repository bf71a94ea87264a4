#!/usr/bin/env python3
"""Each brand its own sentiment: per-brand accuracy on mentions that name several brands.

    cargo build --release
    python3 models/eval/multi_brand.py [--binary target/release/brandpulse] [--data models/eval/multi-brand.jsonl]

The data, models/eval/multi-brand.jsonl, is ours: mentions written for this test (never
trained or tuned on), each naming two or three of four fictional brands, with one label per
brand (`kind`: two-sentences, comparison, same, question; 8 languages).

Two ways of scoring, with the shipped model, side by side:
  * per brand (what `brandpulse process` does): each brand on its own sentences or clause,
    `src/score/spans.rs`;
  * whole text (what brandpulse did before): `brandpulse score` on the text, that one label
    given to every brand of the mention.
Printed: per-brand accuracy overall, per kind and per language, and the share of mentions with
every brand right. Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = """
[[brands]]
id = "acme"
[brands.topics.brand]
keywords = ["acme"]

[[brands]]
id = "globex"
[brands.topics.brand]
keywords = ["globex"]

[[brands]]
id = "initech"
[brands.topics.brand]
keywords = ["initech"]

[[brands]]
id = "cafe"
[brands.topics.brand]
keywords = ["café brûlé"]
"""


def run(binary: str, args: list[str], stdin: str) -> list[dict]:
    out = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"multi_brand: brandpulse {args[0]} failed:\n{out.stderr}")
    return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "brandpulse"))
    ap.add_argument("--data", type=Path, default=REPO / "models" / "eval" / "multi-brand.jsonl")
    a = ap.parse_args()
    rows = [json.loads(l) for l in a.data.read_text(encoding="utf-8").splitlines() if l.strip()]

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as cfg:
        cfg.write(CONFIG)
    mentions = "".join(json.dumps({"id": r["id"], "text": r["text"], "lang": r["lang"], "source": "forum",
                                   "created_at": "2026-12-01T12:00:00Z"}, ensure_ascii=False) + "\n" for r in rows)
    per_brand = {(o["mention_id"], o["brand"]): o for o in run(a.binary, ["process", "--config", cfg.name], mentions)}
    texts = "".join(json.dumps({"id": r["id"], "text": r["text"], "lang": r["lang"]}, ensure_ascii=False) + "\n"
                    for r in rows)
    whole = {o["id"]: o["label"] for o in run(a.binary, ["score"], texts)}

    tally = defaultdict(lambda: [0, 0, 0])  # group -> [n, right per brand, right whole text]
    all_right = [0, 0]
    missing = 0
    split = 0
    for r in rows:
        ok_b = ok_w = True
        for brand, gold in r["brands"].items():
            rec = per_brand.get((r["id"], brand))
            if rec is None:
                missing += 1
                ok_b = ok_w = False
                continue
            split += "scored_spans" in rec
            b = rec["sentiment"]["label"] == gold
            w = whole[r["id"]] == gold
            ok_b &= b
            ok_w &= w
            for g in ("all", f"kind={r['kind']}", f"lang={r['lang']}"):
                t = tally[g]
                t[0] += 1
                t[1] += b
                t[2] += w
        all_right[0] += ok_b
        all_right[1] += ok_w
    n_brands = tally["all"][0]
    print(f"{len(rows)} mentions, {n_brands} (mention, brand) pairs; {split} scored on their own spans, "
          f"{n_brands - split} on the whole text; {missing} expected brand(s) not matched")
    print("| group | pairs | per brand (spans) | whole text (before) |")
    print("|---|---:|---:|---:|")
    for g in ["all"] + sorted(k for k in tally if k.startswith("kind=")) + sorted(k for k in tally if k.startswith("lang=")):
        n, b, w = tally[g]
        print(f"| {g} | {n} | {b / n:.3f} | {w / n:.3f} |")
    print(f"| every brand of the mention right | {len(rows)} mentions | {all_right[0] / len(rows):.3f} | "
          f"{all_right[1] / len(rows):.3f} |")
    print(f"per_brand_accuracy={tally['all'][1] / n_brands:.4f} whole_text_accuracy={tally['all'][2] / n_brands:.4f} "
          f"n={n_brands}")


if __name__ == "__main__":
    main()
