#!/usr/bin/env python3
"""Tiny random-weight reference models + transformers outputs for the engine's conformance tests.

For each architecture (llama with llama3 / linear / yarn RoPE scaling, mistral, qwen2, qwen3, phi3,
gemma, gemma2, gemma3_text) this writes MLX-format model folders:

  <arch>-bf16     weights rounded to bf16
  <arch>-q4g64    MLX affine 4-bit, group 64 (bf16 scales/biases), with per-layer overrides:
                  layers.0.mlp.down_proj at 8-bit g32, layers.1.self_attn.v_proj unquantized
  <arch>-q8g32    8-bit, group 32, f16 scales/biases and f16 float tensors
  <arch>-q3g32    3-bit, group 32
  <arch>-q6g64    6-bit, group 64

and, in each folder, reference.json: for several prompts (token-id lists; one is longer than the
sliding windows of gemma2/gemma3), the greedy continuation computed by transformers in float32 on
exactly the stored weights (bf16-rounded or dequantized), with each step's logprob of the chosen
token, the gap between the top-2 logits, and the full logits of the first step.

The quantizer is plain min/max affine (scale = (max-min)/(2^bits-1), bias = min, both rounded to
the stored dtype first, q = round((w-bias)/scale)). It is not MLX's exact algorithm, but any
(q, scales, biases) is a valid MLX affine encoding and the reference uses exactly what is stored.
Packing follows MLX: per row, values form a little-endian LSB-first bit stream of uint32 words.

Deterministic (fixed seeds, CPU float32). Rerun on the device machine (torch + transformers):
    python3 tools/reference_models/make_reference_models.py --out /tmp/refmodels
then tar the folder into tests/fixtures/model/ (see tools/reference_models/README.md).
"""
import argparse
import json
import math
import os
import struct
import sys
import traceback

import numpy as np
import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

VOCAB = 256
N_STEPS = 28
PAD, BOS, EOS = 0, 1, 2

COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, head_dim=16,
              max_position_embeddings=256, rms_norm_eps=1e-5, pad_token_id=PAD,
              bos_token_id=BOS, eos_token_id=EOS, tie_word_embeddings=False)

# name -> (model_type, config overrides, seed, quantized variants?)
ARCHS = {
    "llama": ("llama", dict(rope_theta=10000.0, rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64}), 1, True),
    "llama_linear": ("llama", dict(rope_theta=10000.0, tie_word_embeddings=True,
                                   rope_scaling={"rope_type": "linear", "factor": 2.0}), 2, False),
    "llama_yarn": ("llama", dict(rope_theta=10000.0, rope_scaling={
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64}), 3, False),
    "mistral": ("mistral", dict(rope_theta=1000000.0, sliding_window=None), 4, True),
    "qwen2": ("qwen2", dict(rope_theta=1000000.0, tie_word_embeddings=True), 5, True),
    "qwen3": ("qwen3", dict(rope_theta=1000000.0, head_dim=32, tie_word_embeddings=True), 6, True),
    "phi3": ("phi3", dict(rope_theta=10000.0, partial_rotary_factor=0.5, hidden_act="silu",
                          original_max_position_embeddings=64, rope_scaling={
                              "rope_type": "longrope",
                              "short_factor": [1.0, 1.25, 1.5, 2.0],
                              "long_factor": [1.0, 2.0, 4.0, 8.0]}), 7, True),
    "gemma": ("gemma", dict(rope_theta=10000.0, hidden_act="gelu_pytorch_tanh",
                            hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True),
              8, True),
    "gemma2": ("gemma2", dict(rope_theta=10000.0, hidden_activation="gelu_pytorch_tanh",
                              query_pre_attn_scalar=24, sliding_window=8,
                              attn_logit_softcapping=5.0, final_logit_softcapping=10.0,
                              tie_word_embeddings=False), 9, True),
    "gemma3_text": ("gemma3_text", dict(rope_theta=1000000.0, rope_local_base_freq=10000.0,
                                        hidden_activation="gelu_pytorch_tanh",
                                        query_pre_attn_scalar=16, sliding_window=16,
                                        layer_types=["sliding_attention", "full_attention"],
                                        rope_scaling={"rope_type": "linear", "factor": 2.0},
                                        final_logit_softcapping=None,
                                        attn_logit_softcapping=None,
                                        tie_word_embeddings=True), 10, True),
}

# (variant, bits, group, float dtype, per-layer overrides)
QUANTS = [
    ("q4g64", 4, 64, torch.bfloat16, True),
    ("q8g32", 8, 32, torch.float16, False),
    ("q3g32", 3, 32, torch.bfloat16, False),
    ("q6g64", 6, 64, torch.bfloat16, False),
]

ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
CFG_DTYPE = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}


