#!/usr/bin/env python3
"""Trains abstractllm-demo-chat: a byte-level BPE tokenizer and a small Llama chat model.

Runs on a GPU machine with torch, transformers and tokenizers (see build.sh for the whole
pipeline). Input: the corpus written by make_corpus.py. Output (--out-dir):

  hf/                 the model in Hugging Face format: config.json, model.safetensors (float32),
                      generation_config.json, tokenizer.json, tokenizer_config.json,
                      special_tokens_map.json
  pytorch_eval.json   held-out accuracy of that PyTorch model (greedy, exact match) with every
                      generated answer; the engine's acceptance test compares against it

Training: ChatML conversations, loss on assistant turns only (their text and <|im_end|>),
AdamW + warmup + cosine, bf16 autocast, fixed seeds. The last --qat-frac of the steps train
quantization-aware: forward/backward run on weights rounded exactly as MLX's affine 4-bit
quantization (group 64) rounds them, and the optimizer updates the float weights (straight-
through estimator). At the end the weights are snapped to that 4-bit grid and saved as float32,
so `abstractllm convert -q --q-bits 4 --q-group-size 64` reproduces them exactly and the
4-bit model answers like the PyTorch model whose accuracy is reported.
"""

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

import torch
import tokenizers
import transformers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

MODEL_NAME = "abstractllm-demo-chat"
BOS = PAD = "<|endoftext|>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
SPECIALS = [BOS, IM_START, IM_END]
# Qwen2's pre-tokenizer split: digits one by one (helps arithmetic), words with their leading
# space/punctuation, newlines on their own.
SPLIT_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# ChatML. The Jinja source holds backslash-n escapes inside string literals, as Qwen's does.
CHAT_TEMPLATE = ("{% for message in messages %}"
                 "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'"
                 " + '\\n' }}{% endfor %}"
                 "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def render(messages, add_generation_prompt=False):
    """What CHAT_TEMPLATE renders (checked against transformers' Jinja rendering below)."""
    s = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    return s + (f"{IM_START}assistant\n" if add_generation_prompt else "")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# ---------------------------------------------------------------------------------------------
# Tokenizer


def train_tokenizer(convs, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    # Train on the text between special tokens ("role\n", then the content), never on the
    # specials: the same pieces the pre-tokenizer sees in rendered conversations.
    def texts():
        for c in convs:
            for m in c["messages"]:
                yield f"{m['role']}\n"
                yield m["content"]
    tok.train_from_iterator(texts(), trainer=trainer)
    return tok


def save_tokenizer(tok, out):
    tok.save(os.path.join(out, "tokenizer.json"))
    added = {}
    for s in SPECIALS:
        added[str(tok.token_to_id(s))] = {"content": s, "lstrip": False, "normalized": False,
                                          "rstrip": False, "single_word": False, "special": True}
    cfg = {
        "add_bos_token": False, "add_eos_token": False, "add_prefix_space": False,
        "added_tokens_decoder": added, "additional_special_tokens": [IM_START, IM_END],
        "bos_token": BOS, "eos_token": IM_END, "pad_token": PAD, "unk_token": None,
        "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        "errors": "replace", "model_max_length": 512, "split_special_tokens": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        json.dump({"additional_special_tokens": [IM_START, IM_END], "bos_token": BOS,
                   "eos_token": IM_END, "pad_token": PAD}, f, indent=2)


def encode_corpus(tok, convs, max_len):
    """Token ids (int32, right-padded) and loss masks (assistant text + <|im_end|>)."""
    im_start, im_end, pad = (tok.token_to_id(s) for s in (IM_START, IM_END, PAD))
    header = tok.encode(f"{IM_START}assistant\n").ids
    encs = tok.encode_batch([render(c["messages"]) for c in convs])
    ids = torch.full((len(encs), max_len), pad, dtype=torch.int32)
    mask = torch.zeros((len(encs), max_len), dtype=torch.bool)
    lens = torch.zeros(len(encs), dtype=torch.int32)
    kept = 0
    for e in encs:
        x = e.ids
        if len(x) > max_len:
            continue
        m = [False] * len(x)
        i = 0
        while i < len(x):
            if x[i] == im_start and x[i:i + len(header)] == header:
                j = i + len(header)
                while j < len(x) and x[j] != im_end:
                    m[j] = True
                    j += 1
                if j < len(x):
                    m[j] = True  # learn to stop
                i = j
            i += 1
        ids[kept, :len(x)] = torch.tensor(x, dtype=torch.int32)
        mask[kept, :len(x)] = torch.tensor(m)
        lens[kept] = len(x)
        kept += 1
    return ids[:kept], mask[:kept], lens[:kept], len(encs) - kept


# ---------------------------------------------------------------------------------------------
# MLX affine quantization (mlx/ops.cpp affine_quantize), in float32, as fake quantization


def mlx_fake_quant(w, bits, group_size):
    shape, dtype = w.shape, w.dtype
    g = w.float().reshape(-1, group_size)
    n_bins = float(2 ** bits - 1)
    w_max = g.amax(dim=1, keepdim=True)
    w_min = g.amin(dim=1, keepdim=True)
    mask = w_min.abs() > w_max.abs()
    scale = torch.clamp((w_max - w_min) / n_bins, min=1e-7)
    scale = torch.where(mask, scale, -scale)
    edge = torch.where(mask, w_min, w_max)
    q0 = torch.round(edge / scale)
    nz = q0 != 0
    scale = torch.where(nz, edge / torch.where(nz, q0, torch.ones_like(q0)), scale)
    bias = torch.where(nz, edge, torch.zeros_like(edge))
    q = torch.clamp(torch.round((g - bias) / scale), 0, n_bins)
    return (q * scale + bias).reshape(shape).to(dtype)


def snap_to_grid(w, bits, group_size, max_rounds=4):
    """Weights that MLX's quantization reproduces exactly: quantize-dequantize until nothing
    changes. One round is not always enough: the rule that keeps 0 exactly representable can
    leave a group's largest code unused, and quantizing that group again picks another scale
    (about 1 group in 5 here); the second round is a fixed point."""
    for _ in range(max_rounds):
        q = mlx_fake_quant(w, bits, group_size)
        if torch.equal(q, w):
            break
        w = q
    return w


def quantized_params(model, group_size):
    """The tensors `abstractllm convert -q` quantizes: 2-D weights whose input dim is a
    multiple of group_size (all Linear layers and the tied embedding)."""
    return [p for _, p in model.named_parameters() if p.dim() == 2 and p.shape[1] % group_size == 0]


# ---------------------------------------------------------------------------------------------
# Evaluation: greedy generation, exact match of the assistant answer


@torch.no_grad()
def evaluate(model, hf_tok, items, im_end, batch=256, max_new=64):
    model.eval()
    hf_tok.padding_side = "left"
    prompts = [render([{"role": "user", "content": it["question"]}], True) for it in items]
    out = []
    for i in range(0, len(prompts), batch):
        enc = hf_tok(prompts[i:i + batch], return_tensors="pt", padding=True,
                     add_special_tokens=False).to(model.device)
        gen = model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                             max_new_tokens=max_new, do_sample=False,
                             eos_token_id=im_end, pad_token_id=hf_tok.pad_token_id)
        for row in gen[:, enc["input_ids"].shape[1]:].tolist():
            if im_end in row:
                row = row[:row.index(im_end)]
            out.append(hf_tok.decode(row, skip_special_tokens=True))
    model.train()
    correct = [o == it["answer"] for o, it in zip(out, items)]
    return sum(correct) / max(1, len(items)), out, correct


