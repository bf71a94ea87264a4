#!/usr/bin/env bash
# Installs Prometheus, promtool, Alertmanager and amtool from Debian's `prometheus` and
# `prometheus-alertmanager` packages, once. Used by scripts/check-prometheus.sh (rule and
# config checks, rule unit tests) and by the end-to-end alerting test (tests/e2e_alerting.rs).
#
# A no-op when promtool, prometheus and alertmanager (Debian names the binary
# prometheus-alertmanager) are already on PATH. Otherwise: apt-get update, then
# apt-get install -y --no-install-recommends (needs root, or sudo).
#
# The packages' maintainer scripts try to start prometheus and alertmanager as services
# (invoke-rc.d / systemctl). We do not want daemons: while installing, a
# policy-rc.d that denies every service start is put in place (unless one already is), and
# any prometheus/alertmanager process that appears during the install anyway is stopped
# (by its pid), so nothing keeps running and no port (9090, 9093, 9094) stays taken.
set -euo pipefail

have_all() {
  command -v promtool >/dev/null 2>&1 &&
    command -v prometheus >/dev/null 2>&1 &&
    { command -v alertmanager >/dev/null 2>&1 || command -v prometheus-alertmanager >/dev/null 2>&1; }
}

if have_all; then
  echo "prometheus: $(command -v prometheus), promtool and alertmanager found; nothing to install" >&2
  exit 0
fi

# shellcheck source=scripts/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"
apt_prepare "prometheus, promtool or alertmanager" \
  "Install Prometheus (2.x, with promtool) and Alertmanager (with amtool) and put them on PATH."

daemon_pids() {
  # pids of processes whose executable is prometheus / alertmanager (by name: pgrep -x
  # truncates to 15 characters, and pgrep -f would match any command line mentioning them)
  ps -eo pid=,args= | awk '{ n = $2; sub(".*/", "", n) }
    n == "prometheus" || n == "prometheus-alertmanager" || n == "alertmanager" { print $1 }' | sort
}

start=$(date +%s)
before=$(daemon_pids)

policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  echo "installing a temporary $policy so that the packages start no services" >&2
  printf '#!/bin/sh\n# added by brandpulse scripts/ensure-prometheus.sh during apt-get install\nexit 101\n' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
cleanup() {
  if [ "$added_policy" = 1 ]; then
    $SUDO rm -f "$policy"
  fi
}
trap cleanup EXIT

apt_install prometheus prometheus-alertmanager

# If a service was started all the same (no policy-rc.d honoured, a systemd host), stop it.
after=$(daemon_pids)
started=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d' || true)
if [ -n "$started" ]; then
  echo "the packages started daemons (pids: $(echo $started)); stopping them" >&2
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl stop prometheus.service prometheus-alertmanager.service 2>/dev/null || true
    $SUDO systemctl disable prometheus.service prometheus-alertmanager.service 2>/dev/null || true
  fi
  for pid in $started; do
    $SUDO kill "$pid" 2>/dev/null || true
  done
fi

if ! have_all; then
  echo "error: installed the packages but promtool/prometheus/alertmanager are still not on PATH" >&2
  exit 1
fi
command -v amtool >/dev/null 2>&1 ||
  echo "warning: amtool not found (it ships with prometheus-alertmanager); the Alertmanager config check will be skipped" >&2
echo "installed in $(($(date +%s) - start)) s: $(prometheus --version 2>&1 | head -1)" >&2