def prompts():
    rng = np.random.default_rng(1234)
    return [[BOS] + rng.integers(3, VOCAB, size=n - 1).tolist() for n in (5, 13, 40)]


def tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        return "BF16", t.view(torch.int16).numpy().tobytes()
    if t.dtype in (torch.float16, torch.float32):
        return ST_DTYPE[t.dtype], t.numpy().tobytes()
    raise TypeError(t.dtype)


def write_safetensors(path, tensors, metadata):
    """tensors: name -> (dtype string, shape list, raw little-endian bytes)."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    header["__metadata__"] = metadata
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for raw in blobs:
            f.write(raw)


def quantize(w, bits, group, sdtype):
    """Min/max affine quantization; returns (q int64, scales, biases, dequantized float32)."""
    rows, cols = w.shape
    wg = w.float().reshape(rows, cols // group, group)
    wmax, wmin = wg.amax(-1), wg.amin(-1)
    n = 2 ** bits - 1
    scales = ((wmax - wmin) / n).clamp(min=1e-6).to(sdtype)
    biases = wmin.to(sdtype)
    s, b = scales.float()[..., None], biases.float()[..., None]
    q = torch.round((wg - b) / s).clamp(0, n).to(torch.int64)
    deq = (s * q.float() + b).reshape(rows, cols)
    return q.reshape(rows, cols), scales, biases, deq


def pack(q, bits):
    """MLX layout: per row an LSB-first bit stream, read as little-endian uint32 words."""
    rows, cols = q.shape
    assert (cols * bits) % 32 == 0
    qn = q.cpu().numpy().astype(np.uint64)
    shifts = np.arange(bits, dtype=np.uint64)
    bitstream = ((qn[..., None] >> shifts) & 1).astype(np.uint8).reshape(rows, cols * bits)
    packed = np.packbits(bitstream, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u4").reshape(rows, cols * bits // 32)


def is_quantizable(name, t):
    """mlx-lm quantizes every Linear and the embedding (2-D weights)."""
    return name.endswith(".weight") and t.dim() == 2


def init_weights(model, seed, model_type):
    gen = torch.Generator().manual_seed(seed)
    gemma = model_type.startswith("gemma")
    sd = {}
    for name, p in model.state_dict().items():
        if "norm" in name and p.dim() == 1:
            # gemma norms are used as (1 + w); the others multiply by w directly.
            base = 0.0 if gemma else 1.0
            v = base + 0.1 * torch.randn(p.shape, generator=gen)
        elif p.dim() == 1:  # biases
            v = 0.1 * torch.randn(p.shape, generator=gen)
        elif "embed_tokens" in name:
            # gemma multiplies embeddings by sqrt(hidden) = 8: keep them small enough that the
            # layers, not the token's own (tied) embedding, decide the next token.
            v = (0.15 if gemma else 0.5) * torch.randn(p.shape, generator=gen)
        else:
            v = 0.2 * torch.randn(p.shape, generator=gen)
        sd[name] = v
    return sd


def reference(model, sd_float, plist):
    missing, unexpected = model.load_state_dict(sd_float, strict=False)
    missing = [m for m in missing if "inv_freq" not in m]
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    model.eval()
    out = []
    with torch.no_grad():
        for prompt in plist:
            ids = list(prompt)
            steps, first_logits = [], None
            for _ in range(N_STEPS):
                logits = model(torch.tensor([ids]), use_cache=False).logits[0, -1].double()
                if first_logits is None:
                    first_logits = [round(float(x), 6) for x in logits]
                lp = torch.log_softmax(logits, -1)
                top = torch.topk(logits, 2)
                tok = int(top.indices[0])
                steps.append({"token": tok, "logprob": float(lp[tok]),
                              "top2_gap": float(top.values[0] - top.values[1])})
                ids.append(tok)
            out.append({"prompt": prompt, "steps": steps, "first_logits": first_logits})
    return out


def rope_info(model):
    info = {}
    for name, buf in model.named_buffers():
        if name.endswith("inv_freq") and "original" not in name:
            info[name] = [float(x) for x in buf.float()]
    for mname, m in model.named_modules():
        for attr in dir(m):
            if attr.endswith("attention_scaling"):
                try:
                    info[f"{mname}.{attr}"] = float(getattr(m, attr))
                except (TypeError, ValueError):
                    pass
    return info


def save_variant(folder, cfg_dict, tensors, refs, rinfo, extra_cfg):
    os.makedirs(folder, exist_ok=True)
    cfg = dict(cfg_dict)
    cfg.update(extra_cfg)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors, {"format": "mlx"})
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump({"transformers_version": transformers.__version__,
                   "torch_version": torch.__version__, "rope": rinfo, "prompts": refs}, f)


def make_arch(out, name, model_type, overrides, seed, with_quant, plist, summary):
    kwargs = dict(COMMON)
    kwargs.update(overrides)
    cfg = AutoConfig.for_model(model_type, **kwargs)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager").float()
    base = init_weights(model, seed, model_type)
    tied = bool(getattr(cfg, "tie_word_embeddings", False))
    stored_names = [n for n in base if not (tied and n == "lm_head.weight")]
    cfg_dict = cfg.to_dict()
    rinfo = rope_info(model)

    def run(variant, tensors, sd_float, extra_cfg):
        if tied:
            sd_float["lm_head.weight"] = sd_float["model.embed_tokens.weight"]
        refs = reference(model, sd_float, plist)
        folder = os.path.join(out, f"{name}-{variant}")
        save_variant(folder, cfg_dict, tensors, refs, rinfo, extra_cfg)
        gaps = [s["top2_gap"] for r in refs for s in r["steps"]]
        fl = np.array(refs[0]["first_logits"])
        summary.append(f"{name}-{variant}: logits std {fl.std():.3f}, min top2 gap {min(gaps):.4f}, "
                       f"tokens {[s['token'] for s in refs[2]['steps']][:8]}")

    # bf16
    tensors, sd_float = {}, {}
    for n in stored_names:
        t = base[n].to(torch.bfloat16)
        dt, raw = tensor_bytes(t)
        tensors[n] = (dt, list(t.shape), raw)
        sd_float[n] = t.float()
    run("bf16", tensors, sd_float, {"torch_dtype": "bfloat16", "dtype": "bfloat16"})
    with open(os.path.join(out, f"{name}-bf16", "config.v4.json"), "w") as f:
        v4 = {"model_type": model_type, "architectures": cfg_dict.get("architectures")}
        v4.update(kwargs)
        json.dump(v4, f, indent=2, sort_keys=True)

    if not with_quant:
        return
    for variant, bits, group, fdtype, with_overrides in QUANTS:
        per_layer = {}
        if with_overrides:
            down = "model.layers.0.mlp.down_proj"
            per_layer[down] = {"group_size": 32, "bits": 8}
            vname = "model.layers.1.self_attn.qkv_proj" if model_type == "phi3" \
                else "model.layers.1.self_attn.v_proj"
            per_layer[vname] = False
        tensors, sd_float = {}, {}
        for n in stored_names:
            w = base[n]
            module = n[:-len(".weight")] if n.endswith(".weight") else None
            spec = per_layer.get(module, {"group_size": group, "bits": bits})
            if is_quantizable(n, w) and spec is not False:
                q, s, b, deq = quantize(w, spec["bits"], spec["group_size"], fdtype)
                packed = pack(q, spec["bits"])
                tensors[n] = ("U32", list(packed.shape), packed.astype("<u4").tobytes())
                for suffix, t in ((".scales", s), (".biases", b)):
                    dt, raw = tensor_bytes(t)
                    tensors[module + suffix] = (dt, list(t.shape), raw)
                sd_float[n] = deq
            else:
                t = w.to(fdtype)
                dt, raw = tensor_bytes(t)
                tensors[n] = (dt, list(t.shape), raw)
                sd_float[n] = t.float()
        qcfg = {"group_size": group, "bits": bits, "mode": "affine"}
        qcfg.update(per_layer)
        run(variant, tensors, sd_float, {"quantization": qcfg, "quantization_config": qcfg,
                                          "torch_dtype": CFG_DTYPE[fdtype],
                                          "dtype": CFG_DTYPE[fdtype]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(8)
    os.makedirs(args.out, exist_ok=True)
    print("transformers", transformers.__version__, "torch", torch.__version__, flush=True)
    plist = prompts()
    summary, failures = [], []
    for name, (model_type, overrides, seed, with_quant) in ARCHS.items():
        if args.only and name not in args.only.split(","):
            continue
        try:
            make_arch(args.out, name, model_type, overrides, seed, with_quant, plist, summary)
            print("ok", name, flush=True)
        except Exception:  # keep going: one architecture's failure must not lose the others
            failures.append(name)
            traceback.print_exc()
            print("FAILED", name, flush=True)
    print("\n".join(summary))
    print("failures:", failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
