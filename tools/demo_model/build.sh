#!/usr/bin/env bash
# Rebuilds the bundled demo model, models/abstractllm-demo-chat, from nothing.
#
#   tools/demo_model/build.sh train [WORK]     # GPU machine with torch, transformers, tokenizers:
#                                              # corpus + tokenizer + training (~7 min on one
#                                              # H100/H200) -> WORK/out/hf, WORK/out/pytorch_eval.json
#   tools/demo_model/build.sh convert [WORK]   # here, after `train`: our converter, 4-bit, into
#                                              # models/abstractllm-demo-chat (README.md kept)
#
# WORK defaults to .cache/demo (git-ignored). Everything is seeded: the corpus is byte-identical
# everywhere (its sha256 is printed); GPU training is reproducible up to floating-point
# non-determinism of the kernels.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONHASHSEED=0 PYTHONUNBUFFERED=1
stage=${1:?usage: build.sh train|convert [WORK]}
work=${2:-.cache/demo}
dest=models/abstractllm-demo-chat

case "$stage" in
  train)
    python3 tools/demo_model/make_corpus.py --out-dir "$work/corpus"
    python3 tools/demo_model/train.py --corpus-dir "$work/corpus" --out-dir "$work/out"
    ;;
  convert)
    cli=${ABSTRACTLLM:-build/abstractllm}
    rm -rf "$work/mlx"
    "$cli" convert --hf-path "$work/out/hf" --mlx-path "$work/mlx" -q --q-bits 4 --q-group-size 64
    mkdir -p "$dest/eval"
    find "$dest" -maxdepth 1 -type f ! -name README.md -delete
    cp "$work/mlx"/* "$dest/"
    cp "$work/corpus/heldout.jsonl" "$work/out/pytorch_eval.json" "$dest/eval/"
    ls -la "$dest" "$dest/eval"
    ;;
  *)
    echo "usage: build.sh train|convert [WORK]" >&2
    exit 2
    ;;
esac
