#!/usr/bin/env bash
# Installs what HardNegOT needs on a fresh Debian 12 machine with the .NET 10 SDK: the real data
# (Fashion-MNIST), the peers the tests compare against (POT, numpy, and PyTorch for the ResNet peer and the
# benchmarks) and the native toolchain the TorchSharp load fix uses (g++, python3). Installs only what is missing.
set -euo pipefail

need=()
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
/usr/bin/python3 -c 'import ot' 2>/dev/null || need+=(python3-pot)
command -v g++ >/dev/null || need+=(g++)
# The ResNet peer test and the benchmark peers need PyTorch (Debian's python3-torch).
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
