#!/usr/bin/env bash
# GPU checks and timings for the ILGPU kernels, on a CUDA machine that has no .NET.
#
# Two modes:
#   scripts/gpu-run.sh              (here, with the SDK) publishes kernels/HardNegOT.Kernels.Runner framework-dependent
#                                   into .gpu/app and packs the .NET shared runtime of the local install (dotnet host,
#                                   host/, shared/Microsoft.NETCore.App/<version>) into .gpu/dotnet.tar.xz (~26 MB).
#                                   .gpu/ is git-ignored, so it must be carried explicitly.
#   scripts/gpu-run.sh --on-device  (on the GPU machine) unpacks the runtime to /tmp/dotnet and runs the runner with
#                                   DOTNET_ROOT and DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1, then the PyTorch peer
#                                   bench/peers/torch_gpu_sinkhorn.py, all results under $OUT:
#                                   kernels-cuda.json, runner.log, torch-gpu-sinkhorn.json, torch.log, nvidia-smi.txt.
#
# How the lead runs it with the device tool:
#   1. here:   scripts/gpu-run.sh
#   2. device: run(command="bash scripts/gpu-run.sh --on-device", carry=[".gpu"], timeout_s=600)
#      Sizes can be narrowed for a quick pass: RUNNER_ARGS="--sizes 4096 --check-sizes 256" and
#      TORCH_ARGS="--sizes 4096" are passed through to the runner and the Python script.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--on-device" ]]; then
    : "${OUT:?OUT must name the output folder}"
    mkdir -p "$OUT" /tmp/dotnet
    tar -xJf .gpu/dotnet.tar.xz -C /tmp/dotnet
    export DOTNET_ROOT=/tmp/dotnet DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
    nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
    status=0
    # shellcheck disable=SC2086  # word splitting of the pass-through arguments is intended
    /tmp/dotnet/dotnet .gpu/app/HardNegOT.Kernels.Runner.dll --out "$OUT" ${RUNNER_ARGS:-} 2>&1 | tee "$OUT/runner.log" || status=$?
    # shellcheck disable=SC2086
    python3 bench/peers/torch_gpu_sinkhorn.py --out "$OUT/torch-gpu-sinkhorn.json" ${TORCH_ARGS:-} 2>&1 | tee "$OUT/torch.log" || status=$?
    exit "$status"
fi

root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
mkdir -p .gpu
rm -rf .gpu/app
dotnet publish kernels/HardNegOT.Kernels.Runner -c Release -o .gpu/app --self-contained false -p:UseAppHost=false
# The runtime the runner targets: the newest installed Microsoft.NETCore.App of its major version.
major="$(sed -n 's:.*<TargetFramework>net\([0-9]*\)\..*:\1:p' Directory.Build.props | head -n1)"
version="$(ls "$root/shared/Microsoft.NETCore.App" | grep "^$major\." | sort -V | tail -n1)"
[[ -n "$version" ]] || { echo "error: no Microsoft.NETCore.App $major.* under $root/shared" >&2; exit 1; }
tar -C "$root" -cJf .gpu/dotnet.tar.xz dotnet host "shared/Microsoft.NETCore.App/$version"
echo "runtime $version from $root -> .gpu/dotnet.tar.xz ($(du -h .gpu/dotnet.tar.xz | cut -f1)); app -> .gpu/app ($(du -sh .gpu/app | cut -f1))"
