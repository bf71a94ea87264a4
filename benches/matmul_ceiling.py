"""fp32 GEMM ceiling of ONNX Runtime on this machine, for `benches/model_speed.rs`.

    python matmul_ceiling.py --shape 768x384x1536 [--shape MxKxN ...] [--stream ROWS ...] \
        --threads 1,2 [--min-time 2]

Builds a one-node ONNX model per shape, C[M,N] = A[M,K] @ B[K,N], with B a constant
initializer (as the encoder's weights are, so ONNX Runtime prepacks it the same way), and times
`session.run` at each intra-op thread count. The session is set up as `OnnxEncoder::load` sets
up its own: all graph optimisations, `threads` intra-op threads, 1 inter-op thread, default
spinning. Run with the model venv (`$CACHE/venv-model`, numpy + onnx + onnxruntime), whose
onnxruntime is the library `ORT_DYLIB_PATH` points at, so the kernel (MLAS) is the one the
encoder runs.

`--stream ROWS` adds the ceiling of a weight-streaming workload: the encoder's 72 dense GEMMs
(12 layers of Q, K, V, attention output [384 x 384], FFN1 [384 x 1536] and FFN2 [1536 x 384])
chained in one model, each with its own constant weights as in the encoder, ROWS rows (tokens)
through them. Its 85 MB of fp32 weights do not fit in the caches, so with few rows each GEMM
waits for its weights from memory: this is the ceiling that applies to batch 1, where the
one-node ceiling's weights stay in cache from run to run.

Prints one JSON object on stdout: the runtime's version and library path, and per (shape,
threads) the median and best time of one run and the GFLOP/s (2*M*K*N / time, summed over the
GEMMs for a stream) of each; stream rows have `kind` "stream" and `layers`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def matmul_model(m: int, k: int, n: int) -> onnx.ModelProto:
    rng = np.random.default_rng(7)
    b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"], name="matmul")],
        "matmul_ceiling",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


HIDDEN, FFN, LAYERS = 384, 1536, 12
LAYER_SHAPES = [(HIDDEN, HIDDEN)] * 4 + [(HIDDEN, FFN), (FFN, HIDDEN)]


def stream_model(m: int) -> tuple[onnx.ModelProto, float]:
    """The encoder's dense GEMMs, chained, distinct weights; returns the model and its FLOPs."""
    rng = np.random.default_rng(7)
    nodes, inits, x, flop = [], [], "a", 0.0
    for layer in range(LAYERS):
        for j, (k, n) in enumerate(LAYER_SHAPES):
            w = f"w{layer}_{j}"
            inits.append(numpy_helper.from_array((rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32), w))
            y = f"y{layer}_{j}"
            nodes.append(helper.make_node("MatMul", [x, w], [y], name=f"matmul_{layer}_{j}"))
            x = y
            flop += 2.0 * m * k * n
    graph = helper.make_graph(
        nodes, "matmul_stream",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, HIDDEN])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [m, HIDDEN])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, flop


def measure(path: str, m: int, k: int, threads: int, min_time: float) -> dict:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    a = np.random.default_rng(11).standard_normal((m, k), dtype=np.float32)
    feed = {"a": a}
    for _ in range(5):
        sess.run(None, feed)
    times = []
    start = time.perf_counter()
    while len(times) < 20 or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t0)
    return {"runs": len(times), "median_s": statistics.median(times), "best_s": min(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", action="append", default=[], help="MxKxN")
    ap.add_argument("--stream", action="append", default=[], type=int, metavar="ROWS",
                    help="the encoder's 72 GEMMs chained with distinct weights, ROWS rows")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds per (shape, threads)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in a.shape:
            m, k, n = (int(x) for x in spec.lower().split("x"))
            path = os.path.join(tmp, f"matmul_{m}x{k}x{n}.onnx")
            onnx.save(matmul_model(m, k, n), path)
            flop = 2.0 * m * k * n
            for t in threads:
                r = measure(path, m, k, t, a.min_time)
                r.update(
                    kind="gemm", m=m, k=k, n=n, threads=t,
                    gflops_median=flop / r["median_s"] / 1e9,
                    gflops_best=flop / r["best_s"] / 1e9,
                )
                results.append(r)
                print(f"matmul_ceiling: {m}x{k}x{n}, {t} thread(s): {r['gflops_median']:.1f} GFLOP/s "
                      f"(median of {r['runs']} runs)", file=sys.stderr)
        for m in a.stream:
            path = os.path.join(tmp, f"stream_{m}.onnx")
            model, flop = stream_model(m)
            onnx.save(model, path)
            del model
            for t in threads:
                r = measure(path, m, HIDDEN, t, a.min_time)
                r.update(
                    kind="stream", layers=LAYERS, m=m, k=HIDDEN, n=HIDDEN, threads=t,
                    gflops_median=flop / r["median_s"] / 1e9,
                    gflops_best=flop / r["best_s"] / 1e9,
                )
                results.append(r)
                print(f"matmul_ceiling: stream of {LAYERS * len(LAYER_SHAPES)} GEMMs, {m} rows, {t} thread(s): "
                      f"{r['gflops_median']:.1f} GFLOP/s (median of {r['runs']} runs)", file=sys.stderr)
    json.dump({"onnxruntime": ort.__version__, "library": os.path.dirname(ort.__file__), "results": results},
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
