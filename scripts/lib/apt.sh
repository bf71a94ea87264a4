# Shared by the scripts that install a Debian package once (ensure-prometheus.sh,
# ensure-chromium.sh). Source it, then:
#   apt_prepare "<what is missing>" "<how to install it by hand>"   # exits 1 if impossible; sets SUDO
#   apt_install PKG...                                               # apt-get update, then install

apt_prepare() {
  local what=$1 hint=$2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $what not found and apt-get is not available." >&2
    echo "$hint" >&2
    exit 1
  fi
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=sudo
    else
      echo "error: installing the Debian package(s) for $what needs root (or sudo)." >&2
      exit 1
    fi
  fi
}

apt_install() {
  echo "installing Debian package(s) $* (apt-get update, then install)..." >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}