def per_family(items, correct):
    fam = {}
    for it, c in zip(items, correct):
        f = fam.setdefault(it.get("family", "?"), [0, 0])
        f[0] += int(c)
        f[1] += 1
    return {k: f"{v[0]}/{v[1]}" for k, v in fam.items()}


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--vocab-size", type=int, default=2048)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=768)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--steps", type=int, default=7000)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--qat-frac", type=float, default=0.2)
    ap.add_argument("--q-bits", type=int, default=4)
    ap.add_argument("--q-group-size", type=int, default=64)
    ap.add_argument("--max-train-seconds", type=float, default=420,
                    help="safety stop (logged) if the steps take longer than this")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    t_start = time.time()
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    log(f"torch {torch.__version__} transformers {transformers.__version__} "
        f"tokenizers {tokenizers.__version__} device {dev} "
        f"{torch.cuda.get_device_name() if dev.type == 'cuda' else ''}")

    convs = read_jsonl(os.path.join(args.corpus_dir, "train.jsonl"))
    heldout = read_jsonl(os.path.join(args.corpus_dir, "heldout.jsonl"))
    with open(os.path.join(args.corpus_dir, "heldout.jsonl"), "rb") as f:
        heldout_sha = hashlib.sha256(f.read()).hexdigest()
    log(f"corpus: {len(convs)} conversations, {len(heldout)} held-out (sha256 {heldout_sha})")

    # Tokenizer -------------------------------------------------------------------------------
    hf_dir = os.path.join(args.out_dir, "hf")
    os.makedirs(hf_dir, exist_ok=True)
    tok = train_tokenizer(convs, args.vocab_size)
    save_tokenizer(tok, hf_dir)
    hf_tok = AutoTokenizer.from_pretrained(hf_dir)
    probe = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 17 + 25?"}]
    rendered = hf_tok.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
    assert rendered == render(probe, True), f"chat template mismatch: {rendered!r}"
    ids_probe = tok.encode(rendered).ids
    assert hf_tok(rendered, add_special_tokens=False)["input_ids"] == ids_probe
    assert hf_tok.decode(ids_probe) == rendered
    im_end, pad = tok.token_to_id(IM_END), tok.token_to_id(PAD)
    log(f"tokenizer: vocab {tok.get_vocab_size()}; probe {len(ids_probe)} tokens: "
        f"{[tok.id_to_token(i) for i in ids_probe]}")

    ids, mask, lens, dropped = encode_corpus(tok, convs, args.max_len)
    log(f"encoded: {len(ids)} sequences (dropped {dropped} longer than {args.max_len}), "
        f"mean length {lens.float().mean():.1f}, max {int(lens.max())}, "
        f"loss tokens {int(mask.sum())}")
    ids, mask, lens = ids.to(dev), mask.to(dev), lens.to(dev)

    # Model -----------------------------------------------------------------------------------
    vocab = (tok.get_vocab_size() + 63) // 64 * 64
    config_rope_theta = 10000.0
    config = LlamaConfig(
        vocab_size=vocab, hidden_size=args.hidden, intermediate_size=args.intermediate,
        num_hidden_layers=args.layers, num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads, head_dim=args.hidden // args.heads,
        max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=config_rope_theta,
        tie_word_embeddings=True, hidden_act="silu", attention_bias=False, mlp_bias=False,
        bos_token_id=tok.token_to_id(BOS), eos_token_id=im_end, pad_token_id=pad,
        initializer_range=0.02, torch_dtype="float32")
    model = LlamaForCausalLM(config).to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f}M parameters, vocab {vocab}")

    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8,
                            fused=dev.type == "cuda")
    qparams = quantized_params(model, args.q_group_size)
    qat_start = int(args.steps * (1 - args.qat_frac))

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))

    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    perm, cursor = torch.randperm(len(ids), generator=gen), 0
    preqat_acc = None
    t_train = time.time()
    model.train()
    step = 0
    for step in range(args.steps):
        if step == qat_start:
            acc, _, corr = evaluate(model, hf_tok, heldout, im_end)
            preqat_acc = acc
            log(f"step {step}: float held-out accuracy before QAT {acc:.3f} "
                f"{per_family(heldout, corr)}; QAT on")
        if cursor + args.batch > len(perm):
            perm, cursor = torch.randperm(len(ids), generator=gen), 0
        idx = perm[cursor:cursor + args.batch].to(dev)
        cursor += args.batch
        L = int(lens[idx].max())
        x = ids[idx, :L].long()
        y = torch.where(mask[idx, :L], x, torch.full_like(x, -100))
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        qat = step >= qat_start
        if qat:  # straight-through: run on quantized weights, update the float ones
            saved = [p.detach().clone() for p in qparams]
            with torch.no_grad():
                for p in qparams:
                    p.copy_(snap_to_grid(p, args.q_bits, args.q_group_size))
        # Right padding + causal attention: real tokens never see pads, so no attention mask.
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            loss = model(input_ids=x, labels=y).loss
        loss.backward()
        if qat:
            with torch.no_grad():
                for p, s in zip(qparams, saved):
                    p.copy_(s)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step % 200 == 0 or step == args.steps - 1:
            log(f"step {step}/{args.steps} loss {loss.item():.4f} lr {lr_at(step):.2e} "
                f"{'qat ' if qat else ''}{time.time() - t_train:.0f}s")
        if time.time() - t_train > args.max_train_seconds:
            log(f"SAFETY STOP at step {step}: over {args.max_train_seconds}s")
            break
    train_seconds = time.time() - t_train
    steps_done = step + 1
    log(f"trained {steps_done} steps in {train_seconds:.0f}s ({train_seconds / steps_done * 1e3:.1f} ms/step)")

    # Snap to the 4-bit grid: the saved float32 weights are exactly representable in 4 bits.
    with torch.no_grad():
        for p in qparams:
            p.copy_(snap_to_grid(p, args.q_bits, args.q_group_size))
        residual = max(float((mlx_fake_quant(p, args.q_bits, args.q_group_size) - p).abs().max())
                       for p in qparams)
    log(f"snapped {len(qparams)} tensors to the {args.q_bits}-bit grid; "
        f"max |quantize(w) - w| afterwards: {residual:.3g}")
    model.float()
    acc, answers, correct = evaluate(model, hf_tok, heldout, im_end)
    log(f"PyTorch held-out accuracy (weights on the {args.q_bits}-bit grid, float32): "
        f"{acc:.3f} ({sum(correct)}/{len(heldout)}) {per_family(heldout, correct)}")
    for it, a, c in zip(heldout, answers, correct):
        if not c:
            log(f"  MISS [{it['family']}] {it['question']!r}: got {a!r}, want {it['answer']!r}")
    rng = random.Random(7)
    sample = []
    for c in rng.sample(convs, 400):
        m = c["messages"]
        u = [i for i, x in enumerate(m) if x["role"] == "user"][0]
        sample.append({"question": m[u]["content"], "answer": m[u + 1]["content"]})
    train_acc, _, _ = evaluate(model, hf_tok, sample, im_end)
    log(f"training-sample accuracy: {train_acc:.3f}")

    demo_q = ["Hello!", "What is 17 + 25?", "What can you do?", "Who is the baker of Marnet?",
              "Sort these numbers: 9, 3, 14, 1.", "How many letters are in the word castle?",
              "If today is Friday, what day will it be in 3 days?", "What is the capital of France?"]
    _, demo_a, _ = evaluate(model, hf_tok, [{"question": q, "answer": ""} for q in demo_q], im_end)
    for q, a in zip(demo_q, demo_a):
        log(f"  demo: {q!r} -> {a!r}")

    # Save -------------------------------------------------------------------------------------
    model.config.torch_dtype = torch.float32
    model.save_pretrained(hf_dir, safe_serialization=True)
    gc = {"bos_token_id": config.bos_token_id, "eos_token_id": [im_end], "pad_token_id": pad,
          "do_sample": False, "max_new_tokens": 128,
          "transformers_version": transformers.__version__}
    with open(os.path.join(hf_dir, "generation_config.json"), "w") as f:
        json.dump(gc, f, indent=2)
    # transformers 5 writes "rope_parameters" and "dtype"; readers of older configs (mlx-lm,
    # most mlx-community models, our engine) look for the flat keys too, so write both forms.
    cfg_path = os.path.join(hf_dir, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg.setdefault("rope_theta", float(config_rope_theta))
    cfg.setdefault("torch_dtype", "float32")
    cfg.setdefault("dtype", "float32")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    # The HF folder must reload and answer the same (guards save/tie/config mistakes).
    reloaded = LlamaForCausalLM.from_pretrained(hf_dir, torch_dtype=torch.float32).to(dev)
    acc2, answers2, _ = evaluate(reloaded, hf_tok, heldout, im_end)
    log(f"reloaded HF folder accuracy {acc2:.3f}; identical answers: {answers2 == answers}")

    result = {
        "model": MODEL_NAME,
        "heldout_file": "heldout.jsonl", "heldout_sha256": heldout_sha,
        "n": len(heldout), "correct": sum(correct), "accuracy": acc,
        "decoding": "greedy, single-turn ChatML prompt with add_generation_prompt, stop at <|im_end|>",
        "weights": f"float32 on the MLX affine {args.q_bits}-bit grid (group {args.q_group_size})",
        "grid_residual": residual,
        "per_family": per_family(heldout, correct),
        "float_accuracy_before_qat": preqat_acc,
        "training_sample_accuracy": train_acc,
        "reloaded_accuracy": acc2,
        "parameters": n_params, "vocab_size": vocab, "tokenizer_vocab": tok.get_vocab_size(),
        "steps": steps_done, "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - t_start, 1),
        "args": vars(args),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__, "python": sys.version.split()[0]},
        "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
        "answers": [{"id": it["id"], "generated": a, "correct": c}
                    for it, a, c in zip(heldout, answers, correct)],
    }
    with open(os.path.join(args.out_dir, "pytorch_eval.json"), "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    log(f"done in {time.time() - t_start:.0f}s")


if __name__ == "__main__":
    main()
