#!/usr/bin/env bash
# The main job, end to end: contrastive training of a small CNN on real Fashion-MNIST with entropic-OT hard
# negatives (the paper's Eq. 8 loss), evaluated by weighted kNN before and after; under a minute on 2 idle cores.
# Usage: scripts/main.sh [any `hardnegot train` flag, e.g. --epsilon 0.5 --cost exp --epochs 3]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
dotnet build src/HardNegOT.Cli -c Release -v q -nologo >/dev/null
out=out/main
# A fresh run each time (train refuses to overwrite a run without --resume).
rm -rf "$out"
src/HardNegOT.Cli/bin/Release/net10.0/hardnegot train --negatives ot --out "$out" "$@"
