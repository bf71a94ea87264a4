#!/usr/bin/env bash
# Checks deploy/prometheus: the Prometheus config and the rule files it loads, the rule unit
# tests (promtool test rules) and the Alertmanager config (amtool). Needs promtool and
# amtool: scripts/ensure-prometheus.sh installs them (Debian packages prometheus and
# prometheus-alertmanager). `make prometheus-check` runs both scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/prometheus

if ! command -v promtool >/dev/null 2>&1; then
  echo "error: promtool not found; run scripts/ensure-prometheus.sh (or make prometheus-check)" >&2
  exit 1
fi

echo "promtool check config $dir/prometheus.yml"
promtool check config "$dir/prometheus.yml"
echo "promtool check rules $dir/rules/*.yml"
promtool check rules "$dir"/rules/*.yml
echo "promtool test rules $dir/tests/*.yml"
promtool test rules "$dir"/tests/*.yml
if command -v amtool >/dev/null 2>&1; then
  echo "amtool check-config $dir/alertmanager.yml"
  amtool check-config "$dir/alertmanager.yml"
else
  echo "error: amtool not found (it comes with Debian's prometheus-alertmanager package);" \
    "cannot check $dir/alertmanager.yml. Run scripts/ensure-prometheus.sh." >&2
  exit 1
fi
