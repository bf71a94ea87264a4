#!/usr/bin/env bash
# Memory soak: runs brandpulse under sustained load and samples its resident memory (VmRSS)
# every few seconds, to show that it levels off instead of growing. Two loads:
#
#   benches/soak/soak.sh long-texts SECONDS   `brandpulse process` (transformer, int8, default
#                                             limits) on an endless stream of distinct texts of
#                                             2-60 KB: every text is a cache miss, every
#                                             scorer batch is full-length
#   benches/soak/soak.sh demo SECONDS RATE    `brandpulse demo` (broker, pipeline, alert stage,
#                                             live page) at RATE mentions/s: an hour of the
#                                             demo's default 40/s compressed into SECONDS
#
# Prints one `t_s,rss_mib` line per sample on stdout and a summary line last:
#   soak <load>: samples=N rss_first_min_max=A rss_last_min_max=B rss_max=C growth_last_half=D
# Needs the release build (make build) and the model (make model).
set -euo pipefail
cd "$(dirname "$0")/../.."
load=${1:?usage: soak.sh long-texts|demo SECONDS [RATE]}
seconds=${2:?seconds}
rate=${3:-240}
bin=./target/release/brandpulse
interval=5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT

case "$load" in
  long-texts)
    cat > "$tmp/config.toml" <<'TOML'
[[brands]]
id = "acme"
[brands.topics.brand]
keywords = ["acme"]
TOML
    python3 benches/soak/long_texts.py | "$bin" process --config "$tmp/config.toml" \
      > /dev/null 2> "$tmp/stderr" &
    ;;
  demo)
    "$bin" demo --duration "$((seconds + 30))s" --rate "$rate" --listen 127.0.0.1:0 \
      > /dev/null 2> "$tmp/stderr" &
    ;;
  *) echo "unknown load $load" >&2; exit 2 ;;
esac
sleep 1
pid=$(pgrep -n -f "$bin (process|demo)")
echo "t_s,rss_mib"
start=$(date +%s)
samples=()
while [ $(( $(date +%s) - start )) -lt "$seconds" ] && kill -0 "$pid" 2>/dev/null; do
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  t=$(( $(date +%s) - start ))
  echo "$t,$((rss_kb / 1024))"
  samples+=("$t:$((rss_kb / 1024))")
  sleep "$interval"
done
kill -INT "$pid" 2>/dev/null || true
printf '%s\n' "${samples[@]}" | python3 -c "
import sys
rows=[tuple(map(int,l.split(':'))) for l in sys.stdin if l.strip()]
T=rows[-1][0]
first=[r for t,r in rows if t<=60]; last=[r for t,r in rows if t>=T-60]
half=[r for t,r in rows if t>=T/2]
print(f'soak $load: samples={len(rows)} seconds={T} rss_first_min_max={max(first)} rss_last_min_max={max(last)} '
      f'rss_max={max(r for _,r in rows)} growth_last_half={half[-1]-half[0]} MiB')
"
