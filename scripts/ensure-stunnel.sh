#!/usr/bin/env bash
# Installs Debian's `stunnel4` (and `openssl`, which makes the test's CA) once, for the TLS
# end-to-end test (tests/e2e_tls.rs puts a
# TLS-terminating stunnel, with a CA made by the test, in front of the tansu broker: tansu
# 0.6.0's own --cert/--key cannot be given together). Prints the binary's path on stdout.
#
# A no-op when `stunnel` (or $STUNNEL) exists. Otherwise: apt-get update, then apt-get install
# -y --no-install-recommends stunnel4 (needs root, or sudo). No daemon is started.
set -euo pipefail

have_openssl() { command -v openssl >/dev/null 2>&1; }
if [ -n "${STUNNEL:-}" ] && [ -x "${STUNNEL}" ] && have_openssl; then
  echo "$STUNNEL"
  exit 0
fi
if command -v stunnel >/dev/null 2>&1 && have_openssl; then
  command -v stunnel
  exit 0
fi

# shellcheck source=scripts/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"
apt_prepare "stunnel or openssl" "Install stunnel (Debian: stunnel4) and openssl and put them on PATH, or set STUNNEL=/path/to/stunnel."
apt_install stunnel4 openssl >&2
command -v stunnel
