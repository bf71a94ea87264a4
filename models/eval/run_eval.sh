#!/usr/bin/env bash
# Accuracy you can rerun: `brandpulse eval` of the transformer (int8 and fp32) and the lexicon
# scorer on every held-out test set and on the multilingual sanity set, as a Markdown table.
#
#   bash scripts/setup-model.sh                                  # the encoder
#   $CACHE/venv-model/bin/python models/data/build_datasets.py   # the held-out sets
#   bash models/eval/run_eval.sh [path/to/brandpulse]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-target/release/brandpulse}"
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
sets=("$cache"/data/test-*.jsonl models/eval/sanity-multilingual.jsonl)
[ -e "${sets[0]}" ] || { echo "no held-out sets in $cache/data: run models/data/build_datasets.py" >&2; exit 1; }
echo "| data set | n | transformer int8 acc / macro-F1 | transformer fp32 acc / macro-F1 | lexicon acc / macro-F1 |"
echo "|---|---:|---:|---:|---:|"
for f in "${sets[@]}"; do
  row="| $(basename "$f" .jsonl)"
  n=""
  for args in "--scorer transformer --precision int8" "--scorer transformer --precision fp32" "--scorer lexicon"; do
    # shellcheck disable=SC2086
    last=$("$bin" eval --data "$f" $args 2>/dev/null | tail -n 1)
    acc=$(sed -E 's/.*accuracy=([0-9.]+).*/\1/' <<<"$last")
    f1=$(sed -E 's/.*macro_f1=([0-9.]+).*/\1/' <<<"$last")
    n=$(sed -E 's/.*n=([0-9]+).*/\1/' <<<"$last")
    row="$row | $acc / $f1"
  done
  # put n in the second column
  echo "$row |" | sed -E "s/^\| ([^|]+) \| /| \1 | $n | /"
done
