#!/usr/bin/env bash
# interleave_ab.sh - compare Google Benchmark binaries on a noisy machine.
#
# This VM's memory bandwidth and clock move by 10-30 % from one minute to the next, so two
# benchmark runs taken one after the other do not tell a 5 % change. This runs the binaries in
# turn, ROUNDS times (A B A B ...), and prints each benchmark's best and median per binary:
# interference only ever slows a run, so the best is the steadiest estimate, and the median shows
# how often it is reached.
#
# Usage: bench/interleave_ab.sh ROUNDS FILTER NAME=BINARY [NAME=BINARY ...]
#   e.g. cp build/bench/bench_ops_linear /tmp/before   (build the change)
#        bench/interleave_ab.sh 4 'BM_Prefill/.*threads:1' before=/tmp/before after=build/bench/bench_ops_linear
# The figure compared is the benchmark's last user counter (GFLOP/s, tok/s) or else GB/s.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,13p "$0"; exit 2; }
rounds=$1 filter=$2
shift 2
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for _ in $(seq "$rounds"); do
  for spec in "$@"; do
    name=${spec%%=*} bin=${spec#*=}
    "$bin" --benchmark_filter="$filter" --benchmark_format=csv 2>/dev/null | grep '^"' |
      sed "s/^/$name,/" >>"$raw"
  done
done
python3 - "$raw" <<'P'
import collections, csv, statistics, sys
runs = collections.defaultdict(list)
for row in csv.reader(open(sys.argv[1])):
    # variant, then Google Benchmark's csv: name, iterations, real_time, cpu_time, time_unit,
    # bytes_per_second, items_per_second, label, error_occurred, error_message, counters...
    variant, bench = row[0], row[1]
    counters = [x for x in row[11:] if x]
    if counters:
        value = float(counters[-1])
    elif row[6]:
        value = float(row[6]) / 1e9
    else:
        continue
    runs[(bench, variant)].append(value)
for (bench, variant), v in sorted(runs.items()):
    print(f"{bench[:70]:70s} {variant:12s} best {max(v):9.2f}  median {statistics.median(v):9.2f}  n={len(v)}")
P
