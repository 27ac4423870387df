#!/usr/bin/env bash
# Runs the Sinkhorn benchmark suites (BenchmarkDotNet) and the peers (POT, PyTorch) on the same
# workload files in one run, then writes docs/benchmarks/README.md and its plots.
# Usage: scripts/bench.sh [--quick]   (--quick: one workload at N = 1024, a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="scripts/bench.sh $*"

quick=0
[ "${1:-}" = "--quick" ] && quick=1
scripts/setup.sh

results="$PWD/artifacts/bench"
rm -rf "$results" && mkdir -p "$results"
export HARDNEGOT_BENCH_DATA="$results/workloads" HARDNEGOT_BENCH_SOLVES="$results/solves.jsonl" HARDNEGOT_BENCH_QUICK=$quick

dotnet build bench/HardNegOT.Bench -c Release -v q -nologo >/dev/null
bench=bench/HardNegOT.Bench/bin/Release/net10.0/HardNegOT.Bench
mapfile -t workloads < <("$bench" workloads)

filter='*SinkhornBenchmarks*'
[ $quick -eq 1 ] || filter='*'
"$bench" --filter "$filter" --artifacts "$results/bdn" --join
/usr/bin/python3 bench/peers/sinkhorn_peers.py "${workloads[@]}" > "$results/peers.jsonl"
dotnet build bench/TorchSharpPeer -c Release -v q -nologo >/dev/null
bench/TorchSharpPeer/bin/Release/net10.0/HardNegOT.Bench.TorchSharpPeer "${workloads[@]}" >> "$results/peers.jsonl"
"$bench" report "$results" docs/benchmarks "$command_line"
