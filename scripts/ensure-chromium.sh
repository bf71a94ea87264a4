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

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: chromium not found and apt-get is not available." >&2
  echo "Install Chromium and put it on PATH as \`chromium\`, or set CHROMIUM=/path/to/chrome." >&2
  exit 1
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "error: installing the Debian chromium package needs root (or sudo)." >&2
    exit 1
  fi
fi

start=$(date +%s)
echo "installing Debian package chromium (apt-get update, then install)..." >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  chromium fonts-liberation >&2

if ! command -v chromium >/dev/null 2>&1; then
  echo "error: installed the package but chromium is still not on PATH" >&2
  exit 1
fi
echo "installed in $(($(date +%s) - start)) s: $(chromium --version 2>/dev/null | head -1)" >&2
