#!/usr/bin/env bash
# Installs Debian's headless-capable `chromium` once, for the live page test
# (tests/live_page.rs drives it with --headless --dump-dom / --screenshot; no WebDriver).
#
# A no-op when /usr/bin/chromium (or `chromium` on PATH, or $CHROMIUM) exists. Otherwise:
# apt-get update, then apt-get install -y --no-install-recommends chromium (needs root, or
# sudo). About 100 MB of packages.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ] && [ -x "${CHROMIUM}" ]; then
  echo "chromium: $CHROMIUM (from \$CHROMIUM); nothing to install" >&2
  exit 0
fi
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium || echo /usr/bin/chromium) found; nothing to install" >&2
  exit 0
fi

# shellcheck source=scripts/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"
apt_prepare chromium "Install Chromium and put it on PATH as \`chromium\`, or set CHROMIUM=/path/to/chrome."

start=$(date +%s)
apt_install chromium fonts-liberation

if ! command -v chromium >/dev/null 2>&1; then
  echo "error: installed the package but chromium is still not on PATH" >&2
  exit 1
fi
echo "installed in $(($(date +%s) - start)) s: $(chromium --version 2>/dev/null | head -1)" >&2
