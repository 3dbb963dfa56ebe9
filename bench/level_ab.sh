#!/usr/bin/env bash
# level_ab.sh - compare decode settings at each of the machine's bandwidth levels.
#
# The Zen 4 and Zen 5 VMs these figures come from switch between two read-bandwidth levels
# (~33 and ~55-80 GB/s on two threads) for seconds to minutes at a time. `abstractllm bench
# --json` probes the bandwidth before and after every decode run; this script runs the bench
# with each setting in turn until SECONDS have passed, keeps every run with both of its probes
# at the same level, and prints per setting and level the number of runs, the median tokens/s
# and the median fraction of the roofline (run speed x bytes per token / mean of the two
# probes).
#
# Usage: bench/level_ab.sh SECONDS MODEL_DIR THREADS NAME='ENV=VALUE ...' [NAME='...' ...]
#   e.g. bench/level_ab.sh 600 /tmp/perfwork/llama-1b-q4g64 2 \
#          b16='ABSTRACTLLM_DECODE_BLOCKS=16' b4='ABSTRACTLLM_DECODE_BLOCKS=4'
# CLI=path/to/abstractllm (default build/abstractllm); UPPER (default 45) and LOWER (default
# 38) GB/s are the thresholds a probe must pass to count as upper or lower level.
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,16p "$0"; exit 2; }
seconds=$1 model=$2 threads=$3
shift 3
cli=${CLI:-build/abstractllm}
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
end=$(($(date +%s) + seconds))
while [ "$(date +%s)" -lt "$end" ]; do
  for spec in "$@"; do
    name=${spec%%=*} envs=${spec#*=}
    # shellcheck disable=SC2086  # envs is a list of VAR=VALUE words
    env $envs "$cli" bench --model "$model" -p 0 -n 32 -r 8 -t "$threads" --json 2>/dev/null |
      NAME=$name python3 -c '
import json, os, sys
d = json.load(sys.stdin)
t, a = d["tg"], d["read_bandwidth_gbps"]["around_tg_runs"]
for i, r in enumerate(t["runs"]):
    print(os.environ["NAME"], r, a[i], a[i + 1], t["bytes_per_token"])' >>"$raw"
  done
done
UPPER=${UPPER:-45} LOWER=${LOWER:-38} python3 - "$raw" "$@" <<'P'
import os, statistics, sys
upper, lower = float(os.environ["UPPER"]), float(os.environ["LOWER"])
names = [s.split("=", 1)[0] for s in sys.argv[2:]]
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]
for level, keep in (("upper", lambda a, b: a > upper and b > upper),
                    ("lower", lambda a, b: a < lower and b < lower)):
    print(level)
    for name in names:
        runs = [(float(r), float(a), float(b), float(n)) for s, r, a, b, n in rows
                if s == name and keep(float(a), float(b))]
        if not runs:
            print(f"  {name:12s} no runs")
            continue
        tps = statistics.median(r for r, _, _, _ in runs)
        frac = statistics.median(r * n / 1e9 / ((a + b) / 2) for r, a, b, n in runs)
        print(f"  {name:12s} runs {len(runs):4d}  t/s median {tps:6.2f}  roofline {frac:.2f}")
P
