#!/usr/bin/env bash
# Accuracy you can rerun: `brandpulse eval` of the transformer (int8 and fp32) and the lexicon
# scorer on every held-out test set and on the multilingual sanity set, as Markdown tables;
# with UMSAB=DIR also UMSAB val per language (macro-F1; the tweets are read from DIR).
#
#   bash scripts/setup-model.sh                                  # the encoder
#   $CACHE/venv-model/bin/python models/data/build_datasets.py   # the held-out sets
#   [UMSAB=../shared/data/umsab] bash models/eval/run_eval.sh [path/to/brandpulse]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-target/release/brandpulse}"
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
sets=("$cache"/data/test-*.jsonl models/eval/sanity-multilingual.jsonl)
[ -e "${sets[0]}" ] || { echo "no held-out sets in $cache/data: run models/data/build_datasets.py" >&2; exit 1; }
scorers=("--scorer transformer --precision int8" "--scorer transformer --precision fp32" "--scorer lexicon")

echo "| data set | n | transformer int8 acc / macro-F1 [binary acc] | transformer fp32 acc / macro-F1 [binary acc] | lexicon acc / macro-F1 [binary acc] |"
echo "|---|---:|---:|---:|---:|"
for f in "${sets[@]}"; do
  row="| $(basename "$f" .jsonl)"
  n=""
  for args in "${scorers[@]}"; do
    # shellcheck disable=SC2086
    last=$("$bin" eval --data "$f" $args 2>/dev/null | tail -n 1)
    acc=$(sed -E 's/^accuracy=([0-9.]+).*/\1/' <<<"$last")
    f1=$(sed -E 's/.* macro_f1=([0-9.]+).*/\1/' <<<"$last")
    n=$(sed -E 's/.* n=([0-9]+).*/\1/' <<<"$last")
    bin_acc=""
    if [[ "$last" == *binary_accuracy=* ]]; then
      bin_acc=" [$(sed -E 's/.*binary_accuracy=([0-9.]+).*/\1/' <<<"$last")]"
    fi
    row="$row | $acc / $f1$bin_acc"
  done
  # put n in the second column
  echo "$row |" | sed -E "s/^\| ([^|]+) \| /| \1 | $n | /"
done

if [[ -n "${UMSAB:-}" ]]; then
  echo
  echo "UMSAB val ($UMSAB/val.jsonl), macro-F1 per language (accuracy in brackets):"
  echo
  out=()
  for args in "${scorers[@]}"; do
    # shellcheck disable=SC2086
    out+=("$("$bin" eval --data "$UMSAB/val.jsonl" $args 2>/dev/null)")
  done
  echo "| language | transformer int8 | transformer fp32 | lexicon |"
  echo "|---|---:|---:|---:|"
  langs=$(grep -oE '^lang=[a-z]+' <<<"${out[0]}" | cut -d= -f2)
  for l in $langs mean; do
    row="| $l"
    for o in "${out[@]}"; do
      if [[ $l == mean ]]; then
        line=$(grep '^languages=' <<<"$o")
        f1=$(sed -E 's/.*mean_macro_f1=([0-9.]+).*/\1/' <<<"$line")
        acc=$(sed -E 's/.*mean_accuracy=([0-9.]+).*/\1/' <<<"$line")
      else
        line=$(grep "^lang=$l " <<<"$o")
        f1=$(sed -E 's/.*macro_f1=([0-9.]+).*/\1/' <<<"$line")
        acc=$(sed -E 's/.* accuracy=([0-9.]+).*/\1/' <<<"$line")
      fi
      row="$row | $f1 [$acc]"
    done
    echo "$row |"
  done
fi
