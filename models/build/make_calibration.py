"""Write models/build/calibration.jsonl: the texts build_e5.py calibrates the int8 model on.

    python models/build/make_calibration.py     # needs $CACHE/data/train.jsonl (build_datasets.py)

512 texts drawn (seeded) from the TRAINING split of the head's data (never dev, test or the
multilingual sanity set, which the parity test uses). build_e5.py only takes per-channel
maxima of a few activations from them (SmoothQuant scales and the FFN outlier channels), so
the build itself does not need the datasets: the file is committed.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

CACHE = Path(os.environ.get("BRANDPULSE_CACHE", str(Path.home() / ".cache" / "brandpulse")))
OUT = Path(__file__).resolve().parent / "calibration.jsonl"
N, SEED = 512, 11


def main() -> None:
    with open(CACHE / "data" / "train.jsonl", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    sample = random.Random(SEED).sample(texts, N)
    with open(OUT, "w", encoding="utf-8") as f:
        for t in sample:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({N} of {len(texts)} training texts, seed {SEED})")


if __name__ == "__main__":
    main()
